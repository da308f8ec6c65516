package postgres

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"docent/internal/pgtest"
	"docent/store"
	"docent/store/storetest"
)

// A database written before workspaces existed (schema 3) gets the
// library's workspace from migration 0004, with every shared document in
// it, nothing moved and nothing else made visible.
func TestMigrationMakesTheSharedLibraryAWorkspace(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	before := &DB{pool: pool, now: func() time.Time { return time.Now().UTC() }}
	steps, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if steps[3].name != "0004_workspaces.sql" {
		t.Fatalf("migration 4 is %s", steps[3].name)
	}
	if err := before.apply(ctx, steps[:3]); err != nil {
		t.Fatal(err)
	}
	ann := store.User{Username: "ann", Email: "ann@example.com", Active: true}
	if err := before.CreateUser(ctx, &ann); err != nil {
		t.Fatal(err)
	}
	var shared []uint64
	for _, name := range []string{"handbook.md", "policy.pdf"} {
		d := store.Document{Owner: store.Shared, Filename: name, SHA256: storetest.Sha(name)}
		if _, _, err := before.CreateDocument(ctx, &d); err != nil {
			t.Fatal(err)
		}
		c, v := storetest.Chunks(name, 3)
		if err := before.Commit(ctx, &d, c, v); err != nil {
			t.Fatal(err)
		}
		shared = append(shared, d.ID)
	}
	private := store.Document{Owner: ann.ID, Filename: "mine.md", SHA256: storetest.Sha("mine")}
	if _, _, err := before.CreateDocument(ctx, &private); err != nil {
		t.Fatal(err)
	}
	pool.Close()

	db, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // the last one opened
	if v, _ := db.SchemaVersion(ctx); v != len(steps) {
		t.Fatalf("schema version %d after opening, want %d", v, len(steps))
	}
	everyone := store.Viewer{UserID: 12345}
	list, err := db.Workspaces(ctx, everyone)
	if err != nil || len(list) != 1 {
		t.Fatalf("workspaces after the migration: %+v %v", list, err)
	}
	lib := list[0]
	if lib.Name != store.LibraryName || lib.Visibility != store.VisibilityEveryone || !lib.Library || lib.Owner != store.Shared || lib.ID == 0 {
		t.Errorf("the library's workspace: %+v", lib)
	}
	if ids, _ := db.WorkspaceDocuments(ctx, everyone, lib.ID); !slices.Equal(ids, shared) {
		t.Errorf("the workspace holds %v, want the shared documents %v", ids, shared)
	}
	for _, id := range shared {
		if d, err := db.Document(ctx, everyone, id); err != nil || d.Status != store.StatusReady || d.Chunks != 3 {
			t.Errorf("shared document %d after the migration: %+v %v", id, d, err)
		}
		if c, _ := db.Chunks(ctx, id); len(c) != 3 {
			t.Errorf("shared document %d has %d chunks after the migration", id, len(c))
		}
	}
	if _, err := db.Document(ctx, everyone, private.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ann's private document became visible: %v", err)
	}
	if r, err := db.Check(ctx); err != nil || !r.OK() {
		t.Errorf("check after the migration: %+v %v", r.Problems, err)
	}
	db.Close()
	db, err = Open(ctx, url, Options{}) // reopening makes no second library
	if err != nil {
		t.Fatal(err)
	}
	if list, _ := db.Workspaces(ctx, everyone); len(list) != 1 {
		t.Errorf("after reopening: %+v", list)
	}
}
