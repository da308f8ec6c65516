package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"docent/retrieval"
	"docent/store"
)

// testPipeline is a pipeline over a fresh store with the built-in embedder.
func testPipeline(t *testing.T) (*Pipeline, *store.DB, *retrieval.Library) {
	t.Helper()
	db, err := store.Open(context.Background(), t.TempDir(), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	lib := retrieval.NewLibrary(db, retrieval.NewBuiltin(0), retrieval.LibraryOptions{})
	p, err := NewPipeline(db, lib, filepath.Join(db.Dir(), "uploads"), Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	return p, db, lib
}

// start runs the pipeline's workers until the test ends.
func start(t *testing.T, p *Pipeline) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); p.Close() })
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
}

// spooled writes data as a temporary upload and describes it.
func spooled(t *testing.T, p *Pipeline, name string, data []byte) Upload {
	t.Helper()
	f, err := p.TempFile()
	if err != nil {
		t.Fatal(err)
	}
	f.Write(data)
	f.Close()
	sum := sha256.Sum256(data)
	format, err := Detect(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return Upload{Owner: 7, Filename: name, Format: format, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), TempPath: f.Name()}
}

func TestSubmitWaitAndDedupe(t *testing.T) {
	p, _, lib := testPipeline(t)
	start(t, p)
	ctx := context.Background()
	up := spooled(t, p, "notes.md", []byte("# Notes\n\nThe quarterly review is on Friday.\n"))
	d, dup, err := p.Submit(ctx, up)
	if err != nil || dup {
		t.Fatalf("submit: %v dup=%v", err, dup)
	}
	d, err = p.Wait(ctx, d.ID)
	if err != nil || d.Status != store.StatusReady || d.Chunks == 0 {
		t.Fatalf("after wait: %+v %v", d, err)
	}
	if _, err := os.Stat(up.TempPath); !os.IsNotExist(err) {
		t.Error("the temporary upload was left behind")
	}
	again := spooled(t, p, "copy.md", []byte("# Notes\n\nThe quarterly review is on Friday.\n"))
	existing, dup, err := p.Submit(ctx, again)
	if err != nil || !dup || existing.ID != d.ID {
		t.Errorf("same bytes: dup=%v id=%d err=%v", dup, existing.ID, err)
	}
	hits, _ := lib.Search(ctx, store.Viewer{UserID: 7}, retrieval.SearchRequest{Text: "quarterly review Friday", TopK: 3})
	if len(hits) != 1 {
		t.Errorf("the duplicate was indexed twice or not at all: %+v", hits)
	}
}

func TestFailuresAreReadable(t *testing.T) {
	p, _, _ := testPipeline(t)
	start(t, p)
	ctx := context.Background()
	up := spooled(t, p, "scan.pdf", makePDF(pdfSpec{pages: []string{"0.5 g 72 72 400 600 re f"}}))
	d, _, _ := p.Submit(ctx, up)
	d, _ = p.Wait(ctx, d.ID)
	if d.Status != store.StatusFailed || d.Error != ErrNoText.Error() {
		t.Errorf("image-only PDF: %s %q", d.Status, d.Error)
	}
}

func TestStartResumesInterruptedDocuments(t *testing.T) {
	p, db, _ := testPipeline(t)
	ctx := context.Background()
	// A crash left one document queued with its upload spooled, and one
	// processing whose upload is gone.
	up := spooled(t, p, "kept.txt", []byte("Spooled text survives a crash."))
	kept := store.Document{Owner: 7, Filename: "kept.txt", Format: string(Text), SHA256: up.SHA256, Size: up.Size}
	db.CreateDocument(ctx, &kept)
	os.Rename(up.TempPath, p.spoolPath(kept.ID))
	lost := store.Document{Owner: 7, Filename: "lost.txt", Format: string(Text), SHA256: hex.EncodeToString(make([]byte, 32)), Status: store.StatusProcessing}
	db.CreateDocument(ctx, &lost)

	start(t, p)
	d, err := p.Wait(ctx, kept.ID)
	if err != nil || d.Status != store.StatusReady {
		t.Errorf("spooled document after restart: %+v %v", d, err)
	}
	l, _ := db.DocumentByID(ctx, lost.ID)
	if l.Status != store.StatusFailed || l.Error == "" {
		t.Errorf("document without its upload: %+v", l)
	}
}

