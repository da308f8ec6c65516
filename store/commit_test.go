package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// bigChunks makes n chunks of about 600 bytes of text with vectors of
// 256 dimensions: about 700 bytes of chunk record each, so 1,500 pass
// stageBytes.
func bigChunks(prefix string, n int) ([]Chunk, map[[16]byte][]float32) {
	chunks := make([]Chunk, n)
	vecs := map[[16]byte][]float32{}
	for i := range chunks {
		text := fmt.Sprintf("%s passage %d: %s", prefix, i, strings.Repeat("words of a passage ", 30))
		h := TextHash(text)
		chunks[i] = Chunk{Text: text, Start: i * 600, End: i*600 + len(text), Headings: []string{"Part", prefix},
			Terms: []byte(strings.Repeat("t", 40)), TextHash: h}
		v := make([]float32, 256)
		v[i%256] = float32(i + 1)
		vecs[h] = v
	}
	return chunks, vecs
}

// lastTx is the id of the store's last write transaction.
func lastTx(t *testing.T, db *DB) int {
	t.Helper()
	var id int
	db.bolt.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil })
	return id
}

// checkClean fails unless Check finds nothing wrong and no document is
// noted as staged.
func checkClean(t *testing.T, db *DB) {
	t.Helper()
	r, err := db.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) > 0 {
		t.Errorf("check: %+v", r.Problems)
	}
	if n := countKeys(t, db, bucketStaged); n != 0 {
		t.Errorf("%d documents still noted as staged", n)
	}
}

func newDoc(t *testing.T, db *DB, name string) *Document {
	t.Helper()
	d := &Document{Owner: 1, Filename: name, SHA256: sha(name)}
	if _, _, err := db.CreateDocument(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	return d
}

// A large document is written in several transactions, and ends up as
// if written in one; a ready document committed again is replaced in
// one transaction, since readers see it.
func TestLargeCommitIsWrittenInSteps(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	d := newDoc(t, db, "big.md")
	chunks, vecs := bigChunks("big", 4000)
	before := lastTx(t, db)
	if err := db.Commit(ctx, d, chunks, vecs); err != nil {
		t.Fatal(err)
	}
	if txs := lastTx(t, db) - before; txs < 3 {
		t.Errorf("%d chunks written in %d transactions", len(chunks), txs)
	}
	got, err := db.Chunks(ctx, d.ID)
	if err != nil || len(got) != len(chunks) {
		t.Fatalf("%d chunks stored of %d: %v", len(got), len(chunks), err)
	}
	for i := range got {
		if got[i].Text != chunks[i].Text || got[i].Index != i || got[i].DocumentID != d.ID {
			t.Fatalf("chunk %d: %+v", i, got[i])
		}
	}
	if stored, _ := db.DocumentByID(ctx, d.ID); stored.Status != StatusReady || stored.Chunks != len(chunks) {
		t.Errorf("after commit: %+v", stored)
	}
	indexed := 0
	db.ForEachChunk(ctx, func(c *IndexedChunk) error {
		if len(c.Vector) != 256 || c.Vector[c.Index%256] != float32(c.Index+1) {
			t.Fatalf("chunk %d has vector %v…", c.Index, c.Vector[:4])
		}
		indexed++
		return nil
	})
	if indexed != len(chunks) {
		t.Errorf("%d chunks indexed of %d", indexed, len(chunks))
	}
	checkClean(t, db)

	again, avecs := bigChunks("again", 1500)
	before = lastTx(t, db)
	if err := db.Commit(ctx, d, again, avecs); err != nil {
		t.Fatal(err)
	}
	if txs := lastTx(t, db) - before; txs != 1 {
		t.Errorf("a ready document committed again in %d transactions", txs)
	}
	if got, _ := db.Chunks(ctx, d.ID); len(got) != len(again) || got[0].Text != again[0].Text {
		t.Errorf("after the second commit: %d chunks", len(got))
	}
	checkClean(t, db)
	if n := countKeys(t, db, bucketVectors); n != len(again) {
		t.Errorf("%d vectors stored for %d passages", n, len(again))
	}
}

// A crash between the steps leaves staged chunks that no reader sees;
// opening the store again removes them, and the document can be
// committed afresh.
func TestStagedChunksAreRemovedAtOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	d := newDoc(t, db, "crashed.md")
	chunks, vecs := bigChunks("crashed", 2000)
	staged, err := db.stage(ctx, d, chunks) // and then the process dies
	if err != nil || staged == 0 || staged == len(chunks) {
		t.Fatalf("staged %d of %d: %v", staged, len(chunks), err)
	}
	if got, _ := db.Chunks(ctx, d.ID); len(got) != staged {
		t.Fatalf("%d chunks staged, %d stored", staged, len(got))
	}
	db.ForEachChunk(ctx, func(*IndexedChunk) error {
		t.Fatal("a staged chunk was read as indexed")
		return nil
	})
	db.Close()

	db, err = Open(ctx, dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got, _ := db.Chunks(ctx, d.ID); len(got) != 0 {
		t.Errorf("%d staged chunks left after opening again", len(got))
	}
	if n := countKeys(t, db, bucketVectors); n != 0 {
		t.Errorf("%d vectors left after opening again", n)
	}
	if stored, _ := db.DocumentByID(ctx, d.ID); stored.Status != StatusQueued {
		t.Errorf("the interrupted document is %s, want it left to the pipeline", stored.Status)
	}
	checkClean(t, db)
	if err := db.Commit(ctx, d, chunks, vecs); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Chunks(ctx, d.ID); len(got) != len(chunks) {
		t.Errorf("%d chunks after committing again, want %d", len(got), len(chunks))
	}
	checkClean(t, db)
}

// A staged commit that fails at its last step, or whose document is
// deleted meanwhile, leaves no chunk and no vector behind.
func TestFailedStagedCommitLeavesNothing(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	d := newDoc(t, db, "over.md")
	chunks, vecs := bigChunks("over", 2000)
	d.Limit = &Quota{Chunks: int64(len(chunks) - 1)}
	var qe *QuotaError
	if err := db.Commit(ctx, d, chunks, vecs); !errors.As(err, &qe) {
		t.Fatalf("commit over the chunk quota: %v", err)
	}
	if got, _ := db.Chunks(ctx, d.ID); len(got) != 0 {
		t.Errorf("%d chunks left by a refused commit", len(got))
	}
	if n := countKeys(t, db, bucketVectors); n != 0 {
		t.Errorf("%d vectors left by a refused commit", n)
	}
	checkClean(t, db)

	gone := newDoc(t, db, "gone.md")
	if _, err := db.stage(ctx, gone, chunks); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteDocumentByID(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.Commit(ctx, gone, chunks, vecs); !errors.Is(err, ErrNotFound) {
		t.Errorf("commit of a deleted document: %v", err)
	}
	if n := countKeys(t, db, bucketChunks); n != 0 {
		t.Errorf("%d chunks left of a deleted document", n)
	}
	checkClean(t, db)
}
