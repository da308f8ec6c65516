package store

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// commitDoc creates and commits a document of n chunks for owner.
func commitDoc(t *testing.T, db *DB, owner uint64, name string, n int) Document {
	t.Helper()
	ctx := context.Background()
	d := Document{Owner: owner, Filename: name, SHA256: sha(name)}
	if _, _, err := db.CreateDocument(ctx, &d); err != nil {
		t.Fatal(err)
	}
	chunks, vecs := testChunks(name, n)
	if err := db.Commit(ctx, &d, chunks, vecs); err != nil {
		t.Fatal(err)
	}
	return d
}

// changesSince fails the test on an error.
func changesSince(t *testing.T, db *DB, v IndexVersion) ([]uint64, IndexVersion, bool) {
	t.Helper()
	docs, now, ok, err := db.ChangesSince(context.Background(), v)
	if err != nil {
		t.Fatal(err)
	}
	return docs, now, ok
}

// TestChangeLogNamesWhatTheIndexMustReread: commits, deletions and a
// ready document's status changes are logged by document; work on
// documents that are not ready is not; re-embedding and repairs reset.
func TestChangeLogNamesWhatTheIndexMustReread(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	start, err := db.IndexVersion(ctx)
	if err != nil || start.Seq == 0 {
		t.Fatalf("a new store's version %+v, %v: want the migration's reset entry", start, err)
	}
	if docs, now, ok := changesSince(t, db, start); !ok || len(docs) != 0 || now != start {
		t.Fatalf("nothing changed: docs %v, now %+v, ok %v", docs, now, ok)
	}
	a := commitDoc(t, db, Shared, "a", 3)
	b := commitDoc(t, db, 1, "b", 2)
	queued := Document{Owner: 1, Filename: "q", SHA256: sha("q")}
	if _, _, err := db.CreateDocument(ctx, &queued); err != nil {
		t.Fatal(err)
	}
	if err := db.SetStatus(ctx, queued.ID, StatusProcessing, ""); err != nil {
		t.Fatal(err)
	}
	afterCommits, _ := db.IndexVersion(ctx)
	docs, now, ok := changesSince(t, db, start)
	if !ok || !reflect.DeepEqual(docs, []uint64{a.ID, b.ID}) || now != afterCommits {
		t.Fatalf("after two commits: docs %v, now %+v (want %+v), ok %v", docs, now, afterCommits, ok)
	}
	if _, err := db.DeleteDocument(ctx, Viewer{UserID: 1}, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteDocumentByID(ctx, queued.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.SetStatus(ctx, a.ID, StatusFailed, "broken"); err != nil {
		t.Fatal(err)
	}
	if docs, _, ok := changesSince(t, db, afterCommits); !ok || !reflect.DeepEqual(docs, []uint64{a.ID, b.ID}) {
		t.Fatalf("after a deletion and a failure: docs %v, ok %v", docs, ok)
	}
	last, _ := db.IndexVersion(ctx)
	if err := db.Reembed(ctx, IndexInfo{Embedder: "other"}, 8, func(_ context.Context, texts []string) ([][]float32, error) {
		out := make([][]float32, len(texts))
		for i := range out {
			out[i] = []float32{1, 0, 0, 0}
		}
		return out, nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := changesSince(t, db, last); ok {
		t.Errorf("after re-embedding every vector the index still counts as current")
	}
}

// TestChangeLogTellsHistoriesApart: a version from another store, from
// before a prune, or ahead of a restored backup is not accepted.
func TestChangeLogTellsHistoriesApart(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	other := openTest(t)
	commitDoc(t, db, Shared, "a", 1)
	commitDoc(t, other, Shared, "a", 1)
	v, _ := db.IndexVersion(ctx)
	w, _ := other.IndexVersion(ctx)
	if v.Seq != w.Seq || v.Tag == w.Tag {
		t.Fatalf("two stores with the same history length: versions %+v and %+v", v, w)
	}
	if _, _, ok := changesSince(t, other, v); ok {
		t.Errorf("another store's version was accepted")
	}
	if _, _, ok := changesSince(t, db, IndexVersion{Seq: v.Seq + 1, Tag: v.Tag}); ok {
		t.Errorf("a version from the future was accepted")
	}

	// A backup taken now, then more changes, then a prune.
	backup := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(backup)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Backup(ctx, f, nil); err != nil {
		t.Fatal(err)
	}
	f.Close()
	c := commitDoc(t, db, Shared, "c", 1)
	later, _ := db.IndexVersion(ctx)
	if err := db.PruneChanges(ctx, later); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := changesSince(t, db, v); ok {
		t.Errorf("a pruned version was accepted")
	}
	if docs, _, ok := changesSince(t, db, later); !ok || len(docs) != 0 {
		t.Errorf("the version pruned to: docs %v, ok %v", docs, ok)
	}

	// The backup restored: it knows v (same history) but not later.
	restored := openAt(t, backup)
	if docs, _, ok := changesSince(t, restored, v); !ok || len(docs) != 0 {
		t.Errorf("the backup's own version: docs %v, ok %v", docs, ok)
	}
	if _, _, ok := changesSince(t, restored, later); ok {
		t.Errorf("a version newer than the restored backup was accepted (document %d is not in it)", c.ID)
	}
}

// openAt opens a copy of a store file in a new directory.
func openAt(t *testing.T, file string) *DB {
	t.Helper()
	dir := t.TempDir()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := Open(context.Background(), dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestIndexChunksOfMatchesIndexChunks: reading some documents gives the
// same chunks as the full read, document by document, skipping unknown
// and unready ones, and batches never split a document that fits.
func TestIndexChunksOfMatchesIndexChunks(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	var ids []uint64
	for i, n := range []int{3, 2, 4, 1} {
		ids = append(ids, commitDoc(t, db, uint64(i%2), string(rune('a'+i)), n).ID)
	}
	queued := Document{Owner: 1, Filename: "q", SHA256: sha("q")}
	if _, _, err := db.CreateDocument(ctx, &queued); err != nil {
		t.Fatal(err)
	}
	var all []IndexedChunk
	if err := db.IndexChunks(ctx, 100, func(b []IndexedChunk) error { all = append(all, b...); return nil }); err != nil {
		t.Fatal(err)
	}
	want := slices.DeleteFunc(slices.Clone(all), func(c IndexedChunk) bool { return c.DocumentID == ids[1] })
	texts := map[uint64]string{}
	if err := db.ForEachChunk(ctx, func(c *IndexedChunk) error { texts[c.ID()] = c.Text; return nil }); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		want[i].Text = texts[want[i].ID()]
	}
	var got []IndexedChunk
	var sizes []int
	pick := []uint64{ids[3], queued.ID, 999, ids[0], ids[2], ids[0]}
	err := db.IndexChunksOf(ctx, pick, 4, func(b []IndexedChunk) error {
		sizes = append(sizes, len(b))
		got = append(got, b...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("IndexChunksOf:\n%+v\nwant:\n%+v", got, want)
	}
	if !reflect.DeepEqual(sizes, []int{7, 1}) {
		t.Errorf("batch sizes %v, want [7 1] (3 chunks, then 4: a document is not split)", sizes)
	}
}
