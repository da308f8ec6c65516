package store

import (
	"context"
	"testing"
)

func TestHasDocuments(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	has := func(user uint64) bool {
		t.Helper()
		ok, err := db.HasDocuments(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if has(7) || has(Shared) {
		t.Fatal("an empty store has documents")
	}
	own := Document{Owner: 7, Filename: "a.txt", SHA256: sha("a")}
	if _, _, err := db.CreateDocument(ctx, &own); err != nil {
		t.Fatal(err)
	}
	if !has(7) || has(8) || has(Shared) {
		t.Errorf("a private document: user 7 %v, user 8 %v, shared %v", has(7), has(8), has(Shared))
	}
	shared := Document{Owner: Shared, Filename: "b.txt", SHA256: sha("b")}
	if _, _, err := db.CreateDocument(ctx, &shared); err != nil {
		t.Fatal(err)
	}
	if !has(8) || !has(Shared) {
		t.Error("the shared library is not seen by everyone")
	}
}
