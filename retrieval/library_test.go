package retrieval

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"docent/store"
)

// emptyLibrary returns a library over a fresh store.
func emptyLibrary(t *testing.T) (*Library, *store.DB) {
	t.Helper()
	db, err := store.Open(context.Background(), t.TempDir(), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return NewLibrary(db, NewBuiltin(0), LibraryOptions{}), db
}

// libraryWithDocs returns a loaded library over a store holding n small
// documents of owner 1.
func libraryWithDocs(t *testing.T, n int) (*Library, *store.DB) {
	t.Helper()
	ctx := context.Background()
	lib, db := emptyLibrary(t)
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

// TestLibraryOneCopyOfIdenticalContent: the same file in a user's space and
// in the shared library fills one source slot, not two.
func TestLibraryOneCopyOfIdenticalContent(t *testing.T) {
	ctx := context.Background()
	lib, db := emptyLibrary(t)
	texts := []string{"Travel policy: the hotel limit in Geneva is 210 euros per night.", "Meals abroad are reimbursed up to 60 euros a day."}
	for i, owner := range []uint64{store.Shared, 5} {
		d := store.Document{Owner: owner, Filename: "policy.txt", SHA256: fmt.Sprintf("%064x", i+1)}
		if _, _, err := db.CreateDocument(ctx, &d); err != nil {
			t.Fatal(err)
		}
		chunks := []store.Chunk{{Text: texts[0], Start: 0, End: 64}, {Text: texts[1], Start: 200, End: 250}}
		if err := lib.Add(ctx, &d, chunks, nil); err != nil {
			t.Fatal(err)
		}
	}
	res, err := lib.Search(ctx, store.Viewer{UserID: 5}, SearchRequest{Text: "hotel limit Geneva euros", TopK: 5})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range res {
		seen[r.Text]++
	}
	for text, n := range seen {
		if n > 1 {
			t.Errorf("%q returned %d times: %+v", text, n, res)
		}
	}
	if seen[texts[0]] != 1 {
		t.Errorf("the answer is missing: %+v", res)
	}
}

// TestLibraryMergedPassage: a chunk that overlaps the best one is not
// hidden but joined to it: one passage with the overlap written once, its
// pages and chunks, and the document's title.
func TestLibraryMergedPassage(t *testing.T) {
	ctx := context.Background()
	lib, db := emptyLibrary(t)
	doc := "Location: Belen, New Mexico. The pilot was landing on runway 21 with light winds. " +
		"The probable cause of this accident was the pilot's loss of directional control during landing."
	cut := strings.Index(doc, "The pilot")
	d := store.Document{Owner: store.Shared, Filename: "ntsb-report.pdf", Title: "Aviation Accident Final Report", SHA256: fmt.Sprintf("%064x", 1)}
	if _, _, err := db.CreateDocument(ctx, &d); err != nil {
		t.Fatal(err)
	}
	chunks := []store.Chunk{
		{Text: doc[:cut+20], Start: 0, End: cut + 20, Page: 1},
		{Text: doc[cut:], Start: cut, End: len(doc), Page: 2},
	}
	if err := lib.Add(ctx, &d, chunks, nil); err != nil {
		t.Fatal(err)
	}
	res, err := lib.Search(ctx, store.Viewer{}, SearchRequest{Text: "What was the probable cause of the accident in Belen, New Mexico?", TopK: 3})
	if err != nil || len(res) != 1 {
		t.Fatalf("search: %+v %v", res, err)
	}
	r := res[0]
	if r.Text != doc {
		t.Errorf("passage text %q, want the document once", r.Text)
	}
	if r.Page != 1 || r.EndPage != 2 || len(r.ChunkIndexes) != 2 || r.Title != "Aviation Accident Final Report" {
		t.Errorf("passage %+v", r)
	}
}
