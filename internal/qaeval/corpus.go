package qaeval

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"time"

	"docent/ingest"
	"docent/retrieval"
	"docent/store"
)

// Options configure how a Corpus is ingested and indexed. The zero value
// is docent's defaults.
type Options struct {
	Embedder retrieval.Embedder // nil: the built-in embedder
	Index    retrieval.Options
	Chunking ingest.ChunkOptions
	// Include, when set, ingests only the files matching one of these
	// globs; Exclude lists globs of files not to ingest besides the
	// question files (*.jsonl are never ingested).
	Include, Exclude []string
}

// Corpus is a folder of files ingested into a temporary data directory.
type Corpus struct {
	// Library searches the corpus (its index loaded); Reindex replaces it.
	Library *retrieval.Library
	// Indexing is how long the ingest took.
	Indexing time.Duration

	db    *store.DB
	tmp   string
	emb   retrieval.Embedder
	files map[uint64]string // document id → slash path relative to the folder
}

// ErrEmpty is returned when a folder holds no file that could be ingested.
var ErrEmpty = errors.New("qaeval: no document could be ingested")

// Open ingests every supported file under dir (recursively, except
// question files) into a fresh temporary store as shared-library
// documents. Close removes it.
func Open(ctx context.Context, dir string, opt Options) (*Corpus, error) {
	tmp, err := os.MkdirTemp("", "docent-qaeval-")
	if err != nil {
		return nil, err
	}
	c := &Corpus{tmp: tmp, emb: opt.Embedder, files: map[uint64]string{}}
	if c.emb == nil {
		c.emb = retrieval.NewBuiltin(0)
	}
	if err := c.ingest(ctx, dir, opt); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Corpus) ingest(ctx context.Context, dir string, opt Options) error {
	db, err := store.Open(ctx, filepath.Join(c.tmp, "data"), store.Options{NoSync: true})
	if err != nil {
		return err
	}
	c.db = db
	c.Library = retrieval.NewLibrary(db, c.emb, retrieval.LibraryOptions{Index: opt.Index})
	pipe, err := ingest.NewPipeline(db, c.Library, filepath.Join(c.tmp, "spool"), ingest.Options{Chunking: opt.Chunking})
	if err != nil {
		return err
	}
	start := time.Now()
	sum, err := pipe.IngestFolder(ctx, os.DirFS(dir), ingest.FolderOptions{
		Include: opt.Include, Exclude: append([]string{"*.jsonl"}, opt.Exclude...), Workers: 2})
	if err != nil {
		return fmt.Errorf("ingest %s: %w", dir, err)
	}
	c.Indexing = time.Since(start)
	docs, err := db.Documents(ctx, store.Shared, 0, 1<<30)
	if err != nil {
		return err
	}
	for _, d := range docs {
		if d.Status == store.StatusReady {
			c.files[d.ID] = relPath(d)
		}
	}
	if len(c.files) == 0 {
		return fmt.Errorf("%w from %s (%d files failed)", ErrEmpty, dir, sum.Count(ingest.Failed))
	}
	return nil
}

// relPath is a document's path relative to the ingested folder (the
// folder ingest runs without a Root, so paths are relative).
func relPath(d store.Document) string {
	if d.Path == "" {
		return d.Filename
	}
	return path.Clean(d.Path)
}

// Reindex rebuilds the in-memory index from the store with other index
// options (for comparing settings on one ingest).
func (c *Corpus) Reindex(ctx context.Context, opt retrieval.Options) error {
	lib := retrieval.NewLibrary(c.db, c.emb, retrieval.LibraryOptions{Index: opt})
	if _, err := lib.Load(ctx); err != nil {
		return err
	}
	c.Library = lib
	return nil
}

// DB returns the corpus's store.
func (c *Corpus) DB() *store.DB { return c.db }

// Documents returns the number of ingested documents.
func (c *Corpus) Documents() int { return len(c.files) }

// File returns the path, relative to the folder, of document id.
func (c *Corpus) File(id uint64) string { return c.files[id] }

// Close removes the temporary data directory.
func (c *Corpus) Close() error {
	var err error
	if c.db != nil {
		err = c.db.Close()
	}
	return errors.Join(err, os.RemoveAll(c.tmp))
}
