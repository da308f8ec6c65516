package storetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"docent/store"
)

func testExportImport(t *testing.T, src, dst store.Store) {
	ctx := context.Background()
	docs := Populate(t, src)
	failed := store.Document{Owner: store.Shared, Filename: "bad.pdf", SHA256: Sha("bad")}
	create(t, src, &failed)
	must(t, src.SetStatus(ctx, failed.ID, store.StatusFailed, "no text"))
	must(t, store.Copy(ctx, src, dst))
	want, err := store.DigestOf(ctx, src)
	must(t, err)
	got, err := store.DigestOf(ctx, dst)
	must(t, err)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("digest after import %+v, want %+v", got, want)
	}
	wantCounts := map[string]int{"index_info": 1, "user": 1, "key": 1, "invite": 1, "conversation": 1, "message": 2, "document": 3,
		"workspace": 2, "membership": 1, "vector": 5, "chunk": 5}
	if !reflect.DeepEqual(got.Counts, wantCounts) {
		t.Errorf("counts %v, want %v", got.Counts, wantCounts)
	}
	// The copy works like the original, ids included, and goes on
	// numbering after them.
	u, err := dst.UserByLogin(ctx, "ann")
	if err != nil || u.PasswordHash != "hash" || !u.IsAdmin() {
		t.Fatalf("imported user: %+v %v", u, err)
	}
	if k, err := dst.KeyByHash(ctx, Sha("key")); err != nil || k.UserID != u.ID {
		t.Errorf("imported key: %+v %v", k, err)
	}
	convs, _ := dst.Conversations(ctx, u.ID, 0, 0)
	if len(convs) != 1 || convs[0].Workspace == 0 || len(convs[0].DocumentIDs) != 1 {
		t.Fatalf("imported conversations: %+v", convs)
	}
	spaces, _ := dst.Workspaces(ctx, store.Viewer{UserID: u.ID})
	if len(spaces) != 2 || !spaces[0].Library || spaces[1].Name != "Team" {
		t.Fatalf("imported workspaces: %+v", spaces)
	}
	if ids, _ := dst.WorkspaceDocuments(ctx, store.Viewer{UserID: u.ID}, spaces[1].ID); len(ids) != 1 || ids[0] != docs[0].ID {
		t.Errorf("imported memberships: %v", ids)
	}
	more := store.Workspace{Name: "Later", Owner: u.ID}
	must(t, dst.CreateWorkspace(ctx, &more))
	if more.ID <= spaces[1].ID {
		t.Errorf("a workspace made after the import reuses an imported id: %d", more.ID)
	}
	if msgs, _ := dst.RecentMessages(ctx, u.ID, convs[0].ID, 5); len(msgs) != 2 || msgs[1].Sources[0].Score != 0.5 {
		t.Errorf("imported messages: %+v", msgs)
	}
	for _, d := range docs {
		a, _ := src.Chunks(ctx, d.ID)
		b, err := dst.Chunks(ctx, d.ID)
		if err != nil || !reflect.DeepEqual(a, b) {
			t.Errorf("document %d's chunks differ after import: %v", d.ID, err)
		}
	}
	if dup, isDup, _ := dst.CreateDocument(ctx, &store.Document{Owner: store.Shared, Filename: "b", SHA256: Sha("b")}); !isDup || dup.ID != docs[1].ID {
		t.Errorf("the imported document is not found as a duplicate: %+v", dup)
	}
	next := store.User{Username: "bob", Email: "bob@example.com"}
	must(t, dst.CreateUser(ctx, &next))
	if next.ID <= u.ID || next.IsAdmin() {
		t.Errorf("a user created after the import: %+v", next)
	}
	nd := store.Document{Owner: next.ID, Filename: "n", SHA256: Sha("n")}
	create(t, dst, &nd)
	if nd.ID <= failed.ID {
		t.Errorf("a new document reuses an imported id: %d", nd.ID)
	}
	c, v := Chunks("b", 1) // the same passage as an imported one: its vector is shared
	must(t, dst.Commit(ctx, &nd, c, v))
	if r, _ := dst.Check(ctx); !r.OK() || r.Vectors != 5 || r.Chunks != 6 {
		t.Errorf("after import and a commit: %+v", r)
	}
}

func testImportRefusesData(t *testing.T, db store.Store) {
	ctx := context.Background()
	Populate(t, db)
	err := db.Import(ctx, func() (store.Record, error) { return store.Record{}, io.EOF })
	if !errors.Is(err, store.ErrNotEmpty) {
		t.Errorf("import into a store with data: %v, want ErrNotEmpty", err)
	}
}

// testBackup: a backup of any backend is a bbolt data file with the
// same contents.
func testBackup(t *testing.T, db store.Store) {
	ctx := context.Background()
	Populate(t, db)
	var buf bytes.Buffer
	var told int64 = -1
	n, err := db.Backup(ctx, &buf, func(size int64) { told = size })
	must(t, err)
	if n != int64(buf.Len()) || told != n {
		t.Errorf("Backup wrote %d bytes, returned %d, announced %d", buf.Len(), n, told)
	}
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, store.FileName), buf.Bytes(), 0o600))
	snap, err := store.Open(ctx, dir, store.Options{})
	must(t, err)
	defer snap.Close()
	want, _ := store.DigestOf(ctx, db)
	got, err := store.DigestOf(ctx, snap)
	must(t, err)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the backup holds %+v, the store %+v", got, want)
	}
}
