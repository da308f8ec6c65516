package retrieval

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"docent/store"
)

// persistedStore returns a store with n documents of a few chunks each
// (owners 0 and 1), committed through a Library without persistence.
func persistedStore(t *testing.T, n int) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), t.TempDir(), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	addDocs(t, NewLibrary(db, NewBuiltin(0), LibraryOptions{}), 0, n)
	return db
}

// addDocs commits documents first..first+n through lib.
func addDocs(t *testing.T, lib *Library, first, n int) []uint64 {
	t.Helper()
	ctx := context.Background()
	gen := newSynthCorpus(uint64(first+1), 2000)
	var ids []uint64
	for i := first; i < first+n; i++ {
		d := store.Document{Owner: uint64(i % 2), Filename: fmt.Sprintf("%s-%d.txt", gen.vocab[30+i%40], i), SHA256: fmt.Sprintf("%064x", i+1)}
		if _, _, err := lib.db.(*store.DB).CreateDocument(ctx, &d); err != nil {
			t.Fatal(err)
		}
		var chunks []store.Chunk
		for c := range 1 + i%4 {
			chunks = append(chunks, store.Chunk{Text: gen.text(300), Start: c * 250, End: c*250 + 300, Page: 1 + c/2})
		}
		if err := lib.Add(ctx, &d, chunks, nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	return ids
}

// deleteDoc deletes document id through lib as its owner.
func deleteDoc(t *testing.T, lib *Library, id uint64) {
	t.Helper()
	ctx := context.Background()
	d, err := lib.db.(*store.DB).DocumentByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Delete(ctx, store.Viewer{UserID: d.Owner, Admin: true}, id); err != nil {
		t.Fatal(err)
	}
}

// openPersistedLibrary loads a persisted library over db.
func openPersistedLibrary(t *testing.T, db *store.DB) *Library {
	t.Helper()
	return openPersistedLibraryLog(t, db, slog.New(slog.DiscardHandler))
}

// openPersistedLibraryLog loads a persisted library over db logging to log.
func openPersistedLibraryLog(t *testing.T, db *store.DB, log *slog.Logger) *Library {
	t.Helper()
	lib := NewLibrary(db, NewBuiltin(0), LibraryOptions{Persist: true, Log: log})
	if _, err := lib.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	return lib
}

// verify fails unless lib's index equals one rebuilt from the store,
// for sampled passages and these queries, owners 0 and 1 included.
func verify(t *testing.T, lib *Library) {
	t.Helper()
	gen := newSynthCorpus(99, 2000)
	queries := []string{gen.query(2), gen.query(3), gen.query(4), gen.vocab[35] + " " + gen.query(2)}
	for _, q := range [][]string{nil, queries} {
		diffs, err := lib.Verify(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(diffs) > 0 {
			t.Fatalf("the index differs from a rebuild: %v", diffs)
		}
	}
}

// segmentsAndTail returns how many segments the index has and how many
// chunks its tail holds.
func segmentsAndTail(lib *Library) (int, int) {
	lib.ix.mu.RLock()
	defer lib.ix.mu.RUnlock()
	return len(lib.ix.segs), lib.ix.kw.live()
}

// deleteMostOfFirstSegment deletes over half the documents of lib's
// first segment, enough for a flush to rewrite it.
func deleteMostOfFirstSegment(t *testing.T, lib *Library) {
	t.Helper()
	lib.ix.mu.RLock()
	s := lib.ix.segs[0]
	var docs []uint64
	for d := range s.nDocs {
		docs = append(docs, s.docID(d))
	}
	lib.ix.mu.RUnlock()
	for _, id := range docs[:len(docs)/2+1] {
		deleteDoc(t, lib, id)
	}
}

// TestPersistedIndexStartsFromSegments: the first start builds segments
// from the store; the next maps them and reads nothing else; both equal
// a rebuild.
func TestPersistedIndexStartsFromSegments(t *testing.T) {
	db := persistedStore(t, 60)
	first := openPersistedLibrary(t, db)
	if segs, tail := segmentsAndTail(first); segs != 1 || tail != 0 {
		t.Fatalf("after the first start: %d segments, %d chunks in the tail", segs, tail)
	}
	verify(t, first)
	first.Close()
	again := openPersistedLibrary(t, db)
	if segs, tail := segmentsAndTail(again); segs != 1 || tail != 0 {
		t.Fatalf("after a restart: %d segments, %d chunks in the tail", segs, tail)
	}
	verify(t, again)
}

// TestPersistedIndexReplaysChangesSinceItsManifest: documents added and
// deleted after the last flush, then a crash (no Close, no Flush): the
// next start reads just those from the store.
func TestPersistedIndexReplaysChangesSinceItsManifest(t *testing.T) {
	db := persistedStore(t, 40)
	lib := openPersistedLibrary(t, db)
	added := addDocs(t, lib, 100, 10)
	for _, id := range []uint64{3, 17, added[2]} {
		deleteDoc(t, lib, id)
	}
	verify(t, lib)
	lib.stop() // as if killed: nothing more is written
	<-lib.persisted
	lib.stop = nil
	again := openPersistedLibrary(t, db)
	if _, tail := segmentsAndTail(again); tail == 0 {
		t.Errorf("the documents added after the manifest are not in the tail")
	}
	verify(t, again)
	if !slices.Equal(again.ix.ChunkIDs(), lib.ix.ChunkIDs()) {
		t.Errorf("the restarted index holds other chunks than the live one did")
	}
}

// TestFlushKeepsEveryAnswer: flushing moves the tail's documents into a
// segment, deletions into the manifest; searches answer the same before
// and after, and after a restart.
func TestFlushKeepsEveryAnswer(t *testing.T) {
	db := persistedStore(t, 30)
	lib := openPersistedLibrary(t, db)
	ctx := context.Background()
	addDocs(t, lib, 200, 25)
	deleteDoc(t, lib, 4)
	gen := newSynthCorpus(7, 2000)
	var queries []string
	for i := range 8 {
		queries = append(queries, gen.query(2+i%3))
	}
	answers := func(l *Library) string {
		var out string
		for _, q := range queries {
			for _, mode := range allModes {
				for _, v := range []store.Viewer{{UserID: 0}, {UserID: 1}} {
					res, err := l.Search(ctx, v, SearchRequest{Text: q, TopK: 8, Mode: mode})
					if err != nil {
						t.Fatal(err)
					}
					out += fmt.Sprint(res) + "\n"
				}
			}
		}
		return out
	}
	before := answers(lib)
	if err := lib.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if segs, tail := segmentsAndTail(lib); segs != 2 || tail != 0 {
		t.Fatalf("after a flush: %d segments, %d chunks in the tail", segs, tail)
	}
	if after := answers(lib); after != before {
		t.Fatalf("a flush changed the answers:\nbefore %s\nafter  %s", before, after)
	}
	verify(t, lib)
	lib.Close()
	again := openPersistedLibrary(t, db)
	if after := answers(again); after != before {
		t.Fatalf("a restart changed the answers:\nbefore %s\nafter  %s", before, after)
	}
	verify(t, again)
}

// TestMergesKeepEveryAnswer: many small flushes are merged, deletions
// purged; the index equals a rebuild throughout and after a restart.
func TestMergesKeepEveryAnswer(t *testing.T) {
	db := persistedStore(t, 10)
	lib := openPersistedLibrary(t, db)
	ctx := context.Background()
	for i := range 2 * mergeFactor {
		ids := addDocs(t, lib, 300+10*i, 6)
		if i%3 == 0 {
			deleteDoc(t, lib, ids[1])
		}
		if err := lib.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if segs, _ := segmentsAndTail(lib); segs >= mergeFactor {
		t.Errorf("%d segments: none merged", segs)
	}
	verify(t, lib)
	// Delete most of one segment's documents: it is rewritten alone.
	deleteMostOfFirstSegment(t, lib)
	if err := lib.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	lib.ix.mu.RLock()
	for _, seg := range lib.ix.segs {
		if seg.nDead*3 > seg.n {
			t.Errorf("segment %s keeps %d dead chunks of %d", seg.name, seg.nDead, seg.n)
		}
	}
	lib.ix.mu.RUnlock()
	verify(t, lib)
	lib.Close()
	again := openPersistedLibrary(t, db)
	verify(t, again)
	entries, _ := os.ReadDir(filepath.Join(db.Dir(), IndexDir))
	if segs, _ := segmentsAndTail(again); len(entries) != segs+1 {
		t.Errorf("%d files in the index folder for %d segments and the manifest", len(entries), segs)
	}
}

// TestDamagedPersistedIndexIsRebuilt: whatever happens to the files —
// deleted, truncated, bit-flipped, from another store, older than a
// restored backup, made stale by re-embedding — the next start serves
// exactly what the store holds.
func TestDamagedPersistedIndexIsRebuilt(t *testing.T) {
	ctx := context.Background()
	damage := map[string]func(t *testing.T, dir string, db *store.DB){
		"folder deleted": func(t *testing.T, dir string, _ *store.DB) { os.RemoveAll(dir) },
		"manifest deleted": func(t *testing.T, dir string, _ *store.DB) {
			os.Remove(filepath.Join(dir, manifestName))
		},
		"segment deleted": func(t *testing.T, dir string, _ *store.DB) { os.Remove(filepath.Join(dir, segmentName(1))) },
		"segment truncated": func(t *testing.T, dir string, _ *store.DB) {
			os.Truncate(filepath.Join(dir, segmentName(1)), 1000)
		},
		"bit flipped in a segment": func(t *testing.T, dir string, _ *store.DB) { flipByte(t, filepath.Join(dir, segmentName(1)), 0.4) },
		"a segment the manifest does not name": func(t *testing.T, dir string, _ *store.DB) {
			m, err := readManifest(dir)
			if err != nil {
				t.Fatal(err)
			}
			m.Segments[0].Sum++ // as if seg-000001 were another index's file of the same size
			if err := writeManifest(dir, m); err != nil {
				t.Fatal(err)
			}
		},
		"an older copy of the index": func(t *testing.T, dir string, db *store.DB) {
			old := filepath.Join(t.TempDir(), "old")
			if err := os.CopyFS(old, os.DirFS(dir)); err != nil {
				t.Fatal(err)
			}
			lib := openPersistedLibrary(t, db)
			addDocs(t, lib, 600, 3)
			deleteDoc(t, lib, 5)
			if err := lib.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			lib.Close()
			os.RemoveAll(dir)
			if err := os.Rename(old, dir); err != nil {
				t.Fatal(err)
			}
		},
		"bit flipped in the manifest": func(t *testing.T, dir string, _ *store.DB) {
			flipByte(t, filepath.Join(dir, manifestName), 0.5)
		},
		"re-embedded": func(t *testing.T, _ string, db *store.DB) {
			emb := NewBuiltin(0)
			if err := db.Reembed(ctx, store.IndexInfo{Embedder: emb.ID()}, 16, emb.Embed, nil); err != nil {
				t.Fatal(err)
			}
		},
		"another store's index": func(t *testing.T, dir string, _ *store.DB) {
			other := persistedStore(t, 5)
			openPersistedLibrary(t, other).Close()
			os.RemoveAll(dir)
			if err := os.Rename(filepath.Join(other.Dir(), IndexDir), dir); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, fn := range damage {
		t.Run(name, func(t *testing.T) {
			db := persistedStore(t, 30)
			lib := openPersistedLibrary(t, db)
			addDocs(t, lib, 500, 5)
			if err := lib.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			lib.Close()
			fn(t, filepath.Join(db.Dir(), IndexDir), db)
			var log bytes.Buffer
			again := openPersistedLibraryLog(t, db, slog.New(slog.NewTextHandler(&log, nil)))
			if segs, _ := segmentsAndTail(again); segs == 0 {
				t.Errorf("no segments after the rebuild")
			}
			// A missing file is rebuilt silently, anything else with a warning.
			if missing := strings.HasSuffix(name, "deleted"); !missing && !strings.Contains(log.String(), "rebuilding the persisted index") {
				t.Errorf("the index was not rebuilt; log: %s", log.String())
			}
			verify(t, again)
		})
	}
}

// flipByte flips one bit of file at the relative position at.
func flipByte(t *testing.T, file string, at float64) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	raw[int(float64(len(raw))*at)] ^= 0x20
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}
