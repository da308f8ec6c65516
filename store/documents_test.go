package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// testChunks makes n chunks with vectors of dimension 4.
func testChunks(prefix string, n int) ([]Chunk, map[[16]byte][]float32) {
	chunks := make([]Chunk, n)
	vecs := map[[16]byte][]float32{}
	for i := range chunks {
		text := fmt.Sprintf("%s passage %d", prefix, i)
		h := TextHash(text)
		chunks[i] = Chunk{Text: text, Start: i * 10, End: i*10 + 9, Page: i + 1,
			Headings: []string{"Intro", prefix}, Terms: []byte{byte(i), 7}, TextHash: h}
		vecs[h] = []float32{float32(i), 1, 2, 3}
	}
	return chunks, vecs
}

func TestDocumentLifecycleAndDedupe(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ann := Viewer{UserID: 1}
	bob := Viewer{UserID: 2}

	d := Document{Owner: ann.UserID, Filename: "a.txt", SHA256: sha("a")}
	if _, dup, err := db.CreateDocument(ctx, &d); err != nil || dup {
		t.Fatalf("create: %v dup=%v", err, dup)
	}
	if d.Status != StatusQueued {
		t.Errorf("new document status %s", d.Status)
	}
	again := Document{Owner: ann.UserID, Filename: "copy.txt", SHA256: sha("a")}
	existing, dup, err := db.CreateDocument(ctx, &again)
	if err != nil || !dup || existing.ID != d.ID {
		t.Errorf("same bytes, same owner: dup=%v existing=%d err=%v", dup, existing.ID, err)
	}
	other := Document{Owner: bob.UserID, Filename: "a.txt", SHA256: sha("a")}
	if _, dup, _ := db.CreateDocument(ctx, &other); dup {
		t.Error("same bytes from another owner counted as duplicate")
	}

	chunks, vecs := testChunks("alpha", 3)
	if err := db.Commit(ctx, &d, chunks, vecs); err != nil {
		t.Fatal(err)
	}
	got, err := db.Chunks(ctx, d.ID)
	if err != nil || len(got) != 3 {
		t.Fatalf("chunks: %d %v", len(got), err)
	}
	if !reflect.DeepEqual(got[1], chunks[1]) {
		t.Errorf("chunk round trip:\n got %+v\nwant %+v", got[1], chunks[1])
	}
	stored, _ := db.Document(ctx, ann, d.ID)
	if stored.Status != StatusReady || stored.Chunks != 3 {
		t.Errorf("after commit: %+v", stored)
	}
	if _, err := db.Document(ctx, bob, d.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("bob reads ann's document: %v", err)
	}
	if _, err := db.DeleteDocument(ctx, bob, d.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("bob deletes ann's document: %v", err)
	}

	var seen []uint64
	db.ForEachChunk(ctx, func(c *IndexedChunk) error {
		seen = append(seen, c.ID())
		if c.Owner != ann.UserID || len(c.Vector) != 4 {
			t.Errorf("indexed chunk %+v", c)
		}
		return nil
	})
	if len(seen) != 3 {
		t.Errorf("ForEachChunk saw %d chunks", len(seen))
	}

	if _, err := db.DeleteDocument(ctx, ann, d.ID); err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{bucketChunks, bucketVectors} {
		if n := countKeys(t, db, b); n != 0 {
			t.Errorf("%d keys left in %s after delete", n, b)
		}
	}
	if _, dup, _ := db.CreateDocument(ctx, &Document{Owner: ann.UserID, Filename: "a.txt", SHA256: sha("a")}); dup {
		t.Error("a deleted document still counts as a duplicate")
	}
	failed := Document{Owner: bob.UserID, Filename: "f.pdf", SHA256: sha("f")}
	db.CreateDocument(ctx, &failed)
	db.SetStatus(ctx, failed.ID, StatusFailed, "no text")
	retry := Document{Owner: bob.UserID, Filename: "f.pdf", SHA256: sha("f")}
	if _, dup, err := db.CreateDocument(ctx, &retry); dup || err != nil || retry.ID == failed.ID {
		t.Errorf("re-uploading a failed document does not retry: dup=%v err=%v", dup, err)
	}
	if _, err := db.DocumentByID(ctx, failed.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("the failed attempt is kept beside the retry: %v", err)
	}
	if err := db.Commit(ctx, &d, chunks, vecs); !errors.Is(err, ErrNotFound) {
		t.Errorf("commit after delete: %v, want ErrNotFound", err)
	}
}

