package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fillStore writes docs documents of 100 passages of about 1 KiB each into
// the store in dir and returns their ids.
func fillStore(t *testing.T, dir string, docs int) []uint64 {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ids []uint64
	for i := range docs {
		d := Document{Owner: 1, Filename: fmt.Sprintf("d%d.txt", i), SHA256: sha(fmt.Sprint(i))}
		if _, _, err := db.CreateDocument(ctx, &d); err != nil {
			t.Fatal(err)
		}
		chunks, vecs := testChunks(fmt.Sprintf("doc %d %s", i, strings.Repeat("filler ", 150)), 100)
		if err := db.Commit(ctx, &d, chunks, vecs); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	return ids
}

// TestCompactReturnsSpaceAndKeepsEverything: after most documents are
// deleted the file keeps its size; Compact shrinks it, and the store holds
// exactly the same records and goes on numbering where it stopped.
func TestCompactReturnsSpaceAndKeepsEverything(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ids := fillStore(t, dir, 40)
	db, err := Open(ctx, dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids[4:] {
		if err := db.DeleteDocumentByID(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	want, err := DigestOf(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	file := filepath.Join(dir, FileName)
	full, _ := os.Stat(file)

	rep, err := Compact(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(file)
	t.Logf("40 documents of 100 passages, 36 deleted: %d → %d bytes", rep.Before, rep.After)
	if rep.Before != full.Size() || rep.After != after.Size() {
		t.Fatalf("report %+v, file %d → %d", rep, full.Size(), after.Size())
	}
	if rep.After*4 > rep.Before {
		t.Fatalf("compacted to %d of %d bytes; a tenth of the data is left", rep.After, rep.Before)
	}
	if _, err := os.Stat(file + ".compact"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the copy is left behind: %v", err)
	}

	db, err = Open(ctx, dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := DigestOf(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if got.SHA256 != want.SHA256 || got.Counts["chunk"] != 400 {
		t.Fatalf("after compaction %v, before %v", got, want)
	}
	if rep, err := db.Check(ctx); err != nil || len(rep.Problems) > 0 {
		t.Fatalf("check after compaction: %v %+v", err, rep)
	}
	d := Document{Owner: 1, Filename: "new.txt", SHA256: sha("new")}
	if _, _, err := db.CreateDocument(ctx, &d); err != nil {
		t.Fatal(err)
	}
	if d.ID <= ids[len(ids)-1] {
		t.Fatalf("a new document got id %d, a deleted one had %d: ids are reused", d.ID, ids[len(ids)-1])
	}
}

// TestCompactNeedsTheDirectoryToItself: while a server holds the store,
// Compact fails with ErrLocked and changes nothing.
func TestCompactNeedsTheDirectoryToItself(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fillStore(t, dir, 2)
	db, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	before, _ := os.ReadFile(filepath.Join(dir, FileName))
	if _, err := Compact(ctx, dir); !errors.Is(err, ErrLocked) {
		t.Fatalf("Compact while the store is open: %v, want ErrLocked", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, FileName))
	if string(before) != string(after) {
		t.Fatal("the store changed")
	}
}

// TestCompactDiscardsACopyLeftByACrash: a half-written copy from an
// interrupted run is replaced, not trusted.
func TestCompactDiscardsACopyLeftByACrash(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fillStore(t, dir, 3)
	db, _ := Open(ctx, dir, Options{})
	want, _ := DigestOf(ctx, db)
	db.Close()
	if err := os.WriteFile(filepath.Join(dir, FileName+".compact"), []byte("half a file"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Compact(ctx, dir); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got, _ := DigestOf(ctx, db); got.SHA256 != want.SHA256 {
		t.Fatalf("digest %v, want %v", got, want)
	}
}

// TestTreeSumSeesEveryChange: the check that guards the swap notices a
// changed value, a missing key and a changed id sequence.
func TestTreeSumSeesEveryChange(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	sum := func() string {
		s, err := treeSum(db.bolt)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%x", s)
	}
	seen := map[string]string{"start": sum()}
	changes := []struct {
		name string
		fn   func(tx *txAlias) error
	}{
		{"a value", func(tx *txAlias) error { return tx.Bucket(bucketMeta).Put([]byte("k"), []byte("v")) }},
		{"another value", func(tx *txAlias) error { return tx.Bucket(bucketMeta).Put([]byte("k"), []byte("w")) }},
		{"a sequence", func(tx *txAlias) error { _, err := tx.Bucket(bucketDocs).NextSequence(); return err }},
		{"a deleted key", func(tx *txAlias) error { return tx.Bucket(bucketMeta).Delete([]byte("k")) }},
	}
	for _, c := range changes {
		if err := db.update(ctx, c.fn); err != nil {
			t.Fatal(err)
		}
		s := sum()
		for name, prev := range seen {
			if prev == s {
				t.Fatalf("after %s the sum is the one of %s", c.name, name)
			}
		}
		seen[c.name] = s
	}
}
