package store

import (
	"context"
	"testing"
)

// TestReleaseMemoryKeepsData: after the mapping's pages are dropped, every
// read still sees the data.
func TestReleaseMemoryKeepsData(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	d := Document{Owner: 1, Filename: "a.txt", SHA256: sha("a")}
	if _, _, err := db.CreateDocument(ctx, &d); err != nil {
		t.Fatal(err)
	}
	chunks, vecs := testChunks("alpha", 50)
	if err := db.Commit(ctx, &d, chunks, vecs); err != nil {
		t.Fatal(err)
	}
	if err := db.ReleaseMemory(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := db.Chunks(ctx, d.ID)
	if err != nil || len(got) != 50 || got[49].Text != "alpha passage 49" {
		t.Fatalf("after ReleaseMemory: %d chunks, %v", len(got), err)
	}
	more, vecs2 := testChunks("beta", 5)
	d2 := Document{Owner: 1, Filename: "b.txt", SHA256: sha("b")}
	db.CreateDocument(ctx, &d2)
	if err := db.Commit(ctx, &d2, more, vecs2); err != nil {
		t.Fatal(err)
	}
	if err := db.ReleaseMemory(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Chunks(ctx, d2.ID); len(got) != 5 {
		t.Fatalf("%d chunks", len(got))
	}
}