func TestDeletedWhileQueuedStaysDeleted(t *testing.T) {
	p, db, lib := testPipeline(t)
	ctx := context.Background()
	d, _, _ := p.Submit(ctx, spooled(t, p, "gone.txt", []byte("Delete me before indexing.")))
	if _, err := lib.Delete(ctx, store.Viewer{UserID: 7}, d.ID); err != nil {
		t.Fatal(err)
	}
	start(t, p)
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(p.spoolPath(d.ID)); os.IsNotExist(err) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := db.DocumentByID(ctx, d.ID); err == nil {
		t.Error("a deleted document came back")
	}
	if ids := lib.IndexedDocuments(); len(ids) != 0 {
		t.Errorf("indexed: %v", ids)
	}
}

func TestIngestFolderFromFS(t *testing.T) {
	p, _, lib := testPipeline(t)
	ctx := context.Background()
	fsys := fstest.MapFS{
		"a.md":           {Data: []byte("# A\n\nApples are red.\n")},
		"docs/b.txt":     {Data: []byte("Bananas are yellow.")},
		"docs/c.log":     {Data: []byte("Cherries are dark.")},
		".hidden/d.txt":  {Data: []byte("Hidden dates.")},
		"bin/e.exe":      {Data: []byte("MZ\x90\x00\x03\x00\x00\x00")},
		"docs/empty.txt": {Data: nil},
	}
	opt := FolderOptions{Owner: store.Shared, Root: "/lib", Exclude: []string{"*.log"}}
	sum, err := p.IngestFolder(ctx, fsys, opt)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Count(Added) != 2 || sum.Count(Skipped) != 2 || sum.Count(Failed) != 0 {
		t.Fatalf("first run: %+v", sum.Files)
	}
	sum, _ = p.IngestFolder(ctx, fsys, opt)
	if sum.Count(Unchanged) != 2 || sum.Count(Added) != 0 {
		t.Errorf("second run: %+v", sum.Files)
	}
	fsys["a.md"] = &fstest.MapFile{Data: []byte("# A\n\nApricots are orange.\n")}
	delete(fsys, "docs/b.txt")
	opt.Prune = true
	sum, _ = p.IngestFolder(ctx, fsys, opt)
	if sum.Count(Updated) != 1 || sum.Count(Pruned) != 1 {
		t.Errorf("third run: %+v", sum.Files)
	}
	for q, wantHit := range map[string]bool{"apricots orange": true, "apples red": false, "bananas yellow": false} {
		hits, _ := lib.Search(ctx, store.Viewer{}, retrieval.SearchRequest{Text: q, TopK: 1, Mode: retrieval.ModeKeyword})
		if got := len(hits) > 0; got != wantHit {
			t.Errorf("search %q: hits %+v, want found=%v", q, hits, wantHit)
		}
	}
}

func TestStartSweepsCrashLeftovers(t *testing.T) {
	p, db, _ := testPipeline(t)
	ctx := context.Background()
	cut, _ := os.CreateTemp(p.spool, "incoming-*") // an upload cut by a crash before it was submitted
	cut.Close()
	done := store.Document{Owner: 7, Filename: "done.txt", SHA256: hex.EncodeToString(make([]byte, 32)), Status: store.StatusReady}
	db.CreateDocument(ctx, &done)
	os.WriteFile(p.spoolPath(done.ID), []byte("indexed before the crash removed it"), 0o600)
	fresh, _ := p.TempFile() // an upload arriving right now
	fresh.Close()

	start(t, p)
	if _, err := os.Stat(cut.Name()); !os.IsNotExist(err) {
		t.Error("a cut upload was left in the spool")
	}
	if _, err := os.Stat(p.spoolPath(done.ID)); !os.IsNotExist(err) {
		t.Error("the file of an indexed document was left in the spool")
	}
	if _, err := os.Stat(fresh.Name()); err != nil {
		t.Error("an upload in flight was removed")
	}
}

func TestSubmittedBeforeStartIsProcessedOnce(t *testing.T) {
	p, _, _ := testPipeline(t)
	ctx := context.Background()
	d, _, _ := p.Submit(ctx, spooled(t, p, "early.txt", []byte("Uploaded while the index was loading.")))
	start(t, p)
	d, err := p.Wait(ctx, d.ID)
	if err != nil || d.Status != store.StatusReady {
		t.Errorf("document submitted before Start: %+v %v", d, err)
	}
}

