package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// openTest opens a store in a fresh temporary directory.
func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), t.TempDir(), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenTwiceFailsFastWithClearError(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	_, err = Open(ctx, dir, Options{LockTimeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: got %v, want ErrLocked", err)
	}
	want := "data directory " + dir + " is in use by another docent process"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("second open took %v; it must fail at once", d)
	}
}

func TestMigrationsApplyOnceAndPersist(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := db.SchemaVersion(ctx)
	if v != len(migrations()) {
		t.Fatalf("schema version %d, want %d", v, len(migrations()))
	}
	u := User{Username: "ann", Email: "ann@example.com"}
	if err := db.CreateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.UserByID(ctx, u.ID); err != nil {
		t.Errorf("user lost across reopen: %v", err)
	}
	calls := 0
	steps := append(migrations(), migration{"count", func(_ *txAlias) error { calls++; return nil }})
	for range 2 {
		if err := db.migrate(ctx, steps); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 {
		t.Errorf("new migration ran %d times, want once", calls)
	}
	if err := db.migrate(ctx, steps[:1]); err == nil {
		t.Error("a store newer than the binary must be refused")
	}
}
