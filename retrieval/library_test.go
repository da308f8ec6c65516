package retrieval

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"docent/store"
)

// libraryWithDocs returns a loaded library over a store holding n small
// documents of owner 1.
func libraryWithDocs(t *testing.T, n int) (*Library, *store.DB) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir(), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	lib := NewLibrary(db, NewBuiltin(0), LibraryOptions{})
	for i := range n {
		d := store.Document{Owner: 1, Filename: fmt.Sprintf("d%d.txt", i), SHA256: fmt.Sprintf("%064x", i+1)}
		db.CreateDocument(ctx, &d)
		chunks := []store.Chunk{
			{Text: fmt.Sprintf("Document %d talks about topic %d and river %d.", i, i%7, i%3)},
			{Text: fmt.Sprintf("A second passage of document %d mentions mountains.", i), Start: 60, End: 110},
		}
		if err := lib.Add(ctx, &d, chunks, nil); err != nil {
			t.Fatal(err)
		}
	}
	return lib, db
}

func TestLibraryVerifyMatchesStore(t *testing.T) {
	lib, db := libraryWithDocs(t, 12)
	ctx := context.Background()
	diffs, err := lib.Verify(ctx, nil)
	if err != nil || len(diffs) != 0 {
		t.Fatalf("consistent library: %v %v", diffs, err)
	}
	// A chunk the store lost behind the index's back.
	if err := db.DeleteDocumentByID(ctx, 3); err != nil {
		t.Fatal(err)
	}
	diffs, _ = lib.Verify(ctx, []string{"topic river"})
	if len(diffs) == 0 {
		t.Error("Verify missed a document deleted from the store only")
	}
}

func TestLibraryRestartRebuildsTheSameIndex(t *testing.T) {
	lib, db := libraryWithDocs(t, 20)
	ctx := context.Background()
	again := NewLibrary(db, NewBuiltin(0), LibraryOptions{})
	if n, err := again.Load(ctx); err != nil || n != 40 {
		t.Fatalf("load: %d %v", n, err)
	}
	v := store.Viewer{UserID: 1}
	for _, q := range []string{"river mountains", "document 7 topic", "second passage"} {
		a, _ := lib.Search(ctx, v, SearchRequest{Text: q, TopK: 5})
		b, _ := again.Search(ctx, v, SearchRequest{Text: q, TopK: 5})
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%q: live %v\nrebuilt %v", q, a, b)
		}
	}
}

// otherEmbedder is a built-in embedder under another id.
type otherEmbedder struct{ *Builtin }

func (otherEmbedder) ID() string { return "other/v9/256" }

func TestEmbedderMismatchNamesReindex(t *testing.T) {
	_, db := libraryWithDocs(t, 1)
	lib := NewLibrary(db, otherEmbedder{NewBuiltin(0)}, LibraryOptions{})
	_, err := lib.Load(context.Background())
	if !errors.Is(err, ErrEmbedderChanged) || !strings.Contains(err.Error(), "docent reindex") {
		t.Errorf("mismatch error: %v", err)
	}
}

func TestLibraryReusesStoredVectors(t *testing.T) {
	lib, db := libraryWithDocs(t, 1)
	ctx := context.Background()
	counting := &countingEmbedder{Embedder: NewBuiltin(0)}
	lib2 := NewLibrary(db, counting, LibraryOptions{})
	d := store.Document{Owner: 1, Filename: "copy.txt", SHA256: fmt.Sprintf("%064x", 999)}
	db.CreateDocument(ctx, &d)
	chunks := []store.Chunk{{Text: "Document 0 talks about topic 0 and river 0."}, {Text: "A brand new passage."}}
	if err := lib2.Add(ctx, &d, chunks, nil); err != nil {
		t.Fatal(err)
	}
	if counting.texts != 1 {
		t.Errorf("embedded %d passages; the known one should come from the store", counting.texts)
	}
	_ = lib
}

type countingEmbedder struct {
	Embedder
	texts int
}

func (c *countingEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	c.texts += len(texts)
	return c.Embedder.Embed(ctx, texts)
}