// failingIndexer fails every Add the way a remote embedder does: with an
// error naming the server's address.
type failingIndexer struct{ Indexer }

func (failingIndexer) Add(context.Context, *store.Document, []store.Chunk, func(int, int)) error {
	return errors.New(`cannot reach Ollama at http://10.1.2.3:11434/api/embed (dial tcp 10.1.2.3:11434: connect: connection refused)`)
}

// A failure that is not about the file is reported without the server's
// internals on the document (which every reader sees), and in full to the
// operator running a folder ingest.
func TestUnexplainedFailuresKeepInternalsOutOfTheDocument(t *testing.T) {
	_, db, lib := testPipeline(t)
	p, err := NewPipeline(db, failingIndexer{lib}, filepath.Join(db.Dir(), "uploads"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	start(t, p)
	ctx := context.Background()
	d, _, err := p.Submit(ctx, spooled(t, p, "notes.md", []byte("# Notes\n\nThe review is on Friday.\n")))
	if err != nil {
		t.Fatal(err)
	}
	d, _ = p.Wait(ctx, d.ID)
	if d.Status != store.StatusFailed || d.Error == "" || strings.Contains(d.Error, "10.1.2.3") || strings.Contains(d.Error, "dial") {
		t.Errorf("failed document: %s %q", d.Status, d.Error)
	}
	sum, _ := p.IngestFolder(ctx, fstest.MapFS{"a.md": {Data: []byte("# A\n\nApples.\n")}}, FolderOptions{Root: "/srv/lib"})
	if len(sum.Files) != 1 || !strings.Contains(sum.Files[0].Reason, "10.1.2.3") {
		t.Errorf("the operator's summary lost the cause: %+v", sum.Files)
	}
	docs, _ := db.OwnedDocuments(ctx, store.Shared)
	if len(docs) != 1 || docs[0].Folder != "/srv/lib" || docs[0].Path != "/srv/lib/a.md" || strings.Contains(docs[0].Error, "10.1.2.3") {
		t.Errorf("folder document: %+v", docs)
	}
}

// slowIndexer commits like the Library (the store says ready) and then
// holds the document back from the index until released.
type slowIndexer struct {
	Indexer
	committed chan struct{}
	release   chan struct{}
}

func (s slowIndexer) Add(ctx context.Context, d *store.Document, chunks []store.Chunk, progress func(int, int)) error {
	err := s.Indexer.Add(ctx, d, chunks, progress)
	close(s.committed)
	<-s.release
	return err
}

// Wait returns only once the document is searchable, not when the store's
// transaction commits a moment before the index has it: a client that
// uploaded with ?wait=true and searches at once finds its document.
func TestWaitReturnsOnceTheDocumentIsSearchable(t *testing.T) {
	_, db, lib := testPipeline(t)
	slow := slowIndexer{Indexer: lib, committed: make(chan struct{}), release: make(chan struct{})}
	p, err := NewPipeline(db, slow, filepath.Join(db.Dir(), "uploads"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	start(t, p)
	var once sync.Once
	release := func() { once.Do(func() { close(slow.release) }) }
	t.Cleanup(release) // before the pipeline's cleanup waits for its worker
	ctx := context.Background()
	d, _, err := p.Submit(ctx, spooled(t, p, "notes.md", []byte("# Notes\n\nThe review is on Friday.\n")))
	if err != nil {
		t.Fatal(err)
	}
	<-slow.committed
	if stored, _ := db.DocumentByID(ctx, d.ID); stored.Status != store.StatusReady {
		t.Fatalf("the store says %s after the commit", stored.Status)
	}
	waited := make(chan store.Document, 1)
	go func() {
		d, _ := p.Wait(ctx, d.ID)
		waited <- d
	}()
	select {
	case d := <-waited:
		t.Fatalf("Wait returned %s before the worker finished", d.Status)
	case <-time.After(200 * time.Millisecond):
	}
	release()
	if d := <-waited; d.Status != store.StatusReady {
		t.Errorf("after the worker finished: %s", d.Status)
	}
}