func TestSharedVectorsAreRefCounted(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	chunks, vecs := testChunks("same", 2)
	var docs []Document
	for i := range 2 {
		d := Document{Owner: Shared, Filename: "f", SHA256: sha(fmt.Sprint(i))}
		db.CreateDocument(ctx, &d)
		cs := append([]Chunk(nil), chunks...)
		v := vecs
		if i == 1 {
			v = nil // the second document finds every vector cached
		}
		if err := db.Commit(ctx, &d, cs, v); err != nil {
			t.Fatalf("commit %d: %v", i, err)
		}
		docs = append(docs, d)
	}
	cached, _ := db.CachedVectors(ctx, [][16]byte{chunks[0].TextHash, TextHash("unknown")})
	if len(cached) != 1 || cached[chunks[0].TextHash][0] != 0 {
		t.Errorf("cache lookup: %v", cached)
	}
	db.DeleteDocumentByID(ctx, docs[0].ID)
	if n := countKeys(t, db, bucketVectors); n != 2 {
		t.Errorf("vectors still used by another document were dropped: %d left", n)
	}
	n := 0
	db.ForEachChunk(ctx, func(c *IndexedChunk) error { n++; return nil })
	if n != 2 {
		t.Errorf("the surviving document has %d chunks indexed", n)
	}
}

func TestViewerRules(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	shared := Document{Owner: Shared, Filename: "handbook.pdf", SHA256: sha("h")}
	db.CreateDocument(ctx, &shared)
	user, admin := Viewer{UserID: 5}, Viewer{UserID: 6, Admin: true}
	if _, err := db.Document(ctx, user, shared.ID); err != nil {
		t.Errorf("a user cannot read the shared library: %v", err)
	}
	if _, err := db.DeleteDocument(ctx, user, shared.ID); !errors.Is(err, ErrForbidden) {
		t.Errorf("a user deletes a shared document: %v", err)
	}
	if _, err := db.DeleteDocument(ctx, admin, shared.ID); err != nil {
		t.Errorf("an admin cannot delete a shared document: %v", err)
	}
	own := Document{Owner: 5, Filename: "mine.txt", SHA256: sha("m")}
	db.CreateDocument(ctx, &own)
	list, _ := db.Documents(ctx, 5, 0, 10)
	if len(list) != 1 || list[0].ID != own.ID {
		t.Errorf("list: %+v", list)
	}
	if _, err := db.Document(ctx, admin, own.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("an admin reads a user's private document: %v", err)
	}
}

func TestCommitReplacesOldVersionAtomically(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	old := Document{Owner: Shared, Filename: "notes.md", Path: "notes.md", SHA256: sha("v1")}
	db.CreateDocument(ctx, &old)
	c1, v1 := testChunks("v1", 2)
	db.Commit(ctx, &old, c1, v1)

	next := Document{Owner: Shared, Filename: "notes.md", Path: "notes.md", SHA256: sha("v2"), Replaces: old.ID}
	db.CreateDocument(ctx, &next)
	c2, v2 := testChunks("v2", 4)
	if err := db.Commit(ctx, &next, c2, v2); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DocumentByID(ctx, old.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("old version survives: %v", err)
	}
	byPath, err := db.DocumentByPath(ctx, Shared, "notes.md")
	if err != nil || byPath.ID != next.ID {
		t.Errorf("path lookup: %+v %v", byPath, err)
	}
	if n := countKeys(t, db, bucketChunks); n != 4 {
		t.Errorf("%d chunks stored, want 4", n)
	}
}

func TestDeleteUserDeletesPrivateDocuments(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	db.CreateUser(ctx, &User{Username: "root", Email: "root@example.com"}) // the admin
	u := User{Username: "ann", Email: "ann@example.com"}
	db.CreateUser(ctx, &u)
	d := Document{Owner: u.ID, Filename: "x", SHA256: sha("x")}
	db.CreateDocument(ctx, &d)
	c, v := testChunks("x", 2)
	db.Commit(ctx, &d, c, v)
	lib := Document{Owner: Shared, Filename: "lib", SHA256: sha("lib")}
	db.CreateDocument(ctx, &lib)

	docs, err := db.DeleteUser(ctx, u.ID)
	if err != nil || len(docs) != 1 || docs[0] != d.ID {
		t.Fatalf("DeleteUser: %v %v", docs, err)
	}
	if n := countKeys(t, db, bucketChunks); n != 0 {
		t.Errorf("%d chunks left", n)
	}
	if _, err := db.DocumentByID(ctx, lib.ID); err != nil {
		t.Errorf("the shared library was deleted with a user: %v", err)
	}
}

