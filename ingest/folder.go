package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"docent/store"
)

// FolderOptions configure IngestFolder. The zero value ingests every
// supported file into the shared library.
type FolderOptions struct {
	// Owner receives the documents (store.Shared for the shared library).
	Owner uint64
	// Workspace, when not zero, is a workspace of Owner's that every new
	// document (and new version) goes into as it is created.
	Workspace uint64
	// Root names the folder in document paths (e.g. its absolute path), so
	// that pruning only ever touches documents that came from this folder.
	Root string
	// Include and Exclude are path.Match globs tried against both the slash
	// path relative to the folder and the base name; empty Include means all.
	Include, Exclude []string
	// Workers is how many files are processed at once (default 2).
	Workers int
	// Prune deletes documents whose file is gone from the folder.
	Prune bool
	// Event, if set, is called (from one goroutine at a time) as the walk
	// finds files and as each file is done.
	Event func(Event)
	// Ignore, if set, leaves out the files and folders it matches (see
	// IgnoreFile); they are not listed.
	Ignore *Ignore
}

// Outcome is what happened to one file.
type Outcome string

// File outcomes.
const (
	Added     Outcome = "added"
	Updated   Outcome = "updated"
	Unchanged Outcome = "unchanged"
	Failed    Outcome = "failed"
	Skipped   Outcome = "skipped"
	Pruned    Outcome = "pruned"
)

// Event reports folder-ingest progress: first one with Found set (the number
// of files to process), then one per file with its outcome.
type Event struct {
	Found   int
	Bytes   int64
	Path    string
	Outcome Outcome
	Chunks  int
	Reason  string
}

// FileResult is the outcome of one file.
type FileResult struct {
	Path    string
	Outcome Outcome
	Chunks  int
	Reason  string // why it failed or was skipped
}

// Summary is the result of a folder ingest.
type Summary struct {
	Files   []FileResult // sorted by path
	Elapsed time.Duration
}

// Count returns how many files had outcome o.
func (s Summary) Count(o Outcome) int {
	n := 0
	for _, f := range s.Files {
		if f.Outcome == o {
			n++
		}
	}
	return n
}

// Chunks returns the number of chunks indexed by this run.
func (s Summary) Chunks() int {
	n := 0
	for _, f := range s.Files {
		n += f.Chunks
	}
	return n
}

// IngestFolder indexes every supported file under fsys: new files are
// added, changed ones (same path, other content) replace their old version
// in one transaction, unchanged ones are skipped, and with Prune documents
// whose file is gone are deleted. Hidden files and folders (".name") and
// unsupported types are skipped and listed. Cancelling ctx stops cleanly:
// a document is never half written, and running again resumes.
func (p *Pipeline) IngestFolder(ctx context.Context, fsys fs.FS, opt FolderOptions) (Summary, error) {
	start := time.Now()
	var (
		mu  sync.Mutex
		sum Summary
	)
	record := func(r FileResult) {
		mu.Lock()
		defer mu.Unlock()
		sum.Files = append(sum.Files, r)
		if opt.Event != nil {
			opt.Event(Event{Path: r.Path, Outcome: r.Outcome, Chunks: r.Chunks, Reason: r.Reason})
		}
	}
	files, skipped, err := Scan(fsys, opt, p.opt.Limits.withDefaults().MaxBytes)
	if err != nil {
		return sum, err
	}
	for _, r := range skipped {
		record(r)
	}
	if opt.Event != nil {
		var total int64
		for _, f := range files {
			total += f.Size
		}
		opt.Event(Event{Found: len(files), Bytes: total})
	}
	workers := max(opt.Workers, 1)
	if opt.Workers == 0 {
		workers = 2
	}
	eachFile(ctx, files, workers, func(f File) { record(p.ingestFile(ctx, fsys, f, opt)) })
	if err := ctx.Err(); err != nil {
		return p.finish(sum, start), err
	}
	if opt.Prune {
		for _, r := range skipped { // still there, only not indexable now
			files = append(files, File{Path: r.Path})
		}
		if err := p.prune(ctx, files, opt, record); err != nil {
			return p.finish(sum, start), err
		}
	}
	return p.finish(sum, start), nil
}

func (p *Pipeline) finish(s Summary, start time.Time) Summary {
	sort.Slice(s.Files, func(i, j int) bool { return s.Files[i].Path < s.Files[j].Path })
	s.Elapsed = time.Since(start)
	return s
}

// File is a supported file found in a folder.
type File struct {
	Path    string // slash path relative to the folder
	Size    int64
	ModTime time.Time
	Format  Format
}

