package retrieval

import (
	"context"
	"slices"
	"testing"
)

// TestPersistedLibraryAnswersLikeAFreshBuild: a persisted library's
// index — segments mapped from files plus an in-memory tail, through
// additions, deletions in both, flushes, tiered merges, a segment
// rewritten for its dead chunks and a restart — answers every query in
// every mode, filter and variant exactly like an index built in memory
// from the same store at that moment (hits, order, scores, coverage and
// floor flags).
func TestPersistedLibraryAnswersLikeAFreshBuild(t *testing.T) {
	ctx := context.Background()
	db := persistedStore(t, 40)
	lib := openPersistedLibrary(t, db)
	gen := newSynthCorpus(11, 2000)
	var queries []string
	for i := range 10 {
		q := gen.query(2 + i%4)
		if i%5 == 4 {
			q += " " + gen.vocab[33] // a filename word: titles count
		}
		queries = append(queries, q)
	}
	check := func(stage string, wantSegs, wantTail bool) {
		t.Helper()
		segs, tail := segmentsAndTail(lib)
		if wantSegs && segs == 0 || wantTail && tail == 0 {
			t.Fatalf("%s: %d segments, %d chunks in the tail; the stage does not test what it should", stage, segs, tail)
		}
		fresh := NewIndex(lib.ix.Embedder(), lib.opt)
		if _, err := loadInto(ctx, db, fresh, db.IndexChunks); err != nil {
			t.Fatal(err)
		}
		if len(fresh.segs) != 0 {
			t.Fatalf("%s: the fresh index has segments", stage)
		}
		if !slices.Equal(fresh.ChunkIDs(), lib.ix.ChunkIDs()) {
			t.Fatalf("%s: the persisted index holds other chunks than the store", stage)
		}
		t.Run(stage, func(t *testing.T) { sameSearches(t, fresh, lib.ix, queries, nil) })
	}
	check("segments only", true, false)

	added := addDocs(t, lib, 100, 15)
	for _, id := range []uint64{2, 9, added[1], added[6]} { // in the segment and in the tail
		deleteDoc(t, lib, id)
	}
	check("segment and tail with deletions", true, true)

	if err := lib.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	check("flushed", true, false)

	flushes := 0
	for i := range mergeFactor + 2 {
		ids := addDocs(t, lib, 200+10*i, 4)
		deleteDoc(t, lib, ids[i%4])
		if i%2 == 0 {
			deleteDoc(t, lib, added[7+i/2])
		}
		if err := lib.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		flushes++
	}
	if segs, _ := segmentsAndTail(lib); segs >= 2+flushes {
		t.Fatalf("%d segments after %d flushes: none merged", segs, flushes)
	}
	check("merged", true, false)

	// Most of the first segment's documents deleted: it is rewritten.
	deleteMostOfFirstSegment(t, lib)
	addDocs(t, lib, 400, 3)
	check("many deletions in a segment, before the flush", true, true)
	if err := lib.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	check("many deletions in a segment, rewritten", true, false)

	addDocs(t, lib, 500, 5)
	deleteDoc(t, lib, added[0])
	lib.Close()
	lib = openPersistedLibrary(t, db)
	check("restarted with changes after the manifest", true, true)
}
