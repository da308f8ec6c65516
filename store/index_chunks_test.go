package store

import (
	"context"
	"reflect"
	"testing"
)

// TestIndexChunksMatchesForEachChunk: the start-up fast path yields the
// same chunks, owners, terms and vectors as ForEachChunk, in the same
// order and in batches of the size asked, with text only for chunks
// without terms, and skips documents that are not ready.
func TestIndexChunksMatchesForEachChunk(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	for i, owner := range []uint64{Shared, 1, 2} {
		d := Document{Owner: owner, Filename: "f.txt", SHA256: sha(string(rune('a' + i)))}
		if _, _, err := db.CreateDocument(ctx, &d); err != nil {
			t.Fatal(err)
		}
		chunks, vecs := testChunks(d.SHA256[:6], 5)
		chunks[2].Terms = nil // analysed again from the text at load
		if err := db.Commit(ctx, &d, chunks, vecs); err != nil {
			t.Fatal(err)
		}
	}
	queued := Document{Owner: 1, Filename: "q.txt", SHA256: sha("queued")}
	if _, _, err := db.CreateDocument(ctx, &queued); err != nil {
		t.Fatal(err)
	}
	var want []IndexedChunk
	err := db.ForEachChunk(ctx, func(c *IndexedChunk) error {
		cp := *c
		cp.Headings = nil
		if len(cp.Terms) > 0 {
			cp.Text = ""
		}
		want = append(want, cp)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []IndexedChunk
	var sizes []int
	err = db.IndexChunks(ctx, 4, func(batch []IndexedChunk) error {
		sizes = append(sizes, len(batch))
		got = append(got, batch...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sizes, []int{4, 4, 4, 3}) {
		t.Errorf("batch sizes %v", sizes)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("IndexChunks:\n%+v\nForEachChunk:\n%+v", got, want)
	}
	if got[2].Text == "" || got[0].Text != "" {
		t.Errorf("text read for a chunk with terms, or not for one without")
	}
}
