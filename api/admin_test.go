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
