package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"docent/store"
)

// Indexer embeds a document's chunks, commits document, chunks and vectors
// in one transaction and adds them to the search index, and deletes
// documents from both (retrieval.Library does).
type Indexer interface {
	Add(ctx context.Context, doc *store.Document, chunks []store.Chunk, progress func(done, total int)) error
	Delete(ctx context.Context, v store.Viewer, id uint64) (store.Document, error)
}

// Store is what a Pipeline needs of docent's store (store.Store has all
// of it): document records and their status.
type Store interface {
	CreateDocument(ctx context.Context, d *store.Document) (existing store.Document, dup bool, err error)
	DocumentByID(ctx context.Context, id uint64) (store.Document, error)
	DocumentByPath(ctx context.Context, owner uint64, path string) (store.Document, error)
	OwnedDocuments(ctx context.Context, owner uint64) ([]store.Document, error)
	DocumentsWithStatus(ctx context.Context, statuses ...store.Status) ([]store.Document, error)
	SetStatus(ctx context.Context, id uint64, status store.Status, msg string) error
	DeleteDocumentByID(ctx context.Context, id uint64) error
	CheckChunks(ctx context.Context, d *store.Document, n int) error
}

// Upload is a file handed to the pipeline.
type Upload struct {
	Owner      uint64 // store.Shared for the shared library
	UploadedBy uint64
	Filename   string
	Format     Format
	Size       int64
	SHA256     string // hex
	// TempPath is a file the pipeline takes over (renames into its spool
	// directory); it must be on the same filesystem as the data directory.
	TempPath string
	// SourcePath, for folder ingest and replacing uploads, is the path the
	// document is known by; a later version with the same path replaces it.
	SourcePath string
	// Folder is the folder SourcePath lies in, when it comes from a folder
	// ingest: readers other than the owner see the path relative to it.
	Folder string
	// Replaces is an older version of the document to replace on commit.
	Replaces uint64
	// Limit is the owner's quota (nil: none): Submit refuses an upload
	// over it with a *store.QuotaError, and the document fails before its
	// passages are embedded if they would pass the chunk quota.
	Limit *store.Quota
}

// Options configure a Pipeline. The zero value is usable.
type Options struct {
	Workers  int          // concurrent documents (default 2)
	Limits   Limits       // extraction bounds
	Chunking ChunkOptions // chunk size and overlap
	Log      *slog.Logger
	// Observe, if set, is told how long each stage took ("extract",
	// "chunk", "index") for metrics.
	Observe func(stage string, d time.Duration)
	// JobLease is how long a job of a shared store (JobQueue) stays with
	// this process without a heartbeat: a process that dies loses its
	// jobs to the others within it (default 15 s).
	JobLease time.Duration
}

// Pipeline turns uploads into indexed documents in the background:
// queued → processing → ready | failed. Uploads wait in a spool directory
// until they are indexed, so documents left queued or processing by a crash
// are processed again at the next start.
type Pipeline struct {
	db    Store
	ix    Indexer
	spool string
	opt   Options
	// jobs is set when the store keeps uploads and the ingest queue
	// itself, shared by several processes (jobs.go).
	jobs   JobQueue
	worker string

	mu       sync.Mutex
	incoming map[string]bool // temporary uploads being received
	queue    []uint64
	running  map[uint64]bool // taken by a worker, not finished yet
	wake     chan struct{}
	waiters  map[uint64][]chan struct{}
	progress map[uint64][2]int
	wg       sync.WaitGroup
}

