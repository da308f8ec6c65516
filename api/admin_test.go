package api

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"docent/store"
)

func TestBackupEndpointIsAdminOnlyAndRestorable(t *testing.T) {
	e := newTestEnv(t, Config{})
	admin := e.register("admin")
	bob := e.register("bob")
	expect(t, "user backup", e.do("GET", "/api/v1/admin/backup", bob.Token, nil), http.StatusForbidden)
	r := e.do("GET", "/api/v1/admin/backup", admin.Token, nil)
	expect(t, "admin backup", r, http.StatusOK)

	dir := t.TempDir()
	snap := filepath.Join(t.TempDir(), "snap.db")
	os.WriteFile(snap, r.Body, 0o600)
	if err := store.Restore(context.Background(), dir, snap); err != nil {
		t.Fatalf("the downloaded backup does not restore: %v", err)
	}
	db, err := store.Open(context.Background(), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.UserByLogin(context.Background(), "bob"); err != nil {
		t.Errorf("restored backup lacks bob: %v", err)
	}
}

func TestCheckEndpointReportsAConsistentServer(t *testing.T) {
	e := newTestEnv(t, Config{})
	admin := e.register("admin")
	bob := e.register("bob")
	e.ingest(bob.Token, campingGuide, handbookZH)
	expect(t, "user check", e.do("GET", "/api/v1/admin/check", bob.Token, nil), http.StatusForbidden)
	r := e.do("GET", "/api/v1/admin/check", admin.Token, nil)
	expect(t, "admin check", r, http.StatusOK)
	var rep checkReport
	r.JSON(t, &rep)
	if !rep.OK || rep.Store.Documents != 2 || rep.Store.Chunks == 0 || len(rep.Index) != 0 {
		t.Errorf("check of a healthy server: %s", r.Body)
	}
	// Delete a document from the store behind the index's back.
	if err := e.db.DeleteDocumentByID(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	r = e.do("GET", "/api/v1/admin/check", admin.Token, nil)
	r.JSON(t, &rep)
	if rep.OK || len(rep.Index) == 0 {
		t.Errorf("check missed an index out of step: %s", r.Body)
	}
}
