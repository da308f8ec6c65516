package store

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The behaviour of workspaces is specified in store/storetest (run on both
// backends); these tests cover what only the bbolt store has: its
// migration and its check of the workspace buckets.

// wsWorld is alice's workspace shared with bob (read) and not with carol.
type wsWorld struct {
	db                 *DB
	alice, bob, carol  Viewer
	team               Workspace
	aliceDoc, carolDoc Document
}

func newWSWorld(t *testing.T) *wsWorld {
	t.Helper()
	ctx := context.Background()
	w := &wsWorld{db: openTest(t)}
	admin := User{Username: "admin", Email: "admin@example.com", Active: true} // the first account, an admin
	if err := w.db.CreateUser(ctx, &admin); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		name string
		v    *Viewer
	}{{"alice", &w.alice}, {"bob", &w.bob}, {"carol", &w.carol}} {
		u := User{Username: p.name, Email: p.name + "@example.com", Active: true}
		if err := w.db.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		*p.v = Viewer{UserID: u.ID}
	}
	w.team = Workspace{Name: "Team", Visibility: VisibilityMembers, Owner: w.alice.UserID}
	if err := w.db.CreateWorkspace(ctx, &w.team); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.SetMember(ctx, w.alice, w.team.ID, w.bob.UserID, AccessRead); err != nil {
		t.Fatal(err)
	}
	w.aliceDoc = Document{Owner: w.alice.UserID, Filename: "plan.md", SHA256: sha("plan")}
	w.carolDoc = Document{Owner: w.carol.UserID, Filename: "diary.md", SHA256: sha("diary")}
	for _, d := range []*Document{&w.aliceDoc, &w.carolDoc} {
		if _, _, err := w.db.CreateDocument(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.db.AddToWorkspace(ctx, w.alice, w.team.ID, w.aliceDoc.ID); err != nil {
		t.Fatal(err)
	}
	return w
}

// A store written before workspaces existed gets the library's workspace,
// with every shared document in it and nothing else changed.
func TestMigrationMakesTheSharedLibraryAWorkspace(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b, err := bolt.Open(filepath.Join(dir, FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	before := &DB{bolt: b, dir: dir, now: func() time.Time { return time.Now().UTC() }}
	const workspaceMigrations = 3 // the library workspace, the change log, staged commits
	if err := before.migrate(ctx, migrations()[:len(migrations())-workspaceMigrations]); err != nil {
		t.Fatal(err)
	}
	ann := User{Username: "ann", Email: "ann@example.com"}
	before.CreateUser(ctx, &ann)
	var shared []uint64
	for _, name := range []string{"handbook.md", "policy.pdf"} {
		d := Document{Owner: Shared, Filename: name, SHA256: sha(name)}
		before.CreateDocument(ctx, &d)
		c, v := testChunks(name, 3)
		if err := before.Commit(ctx, &d, c, v); err != nil {
			t.Fatal(err)
		}
		shared = append(shared, d.ID)
	}
	private := Document{Owner: ann.ID, Filename: "mine.md", SHA256: sha("mine")}
	before.CreateDocument(ctx, &private)
	b.Close()

	db, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := db.SchemaVersion(ctx); v != len(migrations()) {
		t.Fatalf("schema version %d after opening, want %d", v, len(migrations()))
	}
	everyone := Viewer{UserID: 12345}
	list, err := db.Workspaces(ctx, everyone)
	if err != nil || len(list) != 1 {
		t.Fatalf("workspaces after the migration: %+v %v", list, err)
	}
	lib := list[0]
	if lib.Name != "shared" || lib.Visibility != VisibilityEveryone || !lib.Library || lib.Owner != Shared {
		t.Errorf("the library's workspace: %+v", lib)
	}
	if ids, _ := db.WorkspaceDocuments(ctx, everyone, lib.ID); !slices.Equal(ids, shared) {
		t.Errorf("the workspace holds %v, want the shared documents %v", ids, shared)
	}
	for _, id := range shared {
		if d, err := db.Document(ctx, everyone, id); err != nil || d.Status != StatusReady || d.Chunks != 3 {
			t.Errorf("shared document %d after the migration: %+v %v", id, d, err)
		}
		if c, _ := db.Chunks(ctx, id); len(c) != 3 {
			t.Errorf("shared document %d has %d chunks after the migration", id, len(c))
		}
	}
	if _, err := db.Document(ctx, everyone, private.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("ann's private document became visible: %v", err)
	}
	if sc, _ := db.ScopeOf(ctx, everyone, lib.ID); !slices.Equal(sc.Owners, []uint64{Shared}) || len(sc.Documents) != 0 {
		t.Errorf("the workspace's search scope: %+v", sc)
	}
	if r, _ := db.Check(ctx); !r.OK() {
		t.Errorf("check after the migration: %+v", r.Problems)
	}
	db.Close()
	db, _ = Open(ctx, dir, Options{}) // reopening makes no second library
	if list, _ := db.Workspaces(ctx, everyone); len(list) != 1 {
		t.Errorf("after reopening: %+v", list)
	}
	db.Close()
}

// Check finds broken memberships and a missing library workspace, and
// Repair fixes them.
func TestCheckRepairsWorkspaces(t *testing.T) {
	ctx := context.Background()
	w := newWSWorld(t)
	db := w.db
	lib, _ := db.Workspaces(ctx, w.carol)
	err := db.update(ctx, func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketDocWorkspaces).Delete(pairKey(w.aliceDoc.ID, w.team.ID)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketWorkspaceDocs).Put(pairKey(w.team.ID, 9999), nil); err != nil {
			return err
		}
		return tx.Bucket(bucketWorkspaces).Delete(itob(lib[0].ID))
	})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := db.Check(ctx)
	if len(r.Problems) < 3 {
		t.Errorf("check found %+v", r.Problems)
	}
	if r, _ = db.Repair(ctx); !r.OK() {
		t.Fatalf("repair: %+v", r.Problems)
	}
	if r, _ = db.Check(ctx); !r.OK() || len(r.Problems) != 0 {
		t.Errorf("after repair: %+v", r.Problems)
	}
	if _, err := db.Document(ctx, w.bob, w.aliceDoc.ID); err != nil {
		t.Errorf("the repaired membership does not let bob read: %v", err)
	}
	if list, _ := db.Workspaces(ctx, w.carol); len(list) != 1 || !list[0].Library {
		t.Errorf("the library's workspace after repair: %+v", list)
	}
}
