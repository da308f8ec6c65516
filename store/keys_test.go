package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAPIKeyLifecycle(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ann, bob := User{Username: "ann", Email: "ann@example.com"}, User{Username: "bob", Email: "bob@example.com"}
	for _, u := range []*User{&ann, &bob} {
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	ann, _ = db.UpdateUser(ctx, ann.ID, func(u *User) error { u.RevokeCredentials(); return nil })
	hash := strings.Repeat("ab", 32)
	k := APIKey{UserID: ann.ID, Name: "laptop", Scope: ScopeRead, Prefix: "dk_abcdefgh", Hash: hash}
	if err := db.CreateKey(ctx, &k); err != nil {
		t.Fatal(err)
	}
	if k.ID == 0 || k.CreatedAt.IsZero() || k.TokenVersion != ann.TokenVersion {
		t.Errorf("created key %+v: no id, time or ann's credential generation %d", k, ann.TokenVersion)
	}
	if err := db.CreateKey(ctx, &APIKey{UserID: bob.ID, Hash: hash}); !errors.Is(err, ErrConflict) {
		t.Errorf("a second key with the same hash: %v", err)
	}
	if err := db.CreateKey(ctx, &APIKey{UserID: 999, Hash: strings.Repeat("cd", 32)}); !errors.Is(err, ErrNotFound) {
		t.Errorf("a key for a missing user: %v", err)
	}
	got, err := db.KeyByHash(ctx, hash)
	if err != nil || got.ID != k.ID || got.Name != "laptop" {
		t.Fatalf("KeyByHash = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "zz", strings.Repeat("00", 32)} {
		if _, err := db.KeyByHash(ctx, bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("KeyByHash(%q) = %v", bad, err)
		}
	}
	used := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := db.TouchKey(ctx, k.ID, used); err != nil {
		t.Fatal(err)
	}
	if keys, _ := db.Keys(ctx, ann.ID); len(keys) != 1 || !keys[0].LastUsedAt.Equal(used) {
		t.Errorf("ann's keys after use: %+v", keys)
	}
	if keys, _ := db.Keys(ctx, bob.ID); len(keys) != 0 {
		t.Errorf("bob lists ann's keys: %+v", keys)
	}
	if err := db.DeleteKey(ctx, Viewer{UserID: bob.ID}, k.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("bob revokes ann's key: %v", err)
	}
	if all, _ := db.AllKeys(ctx); len(all) != 1 {
		t.Errorf("all keys: %+v", all)
	}
	if err := db.DeleteKey(ctx, Viewer{UserID: ann.ID}, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.KeyByHash(ctx, hash); !errors.Is(err, ErrNotFound) {
		t.Errorf("a revoked key is still found: %v", err)
	}
	if err := db.TouchKey(ctx, k.ID, used); !errors.Is(err, ErrNotFound) {
		t.Errorf("touching a revoked key: %v", err)
	}

	// Deleting a user takes their keys along.
	k2 := APIKey{UserID: bob.ID, Name: "ci", Scope: ScopeWrite, Hash: strings.Repeat("ef", 32)}
	if err := db.CreateKey(ctx, &k2); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeleteUser(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.KeyByHash(ctx, k2.Hash); !errors.Is(err, ErrNotFound) {
		t.Errorf("a deleted user's key is still found: %v", err)
	}
	for _, b := range [][]byte{bucketKeys, bucketKeysByHash, bucketUserKeys} {
		if n := countKeys(t, db, b); n != 0 {
			t.Errorf("%s holds %d entries after every key went", b, n)
		}
	}
	if r, _ := db.Check(ctx); !r.OK() {
		t.Errorf("check: %+v", r.Problems)
	}
}