// NewPipeline returns a pipeline that keeps uploads in spool (created if
// needed) and indexes them with ix. Call Start to run its workers.
func NewPipeline(db Store, ix Indexer, spool string, opt Options) (*Pipeline, error) {
	if opt.Workers <= 0 {
		opt.Workers = 2
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.JobLease <= 0 {
		opt.JobLease = 15 * time.Second
	}
	if err := os.MkdirAll(spool, 0o700); err != nil {
		return nil, fmt.Errorf("create upload spool: %w", err)
	}
	p := &Pipeline{
		db: db, ix: ix, spool: spool, opt: opt,
		incoming: map[string]bool{},
		wake:     make(chan struct{}, 1),
		waiters:  map[uint64][]chan struct{}{},
		running:  map[uint64]bool{},
		progress: map[uint64][2]int{},
	}
	if q, ok := db.(JobQueue); ok {
		p.jobs, p.worker = q, workerName()
	}
	return p, nil
}

// TempFile creates a file in the spool directory for an incoming upload.
// Hand it to Submit, or Discard it.
func (p *Pipeline) TempFile() (*os.File, error) {
	f, err := os.CreateTemp(p.spool, "incoming-*")
	if err == nil {
		p.mu.Lock()
		p.incoming[f.Name()] = true
		p.mu.Unlock()
	}
	return f, err
}

// Discard removes a temporary upload that will not be submitted.
func (p *Pipeline) Discard(path string) {
	os.Remove(path)
	p.mu.Lock()
	delete(p.incoming, path)
	p.mu.Unlock()
}

// spoolPath is where the upload of document id waits.
func (p *Pipeline) spoolPath(id uint64) string {
	return filepath.Join(p.spool, strconv.FormatUint(id, 10))
}

// Start re-queues documents a crash left queued or processing and runs the
// workers until ctx is done. Wait for them with Close.
func (p *Pipeline) Start(ctx context.Context) error {
	if p.jobs != nil {
		p.startShared(ctx)
		return nil
	}
	left, err := p.db.DocumentsWithStatus(ctx, store.StatusQueued, store.StatusProcessing)
	if err != nil {
		return err
	}
	p.mu.Lock()
	queued := make(map[uint64]bool, len(p.queue))
	for _, id := range p.queue { // submitted since the process started
		queued[id] = true
	}
	p.mu.Unlock()
	resume := map[uint64]bool{}
	for _, d := range left {
		if queued[d.ID] {
			resume[d.ID] = true
			continue
		}
		if _, err := os.Stat(p.spoolPath(d.ID)); err != nil {
			p.db.SetStatus(ctx, d.ID, store.StatusFailed, "the upload was lost before it was indexed; upload the file again")
			continue
		}
		p.opt.Log.Info("resuming document", "document_id", d.ID, "status", d.Status)
		resume[d.ID] = true
		p.enqueue(d.ID)
	}
	p.sweep(resume)
	for range p.opt.Workers {
		p.wg.Add(1)
		go p.work(ctx)
	}
	return nil
}

// sweep removes what a crash left in the spool: uploads cut before they
// were submitted (incoming-* files this process is not receiving) and the
// files of documents that are no longer waiting (keep lists those that are).
func (p *Pipeline) sweep(keep map[uint64]bool) {
	entries, err := os.ReadDir(p.spool)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, "incoming-") {
			if path := filepath.Join(p.spool, name); !p.isIncoming(path) {
				os.Remove(path)
			}
			continue
		}
		if id, err := strconv.ParseUint(name, 10, 64); err == nil && !keep[id] && !p.isQueued(id) {
			os.Remove(filepath.Join(p.spool, name))
		}
	}
}

// isIncoming reports whether path is an upload this process is receiving.
func (p *Pipeline) isIncoming(path string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.incoming[path]
}

// isQueued reports whether document id waits in the in-memory queue.
func (p *Pipeline) isQueued(id uint64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Contains(p.queue, id)
}

// Close waits for the workers to stop after Start's context is done.
func (p *Pipeline) Close() { p.wg.Wait() }

// Submit records an upload as a queued document and schedules it. The same
// bytes from the same owner give the existing document and dup = true; the
// temporary file is removed then.
func (p *Pipeline) Submit(ctx context.Context, up Upload) (store.Document, bool, error) {
	d := store.Document{
		Owner: up.Owner, UploadedBy: up.UploadedBy, Filename: up.Filename,
		ContentType: ContentType(up.Format), Format: string(up.Format), Size: up.Size,
		SHA256: up.SHA256, Path: up.SourcePath, Folder: up.Folder, Replaces: up.Replaces, Status: store.StatusQueued,
		Limit: up.Limit,
	}
	defer p.Discard(up.TempPath) // renamed into the spool, or not wanted
	if p.jobs != nil {
		return p.submitShared(ctx, &d, up.TempPath)
	}
	existing, dup, err := p.db.CreateDocument(ctx, &d)
	if err != nil {
		return store.Document{}, false, err
	}
	if dup {
		return existing, true, nil
	}
	if err := os.Rename(up.TempPath, p.spoolPath(d.ID)); err != nil {
		p.db.SetStatus(ctx, d.ID, store.StatusFailed, "the upload could not be stored")
		return d, false, fmt.Errorf("spool upload: %w", err)
	}
	p.enqueue(d.ID)
	return d, false, nil
}