func TestChunkIDRoundTrip(t *testing.T) {
	for _, c := range []struct {
		doc uint64
		idx int
	}{{1, 0}, {42, 7}, {1 << 39, MaxChunks - 1}} {
		d, i := SplitChunkID(ChunkID(c.doc, c.idx))
		if d != c.doc || i != c.idx {
			t.Errorf("ChunkID(%d,%d) round trip gave %d,%d", c.doc, c.idx, d, i)
		}
	}
}

func FuzzDecodeChunk(f *testing.F) {
	c, _ := testChunks("seed", 1)
	f.Add(encodeChunk(&c[0]))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, raw []byte) {
		decodeChunk(chunkKey(1, 2), raw) // must not panic
	})
}

func TestReembedReplacesEveryVectorAtOnce(t *testing.T) {
	ctx := context.Background()
	db, _ := populated(t)
	calls := 0
	fail := func(_ context.Context, texts []string) ([][]float32, error) {
		calls++
		if calls == 2 {
			return nil, errors.New("embedder down")
		}
		out := make([][]float32, len(texts))
		for i := range out {
			out[i] = []float32{9, 9}
		}
		return out, nil
	}
	if err := db.Reembed(ctx, IndexInfo{Embedder: "new"}, 2, fail, nil); err == nil {
		t.Fatal("a failing embedder was ignored")
	}
	if info, _ := db.IndexInfo(ctx); info.Embedder != "test" {
		t.Errorf("a failed reindex changed the index info: %+v", info)
	}
	if r, _ := db.Check(ctx); !r.OK() {
		t.Errorf("a failed reindex left vectors half replaced: %+v", r.Problems)
	}
	var done []int
	ok := func(_ context.Context, texts []string) ([][]float32, error) {
		out := make([][]float32, len(texts))
		for i := range out {
			out[i] = []float32{1, 0}
		}
		return out, nil
	}
	if err := db.Reembed(ctx, IndexInfo{Embedder: "new"}, 2, ok, func(d, _ int) { done = append(done, d) }); err != nil {
		t.Fatal(err)
	}
	if info, _ := db.IndexInfo(ctx); info != (IndexInfo{Embedder: "new", Dim: 2}) {
		t.Errorf("index info after reindex: %+v", info)
	}
	if r, _ := db.Check(ctx); !r.OK() || r.Vectors != 5 {
		t.Errorf("after reindex: %+v", r)
	}
	if len(done) != 3 || done[2] != 5 {
		t.Errorf("progress %v", done)
	}
}

// ChunkPage reads the requested window of a document's chunks, in order,
// and nothing of other documents.
func TestChunkPage(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	var ids []uint64
	for _, name := range []string{"a", "b"} {
		d := Document{Owner: 1, Filename: name, SHA256: sha(name)}
		if _, _, err := db.CreateDocument(ctx, &d); err != nil {
			t.Fatal(err)
		}
		chunks, vecs := testChunks(name, 30)
		if err := db.Commit(ctx, &d, chunks, vecs); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	for _, c := range []struct{ skip, limit, first, n int }{
		{0, 1, 0, 1}, {0, 100, 0, 30}, {10, 5, 10, 5}, {28, 10, 28, 2}, {30, 10, 0, 0}, {MaxChunks + 5, 10, 0, 0}, {-1, 5, 0, 0},
	} {
		got, err := db.ChunkPage(ctx, ids[0], c.skip, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != c.n {
			t.Errorf("skip %d limit %d: %d chunks, want %d", c.skip, c.limit, len(got), c.n)
			continue
		}
		for i, ch := range got {
			if ch.DocumentID != ids[0] || ch.Index != c.first+i || ch.Text != fmt.Sprintf("a passage %d", c.first+i) {
				t.Errorf("skip %d limit %d: chunk %d is %d/%d %q", c.skip, c.limit, i, ch.DocumentID, ch.Index, ch.Text)
			}
		}
	}
}