// Scan walks fsys and returns the files to ingest, sorted by path, and the
// files it skips with the reason: unreadable, over maxBytes or of an
// unsupported type. Hidden files and folders are passed over silently, and
// Include/Exclude and Ignore (by default the folder's .docentignore) from
// opt apply.
func Scan(fsys fs.FS, opt FolderOptions, maxBytes int64) (files []File, skipped []FileResult, err error) {
	record := func(r FileResult) { skipped = append(skipped, r) }
	if opt.Ignore == nil {
		opt.Ignore = readIgnore(fsys)
	}
	err = fs.WalkDir(fsys, ".", func(rel string, e fs.DirEntry, err error) error {
		if err != nil {
			record(FileResult{Path: rel, Outcome: Skipped, Reason: "cannot be read"})
			if e != nil && e.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if rel != "." && strings.HasPrefix(e.Name(), ".") {
			if e.IsDir() {
				return fs.SkipDir
			}
			return nil // hidden files are not listed
		}
		if rel != "." && opt.Ignore.Match(rel, e.IsDir()) {
			if e.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if e.IsDir() || !e.Type().IsRegular() || !selected(rel, opt) {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			record(FileResult{Path: rel, Outcome: Skipped, Reason: "cannot be read"})
			return nil
		}
		if info.Size() > maxBytes {
			record(FileResult{Path: rel, Outcome: Skipped, Reason: ErrTooLarge.Error()})
			return nil
		}
		format, err := detectIn(fsys, rel)
		if err != nil {
			record(FileResult{Path: rel, Outcome: Skipped, Reason: ReasonDetail(err)})
			return nil
		}
		files = append(files, File{Path: rel, Size: info.Size(), ModTime: info.ModTime(), Format: format})
		return nil
	})
	return files, skipped, err
}

// selected applies the include and exclude globs.
func selected(rel string, opt FolderOptions) bool {
	match := func(globs []string) bool {
		for _, g := range globs {
			if ok, _ := path.Match(g, rel); ok {
				return true
			}
			if ok, _ := path.Match(g, path.Base(rel)); ok {
				return true
			}
		}
		return false
	}
	if len(opt.Include) > 0 && !match(opt.Include) {
		return false
	}
	return !match(opt.Exclude)
}

// detectIn sniffs the format of a file in fsys.
func detectIn(fsys fs.FS, rel string) (Format, error) {
	f, err := fsys.Open(rel)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, SniffLen)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", err
	}
	if n == 0 {
		return "", ErrEmpty
	}
	if ra, ok := f.(io.ReaderAt); ok && bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		if st, err := f.Stat(); err == nil {
			if format, err := DetectReader(rel, ra, st.Size()); !errors.Is(err, ErrCorrupt) {
				return format, err // an archive by its members
			}
		}
	}
	return Detect(rel, head[:n])
}

// ingestFile brings one file's document up to date.
func (p *Pipeline) ingestFile(ctx context.Context, fsys fs.FS, f File, opt FolderOptions) FileResult {
	res := FileResult{Path: f.Path}
	raw, err := fs.ReadFile(fsys, f.Path)
	if err != nil {
		res.Outcome, res.Reason = Failed, "cannot be read"
		return res
	}
	sum := sha256.Sum256(raw)
	sha := hex.EncodeToString(sum[:])
	docPath := path.Join(opt.Root, f.Path)

	d, err := p.db.DocumentByPath(ctx, opt.Owner, docPath)
	switch {
	case err == nil && d.SHA256 == sha && d.Status == store.StatusReady:
		res.Outcome, res.Chunks = Unchanged, 0
		return res
	case err == nil && d.SHA256 == sha:
		// A failed or interrupted earlier attempt: process it again.
	default:
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			res.Outcome, res.Reason = Failed, ReasonDetail(err)
			return res
		}
		nd := store.Document{Owner: opt.Owner, Filename: path.Base(f.Path), Path: docPath, Folder: opt.Root,
			ContentType: ContentType(f.Format), Format: string(f.Format), Size: int64(len(raw)), SHA256: sha,
			Workspace: opt.Workspace}
		if err == nil { // a changed file replaces its old version
			nd.Replaces = d.ID
			if d.Status != store.StatusReady {
				nd.Replaces = d.Replaces
				p.db.DeleteDocumentByID(ctx, d.ID)
			}
		}
		existing, dup, err := p.db.CreateDocument(ctx, &nd)
		if err != nil {
			res.Outcome, res.Reason = Failed, ReasonDetail(err)
			return res
		}
		if dup {
			res.Outcome, res.Reason = Unchanged, "same content as "+existing.Filename
			return res
		}
		d = nd
	}
	replacing := d.Replaces != 0
	if err := p.Process(ctx, &d, bytes.NewReader(raw), int64(len(raw))); err != nil {
		res.Outcome, res.Reason = Failed, ReasonDetail(err)
		if ctx.Err() != nil {
			res.Reason = "interrupted; run again to resume"
		}
		return res
	}
	res.Outcome, res.Chunks = Added, d.Chunks
	if replacing {
		res.Outcome = Updated
	}
	return res
}

// prune deletes the documents of opt.Root whose file is no longer there.
func (p *Pipeline) prune(ctx context.Context, files []File, opt FolderOptions, record func(FileResult)) error {
	present := make(map[string]bool, len(files))
	for _, f := range files {
		present[path.Join(opt.Root, f.Path)] = true
	}
	docs, err := p.db.OwnedDocuments(ctx, opt.Owner)
	if err != nil {
		return err
	}
	prefix := strings.TrimSuffix(opt.Root, "/") + "/"
	if opt.Root == "" {
		prefix = ""
	}
	for _, d := range docs {
		if d.Path == "" || present[d.Path] || !strings.HasPrefix(d.Path, prefix) || attachmentOf(d.Path, present) {
			continue
		}
		if _, err := p.ix.Delete(ctx, store.Viewer{UserID: d.Owner, Admin: true}, d.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		record(FileResult{Path: strings.TrimPrefix(d.Path, prefix), Outcome: Pruned})
	}
	return nil
}

// readIgnore reads the folder's .docentignore, if any (at most 1 MiB).
func readIgnore(fsys fs.FS) *Ignore {
	f, err := fsys.Open(IgnoreFile)
	if err != nil {
		return nil
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 1<<20))
	return ParseIgnore(string(b))
}

// eachFile calls fn for every file, workers at a time, until ctx is done.
func eachFile(ctx context.Context, files []File, workers int, fn func(File)) {
	jobs := make(chan File)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for f := range jobs {
				fn(f)
			}
		})
	}
feed:
	for _, f := range files {
		select {
		case jobs <- f:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
}