func (p *Pipeline) enqueue(id uint64) {
	p.mu.Lock()
	p.queue = append(p.queue, id)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// next pops a queued document id, waiting until there is one or ctx is done.
func (p *Pipeline) next(ctx context.Context) (uint64, bool) {
	for {
		p.mu.Lock()
		if len(p.queue) > 0 {
			id := p.queue[0]
			p.queue = p.queue[1:]
			p.running[id] = true
			more := len(p.queue) > 0
			p.mu.Unlock()
			if more { // let another worker take the rest
				select {
				case p.wake <- struct{}{}:
				default:
				}
			}
			return id, true
		}
		p.mu.Unlock()
		select {
		case <-ctx.Done():
			return 0, false
		case <-p.wake:
		}
	}
}

func (p *Pipeline) work(ctx context.Context) {
	defer p.wg.Done()
	for {
		id, ok := p.next(ctx)
		if !ok {
			return
		}
		p.processSpooled(ctx, id)
	}
}

// processSpooled indexes the spooled upload of document id.
func (p *Pipeline) processSpooled(ctx context.Context, id uint64) {
	defer p.finished(id)
	d, err := p.db.DocumentByID(ctx, id)
	if err != nil || d.Status == store.StatusReady || d.Status == store.StatusFailed { // deleted while queued, or done already
		os.Remove(p.spoolPath(id))
		return
	}
	f, err := os.Open(p.spoolPath(id))
	if err != nil {
		p.db.SetStatus(ctx, id, store.StatusFailed, "the upload was lost before it was indexed; upload the file again")
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err == nil {
		err = p.Process(ctx, &d, f, st.Size())
	}
	if ctx.Err() != nil {
		return // shutting down: the document stays queued/processing and resumes at the next start
	}
	if err != nil {
		p.opt.Log.Warn("document failed", "document_id", id, "err", err)
	}
	os.Remove(p.spoolPath(id))
}

// Process extracts, chunks and indexes the file in r (size bytes) as
// document d, moving it through processing to ready, or to failed with a
// readable reason (also returned). If ctx is cancelled the document stays
// processing, to be resumed.
func (p *Pipeline) Process(ctx context.Context, d *store.Document, r io.ReaderAt, size int64) error {
	if err := p.db.SetStatus(ctx, d.ID, store.StatusProcessing, ""); err != nil {
		return err
	}
	d.Status = store.StatusProcessing
	err := p.process(ctx, d, r, size)
	if err == nil || ctx.Err() != nil {
		return err
	}
	msg := Reason(err)
	if serr := p.db.SetStatus(context.WithoutCancel(ctx), d.ID, store.StatusFailed, msg); serr != nil && !errors.Is(serr, store.ErrNotFound) {
		return serr
	}
	d.Status, d.Error = store.StatusFailed, msg
	return err
}

func (p *Pipeline) process(ctx context.Context, d *store.Document, r io.ReaderAt, size int64) error {
	start := time.Now()
	x, err := Extract(ctx, Format(d.Format), r, size, p.opt.Limits)
	if err != nil {
		return err
	}
	p.observe("extract", start)
	start = time.Now()
	parts := Split(x, p.opt.Chunking)
	if len(parts) == 0 {
		return ErrEmpty
	}
	if err := p.checkPassages(parts, size); err != nil {
		return err
	}
	if err := p.db.CheckChunks(ctx, d, len(parts)); err != nil { // before the embedding work
		return err
	}
	chunks := make([]store.Chunk, len(parts))
	for i, c := range parts {
		chunks[i] = store.Chunk{Text: c.Text, Start: c.Start, End: c.End, Page: c.Page, Headings: c.Headings}
		if c.Page > 0 && c.Page <= len(x.Pages) && x.Pages[c.Page-1].OCR {
			chunks[i].OCR, chunks[i].OCRConfidence = true, x.Pages[c.Page-1].Confidence
		}
	}
	p.observe("chunk", start)
	d.Pages = len(x.Pages)
	if d.Title == "" {
		d.Title = DocumentTitle(x, d.Filename)
	}
	start = time.Now()
	err = p.ix.Add(ctx, d, chunks, func(done, total int) { p.setProgress(d.ID, done, total) })
	p.observe("index", start)
	if err == nil && (len(x.Attachments) > 0 || Format(d.Format) == EML || Format(d.Format) == MBOX) {
		p.indexAttachments(ctx, d, x.Attachments)
	}
	return err
}

// checkPassages holds a document's passages to its file's text budget:
// their text with the heading paths stored beside it, the overlap between
// neighbours not counted. Every loader's output passes here.
func (p *Pipeline) checkPassages(parts []Chunk, size int64) error {
	var n int64
	for _, c := range parts {
		n += int64(len(c.Text))
		for _, h := range c.Headings {
			n += int64(len(h))
		}
	}
	chunk, overlap := p.opt.Chunking.normalized()
	lim := p.opt.Limits
	lim.textBudget = lim.TextBudget(size)
	return lim.checkText(n * int64(chunk-overlap) / int64(chunk))
}

func (p *Pipeline) observe(stage string, start time.Time) {
	if p.opt.Observe != nil {
		p.opt.Observe(stage, time.Since(start))
	}
}

// ErrEmpty reports a file with no text at all.
var ErrEmpty = errors.New("the file contains no text")

// errUnexplained is the public reason of a failure that is not about the
// file: an embedding server, the disk, a bug. Its cause may name servers,
// paths or internals, so it goes to the log, not to the document.
const errUnexplained = "the document could not be indexed because of a problem on the server (its log has the details); try again later"

// Reason is the message shown for a failed document, to anyone who may read
// it: the extraction errors speak for themselves; anything else is summarised
// without internals (ReasonDetail keeps them for the operator).
func Reason(err error) string {
	var ue *userError
	if errors.As(err, &ue) {
		return ue.msg
	}
	var qe *store.QuotaError
	if errors.As(err, &qe) && qe.Limit == "chunks" {
		return fmt.Sprintf("the document's %d passages would pass its owner's quota of %d (%d in use): "+
			"delete documents or ask an admin for a larger quota", qe.Add, qe.Max, qe.Used)
	}
	for _, known := range []error{ErrNoText, ErrEncrypted, ErrTooLarge, ErrCorrupt, ErrUnsupported, ErrEmpty, ErrOCRUnavailable, ErrOCRFailed} {
		if errors.Is(err, known) {
			return known.Error()
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "reading the file took too long"
	}
	var pe interface{ Hint() string }
	if errors.As(err, &pe) {
		return pe.Hint()
	}
	return errUnexplained
}

// ReasonDetail is Reason with the cause of an unexplained failure appended:
// for the operator running docent ingest, never for API clients.
func ReasonDetail(err error) string {
	if r := Reason(err); r != errUnexplained {
		return r
	}
	return "the document could not be indexed: " + err.Error()
}

func (p *Pipeline) setProgress(id uint64, done, total int) {
	p.mu.Lock()
	p.progress[id] = [2]int{done, total}
	p.mu.Unlock()
}

// Progress reports how many of a processing document's passages are
// embedded so far.
func (p *Pipeline) Progress(id uint64) (done, total int, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr, ok := p.progress[id]
	return pr[0], pr[1], ok
}

// finished wakes everyone waiting for document id.
func (p *Pipeline) finished(id uint64) {
	p.mu.Lock()
	delete(p.progress, id)
	delete(p.running, id)
	ws := p.waiters[id]
	delete(p.waiters, id)
	p.mu.Unlock()
	for _, w := range ws {
		close(w)
	}
}

// Wait blocks until document id is ready or failed (or ctx is done) and
// returns it. A document its worker is still finishing counts as not done
// yet: the store says ready when its transaction commits, a moment before
// the search index has it, and a caller that waited must find it.
func (p *Pipeline) Wait(ctx context.Context, id uint64) (store.Document, error) {
	if p.jobs != nil {
		return p.waitShared(ctx, id)
	}
	for {
		ch := make(chan struct{})
		p.mu.Lock()
		p.waiters[id] = append(p.waiters[id], ch)
		running := p.running[id]
		p.mu.Unlock()
		d, err := p.db.DocumentByID(ctx, id)
		if err != nil || !running && (d.Status == store.StatusReady || d.Status == store.StatusFailed) {
			return d, err
		}
		select {
		case <-ctx.Done():
			return d, ctx.Err()
		case <-ch:
		case <-time.After(time.Second): // belt and braces against a missed wake-up
		}
	}
}
