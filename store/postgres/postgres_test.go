package postgres_test

import (
	"context"
	"os"
	"testing"

	"docent/internal/pgtest"
	"docent/store"
	"docent/store/postgres"
	"docent/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// open connects to a fresh database of the test cluster.
func open(t *testing.T) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), pgtest.URL(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestConformance runs the store conformance suite on PostgreSQL.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

// TestChangeLogFollowsEveryWrite: each write that changes what an index
// holds appends a change, in order, carrying the terms of the chunks it
// removed; ChangedChunks gives a document's chunks only as the change
// that wrote them last; a snapshot knows the last change it holds.
func TestChangeLogFollowsEveryWrite(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	d := store.Document{Owner: 1, Filename: "a", SHA256: storetest.Sha("a")}
	if _, _, err := db.CreateDocument(ctx, &d); err != nil {
		t.Fatal(err)
	}
	v1, vecs1 := storetest.Chunks("one", 2)
	v2, vecs2 := storetest.Chunks("two", 3)
	steps := []func() error{
		func() error { return db.Commit(ctx, &d, v1, vecs1) },
		func() error { return db.Commit(ctx, &d, v2, vecs2) },
		func() error { return db.SetStatus(ctx, d.ID, store.StatusFailed, "x") },
		func() error { return db.DeleteDocumentByID(ctx, d.ID) },
	}
	var seqs []uint64
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		last, err := db.LastChange(ctx)
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, last)
		if i == 1 {
			if got, _ := db.ChangedChunks(ctx, d.ID, seqs[0]); len(got) != 0 {
				t.Errorf("chunks of a change rewritten since: %d", len(got))
			}
			if got, _ := db.ChangedChunks(ctx, d.ID, seqs[1]); len(got) != 3 || got[0].Seq != seqs[1] {
				t.Errorf("chunks of the latest change: %+v", got)
			}
			seq, err := db.IndexSnapshot(ctx, 10, func([]store.IndexedChunk) error { return nil })
			if err != nil || seq != seqs[1] {
				t.Errorf("snapshot's last change %d, %v; want %d", seq, err, seqs[1])
			}
		}
	}
	changes, err := db.Changes(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 4 {
		t.Fatalf("%d changes, want 4: %+v", len(changes), changes)
	}
	want := []struct {
		added   bool
		removed int
	}{{true, 0}, {true, 2}, {false, 3}, {false, 3}}
	for i, c := range changes {
		if c.Seq != seqs[i] || c.DocumentID != d.ID || c.Added != want[i].added || len(c.Removed) != want[i].removed {
			t.Errorf("change %d: %+v, want added=%v with %d removed", i, c, want[i].added, want[i].removed)
		}
	}
	if string(changes[1].Removed[1]) != string(v1[1].Terms) {
		t.Errorf("removed terms %v, want the first version's %v", changes[1].Removed[1], v1[1].Terms)
	}
	if rest, _ := db.Changes(ctx, seqs[3], 10); len(rest) != 0 {
		t.Errorf("changes after the last: %+v", rest)
	}
}
