package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestBackupRestoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	before := User{Username: "ann", Email: "ann@example.com"}
	db.CreateUser(ctx, &before)
	backup := filepath.Join(t.TempDir(), "snap.db")
	f, _ := os.Create(backup)
	if _, err := db.Backup(ctx, f, nil); err != nil {
		t.Fatal(err)
	}
	f.Close()
	after := User{Username: "bob", Email: "bob@example.com"}
	db.CreateUser(ctx, &after)

	if err := Restore(ctx, dir, backup); !errors.Is(err, ErrLocked) {
		t.Errorf("restore while the store is open: %v, want ErrLocked", err)
	}
	db.Close()
	if err := Restore(ctx, dir, backup); err != nil {
		t.Fatal(err)
	}
	db, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.UserByLogin(ctx, "ann"); err != nil {
		t.Errorf("user committed before the backup is missing: %v", err)
	}
	if _, err := db.UserByLogin(ctx, "bob"); !errors.Is(err, ErrNotFound) {
		t.Errorf("user added after the backup survived the restore: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName+".before-restore")); err != nil {
		t.Errorf("the replaced store was not kept: %v", err)
	}
}

func TestRestoreRefusesNonBackups(t *testing.T) {
	junk := filepath.Join(t.TempDir(), "junk")
	os.WriteFile(junk, []byte("not a database at all, just text"), 0o600)
	if err := Restore(context.Background(), t.TempDir(), junk); err == nil {
		t.Error("a text file was restored")
	}
}
