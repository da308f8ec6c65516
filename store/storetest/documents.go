package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"docent/store"
)

func testDocumentLifecycle(t *testing.T, db store.Store) {
	ctx := context.Background()
	ann := store.Viewer{UserID: 1}
	bob := store.Viewer{UserID: 2}

	d := store.Document{Owner: ann.UserID, Filename: "a.txt", SHA256: Sha("a"), Format: "text", Size: 12, Path: "/p/a.txt", Folder: "/p"}
	if _, dup, err := db.CreateDocument(ctx, &d); err != nil || dup {
		t.Fatalf("create: %v dup=%v", err, dup)
	}
	if d.Status != store.StatusQueued || d.ID == 0 || d.CreatedAt.IsZero() {
		t.Errorf("new document %+v", d)
	}
	again := store.Document{Owner: ann.UserID, Filename: "copy.txt", SHA256: Sha("a")}
	existing, dup, err := db.CreateDocument(ctx, &again)
	if err != nil || !dup || existing.ID != d.ID || existing.Filename != "a.txt" {
		t.Errorf("same bytes, same owner: dup=%v existing=%+v err=%v", dup, existing, err)
	}
	other := store.Document{Owner: bob.UserID, Filename: "a.txt", SHA256: Sha("a")}
	if _, dup, _ := db.CreateDocument(ctx, &other); dup {
		t.Error("same bytes from another owner counted as duplicate")
	}
	if _, _, err := db.CreateDocument(ctx, &store.Document{Owner: 1, SHA256: "not hex"}); err == nil {
		t.Error("a malformed SHA-256 was accepted")
	}

	chunks, vecs := Chunks("alpha", 3)
	chunks[1].OCR, chunks[1].OCRConfidence = true, 91.3
	d.Title, d.Pages = "Alpha", 3
	must(t, db.Commit(ctx, &d, chunks, vecs))
	got, err := db.Chunks(ctx, d.ID)
	if err != nil || len(got) != 3 {
		t.Fatalf("chunks: %d %v", len(got), err)
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], chunks[i]) {
			t.Errorf("chunk %d round trip:\n got %+v\nwant %+v", i, got[i], chunks[i])
		}
	}
	stored, _ := db.Document(ctx, ann, d.ID)
	if stored.Status != store.StatusReady || stored.Chunks != 3 || stored.Title != "Alpha" || stored.Pages != 3 ||
		stored.Path != "/p/a.txt" || stored.Folder != "/p" || !stored.CreatedAt.Equal(d.CreatedAt) {
		t.Errorf("after commit: %+v", stored)
	}
	if d.Status != store.StatusReady || d.Chunks != 3 {
		t.Errorf("Commit did not update the caller's document: %+v", d)
	}
	if byPath, err := db.DocumentByPath(ctx, ann.UserID, "/p/a.txt"); err != nil || byPath.ID != d.ID {
		t.Errorf("DocumentByPath: %+v %v", byPath, err)
	}
	if _, err := db.DocumentByPath(ctx, bob.UserID, "/p/a.txt"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DocumentByPath of another owner: %v", err)
	}
	if _, err := db.Document(ctx, bob, d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bob reads ann's document: %v", err)
	}
	if _, err := db.DeleteDocument(ctx, bob, d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bob deletes ann's document: %v", err)
	}

	var seen []uint64
	must(t, db.ForEachChunk(ctx, func(c *store.IndexedChunk) error {
		seen = append(seen, c.ID())
		if c.Owner != ann.UserID || len(c.Vector) != 4 || c.Title != "Alpha" || c.Filename != "a.txt" {
			t.Errorf("indexed chunk %+v", c)
		}
		return nil
	}))
	if len(seen) != 3 {
		t.Errorf("ForEachChunk saw %d chunks", len(seen))
	}

	// Committing again (a retried job) replaces the chunks.
	fewer, fvecs := Chunks("beta", 2)
	must(t, db.Commit(ctx, &d, fewer, fvecs))
	if got, _ := db.Chunks(ctx, d.ID); len(got) != 2 || got[0].Text != "beta passage 0" {
		t.Errorf("a second commit left %d chunks: %+v", len(got), got)
	}
	if r, _ := db.Check(ctx); !r.OK() || r.Chunks != 2 || r.Vectors != 2 {
		t.Errorf("after a second commit: %d chunks, %d vectors, problems %+v", r.Chunks, r.Vectors, r.Problems)
	}

	deleted, err := db.DeleteDocument(ctx, ann, d.ID)
	if err != nil || deleted.ID != d.ID {
		t.Fatal(deleted, err)
	}
	if r, _ := db.Check(ctx); r.Chunks != 0 || r.Vectors != 0 {
		t.Errorf("%d chunks and %d vectors left after delete", r.Chunks, r.Vectors)
	}
	if _, dup, _ := db.CreateDocument(ctx, &store.Document{Owner: ann.UserID, Filename: "a.txt", SHA256: Sha("a")}); dup {
		t.Error("a deleted document still counts as a duplicate")
	}
	failed := store.Document{Owner: bob.UserID, Filename: "f.pdf", SHA256: Sha("f")}
	create(t, db, &failed)
	must(t, db.SetStatus(ctx, failed.ID, store.StatusFailed, "no text"))
	if f, _ := db.DocumentByID(ctx, failed.ID); f.Status != store.StatusFailed || f.Error != "no text" {
		t.Errorf("SetStatus: %+v", f)
	}
	retry := store.Document{Owner: bob.UserID, Filename: "f.pdf", SHA256: Sha("f")}
	if _, dup, err := db.CreateDocument(ctx, &retry); dup || err != nil || retry.ID == failed.ID {
		t.Errorf("re-uploading a failed document does not retry: dup=%v err=%v", dup, err)
	}
	if _, err := db.DocumentByID(ctx, failed.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the failed attempt is kept beside the retry: %v", err)
	}
	if err := db.Commit(ctx, &d, chunks, vecs); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("commit after delete: %v, want ErrNotFound", err)
	}
	if err := db.SetStatus(ctx, d.ID, store.StatusReady, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetStatus of a deleted document: %v", err)
	}
	if err := db.DeleteDocumentByID(ctx, d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting a deleted document: %v", err)
	}
	var nv []float32
	if err := db.Commit(ctx, &retry, []store.Chunk{{Text: "new", TextHash: store.TextHash("new")}}, map[[16]byte][]float32{store.TextHash("new"): nv}); err == nil {
		t.Error("a new passage without a vector was committed")
	}
	if r, _ := db.Check(ctx); !r.OK() {
		t.Errorf("a refused commit left damage: %+v", r.Problems)
	}
}

// create stores d as a new document, failing the test otherwise.
func create(t *testing.T, db store.Store, d *store.Document) {
	t.Helper()
	if _, dup, err := db.CreateDocument(context.Background(), d); err != nil || dup {
		t.Fatalf("create document %s: dup=%v %v", d.Filename, dup, err)
	}
}

func testSharedVectors(t *testing.T, db store.Store) {
	ctx := context.Background()
	chunks, vecs := Chunks("same", 2)
	var docs []store.Document
	for i := range 2 {
		d := store.Document{Owner: store.Shared, Filename: "f", SHA256: Sha(string(rune('a' + i)))}
		create(t, db, &d)
		cs := append([]store.Chunk(nil), chunks...)
		v := vecs
		if i == 1 {
			v = nil // the second document finds every vector cached
		}
		if err := db.Commit(ctx, &d, cs, v); err != nil {
			t.Fatalf("commit %d: %v", i, err)
		}
		docs = append(docs, d)
	}
	cached, _ := db.CachedVectors(ctx, [][16]byte{chunks[0].TextHash, store.TextHash("unknown"), chunks[0].TextHash})
	if len(cached) != 1 || !reflect.DeepEqual(cached[chunks[0].TextHash], vecs[chunks[0].TextHash]) {
		t.Errorf("cache lookup: %v", cached)
	}
	must(t, db.DeleteDocumentByID(ctx, docs[0].ID))
	if r, _ := db.Check(ctx); r.Vectors != 2 || !r.OK() {
		t.Errorf("vectors still used by another document were dropped: %d left, %+v", r.Vectors, r.Problems)
	}
	n := 0
	must(t, db.ForEachChunk(ctx, func(c *store.IndexedChunk) error { n++; return nil }))
	if n != 2 {
		t.Errorf("the surviving document has %d chunks indexed", n)
	}
	must(t, db.DeleteDocumentByID(ctx, docs[1].ID))
	if r, _ := db.Check(ctx); r.Vectors != 0 {
		t.Errorf("%d vectors outlive every chunk using them", r.Vectors)
	}
}

func testViewerRules(t *testing.T, db store.Store) {
	ctx := context.Background()
	shared := store.Document{Owner: store.Shared, Filename: "handbook.pdf", SHA256: Sha("h")}
	create(t, db, &shared)
	user, admin := store.Viewer{UserID: 5}, store.Viewer{UserID: 6, Admin: true}
	if _, err := db.Document(ctx, user, shared.ID); err != nil {
		t.Errorf("a user cannot read the shared library: %v", err)
	}
	if _, err := db.DeleteDocument(ctx, user, shared.ID); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("a user deletes a shared document: %v", err)
	}
	if _, err := db.DeleteDocument(ctx, admin, shared.ID); err != nil {
		t.Errorf("an admin cannot delete a shared document: %v", err)
	}
	own := store.Document{Owner: 5, Filename: "mine.txt", SHA256: Sha("m")}
	create(t, db, &own)
	list, _ := db.Documents(ctx, 5, 0, 10)
	if len(list) != 1 || list[0].ID != own.ID {
		t.Errorf("list: %+v", list)
	}
	if _, err := db.Document(ctx, admin, own.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an admin reads a user's private document: %v", err)
	}
	lib := store.Document{Owner: store.Shared, Filename: "rules.pdf", SHA256: Sha("r")}
	create(t, db, &lib)
	other := store.Document{Owner: 9, Filename: "theirs.txt", SHA256: Sha("t")}
	create(t, db, &other)
	for _, c := range []struct {
		v    store.Viewer
		want []uint64
	}{{user, []uint64{own.ID, lib.ID}}, {admin, []uint64{lib.ID}}, {store.Viewer{UserID: 9}, []uint64{lib.ID, other.ID}}} {
		got, err := db.ReadableDocuments(ctx, c.v, []uint64{own.ID, 12345, lib.ID, other.ID, shared.ID})
		must(t, err)
		var ids []uint64
		for _, d := range got {
			ids = append(ids, d.ID)
		}
		slices.Sort(ids)
		if !slices.Equal(ids, c.want) || len(got) > 0 && got[0].Filename == "" {
			t.Errorf("ReadableDocuments for %+v: %v, want %v", c.v, ids, c.want)
		}
	}
}

func testCommitReplaces(t *testing.T, db store.Store) {
	ctx := context.Background()
	old := store.Document{Owner: store.Shared, Filename: "notes.md", Path: "notes.md", SHA256: Sha("v1")}
	create(t, db, &old)
	c1, v1 := Chunks("v1", 2)
	must(t, db.Commit(ctx, &old, c1, v1))

	next := store.Document{Owner: store.Shared, Filename: "notes.md", Path: "notes.md", SHA256: Sha("v2"), Replaces: old.ID}
	create(t, db, &next)
	if byPath, _ := db.DocumentByPath(ctx, store.Shared, "notes.md"); byPath.ID != next.ID {
		t.Errorf("the path names the newest version while it is queued: %d", byPath.ID)
	}
	c2, v2 := Chunks("v2", 4)
	must(t, db.Commit(ctx, &next, c2, v2))
	if _, err := db.DocumentByID(ctx, old.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old version survives: %v", err)
	}
	byPath, err := db.DocumentByPath(ctx, store.Shared, "notes.md")
	if err != nil || byPath.ID != next.ID || byPath.Replaces != 0 {
		t.Errorf("path lookup: %+v %v", byPath, err)
	}
	if r, _ := db.Check(ctx); r.Chunks != 4 || r.Documents != 1 || !r.OK() {
		t.Errorf("%d chunks in %d documents stored, want 4 in 1 (%+v)", r.Chunks, r.Documents, r.Problems)
	}
}

func testDeleteUser(t *testing.T, db store.Store) {
	ctx := context.Background()
	must(t, db.CreateUser(ctx, &store.User{Username: "root", Email: "root@example.com"})) // the admin
	u := store.User{Username: "ann", Email: "ann@example.com"}
	must(t, db.CreateUser(ctx, &u))
	d := store.Document{Owner: u.ID, Filename: "x", SHA256: Sha("x")}
	create(t, db, &d)
	c, v := Chunks("x", 2)
	must(t, db.Commit(ctx, &d, c, v))
	lib := store.Document{Owner: store.Shared, Filename: "lib", SHA256: Sha("lib"), UploadedBy: u.ID}
	create(t, db, &lib)

	docs, err := db.DeleteUser(ctx, u.ID)
	if err != nil || len(docs) != 1 || docs[0] != d.ID {
		t.Fatalf("DeleteUser: %v %v", docs, err)
	}
	if r, _ := db.Check(ctx); r.Chunks != 0 || r.Vectors != 0 {
		t.Errorf("%d chunks left", r.Chunks)
	}
	if _, err := db.DocumentByID(ctx, lib.ID); err != nil {
		t.Errorf("the shared library was deleted with a user: %v", err)
	}
}

func testHasDocuments(t *testing.T, db store.Store) {
	ctx := context.Background()
	has := func(user uint64) bool {
		t.Helper()
		ok, err := db.HasDocuments(ctx, user)
		must(t, err)
		return ok
	}
	if has(7) || has(store.Shared) {
		t.Fatal("an empty store has documents")
	}
	own := store.Document{Owner: 7, Filename: "a.txt", SHA256: Sha("a")}
	create(t, db, &own)
	if !has(7) || has(8) || has(store.Shared) {
		t.Errorf("a private document: user 7 %v, user 8 %v, shared %v", has(7), has(8), has(store.Shared))
	}
	shared := store.Document{Owner: store.Shared, Filename: "b.txt", SHA256: Sha("b")}
	create(t, db, &shared)
	if !has(8) || !has(store.Shared) {
		t.Error("the shared library is not seen by everyone")
	}
}

func testDocumentLists(t *testing.T, db store.Store) {
	ctx := context.Background()
	var ids []uint64
	for i, owner := range []uint64{3, store.Shared, 3, 4, 3} {
		d := store.Document{Owner: owner, Filename: "f", SHA256: Sha(string(rune('a' + i)))}
		create(t, db, &d)
		ids = append(ids, d.ID)
	}
	must(t, db.SetStatus(ctx, ids[2], store.StatusProcessing, ""))
	must(t, db.UpdateDocument(ctx, ids[3], func(d *store.Document) error { d.Status, d.Title = store.StatusFailed, "T"; return nil }))
	if d, _ := db.DocumentByID(ctx, ids[3]); d.Title != "T" || d.Status != store.StatusFailed || !d.UpdatedAt.After(d.CreatedAt) {
		t.Errorf("UpdateDocument: %+v", d)
	}
	docIDs := func(ds []store.Document) []uint64 {
		var out []uint64
		for _, d := range ds {
			out = append(out, d.ID)
		}
		return out
	}
	list, _ := db.Documents(ctx, 3, 0, 0)
	if want := []uint64{ids[4], ids[2], ids[1], ids[0]}; !reflect.DeepEqual(docIDs(list), want) {
		t.Errorf("user 3's documents newest first: %v, want %v", docIDs(list), want)
	}
	if page, _ := db.Documents(ctx, 3, 1, 2); !reflect.DeepEqual(docIDs(page), []uint64{ids[2], ids[1]}) {
		t.Errorf("skip/limit: %v", docIDs(page))
	}
	owned, _ := db.OwnedDocuments(ctx, 3)
	if len(owned) != 3 {
		t.Errorf("OwnedDocuments(3): %v", docIDs(owned))
	}
	if lib, _ := db.OwnedDocuments(ctx, store.Shared); !reflect.DeepEqual(docIDs(lib), []uint64{ids[1]}) {
		t.Errorf("OwnedDocuments(Shared): %v", docIDs(lib))
	}
	waiting, _ := db.DocumentsWithStatus(ctx, store.StatusQueued, store.StatusProcessing)
	if want := []uint64{ids[0], ids[1], ids[2], ids[4]}; !reflect.DeepEqual(docIDs(waiting), want) {
		t.Errorf("queued or processing, oldest first: %v, want %v", docIDs(waiting), want)
	}
	if err := db.UpdateDocument(ctx, 999, func(*store.Document) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("updating a missing document: %v", err)
	}
}

func testChunksByID(t *testing.T, db store.Store) {
	ctx := context.Background()
	docs := Populate(t, db)
	a, b := docs[0].ID, docs[1].ID
	ids := []uint64{store.ChunkID(b, 2), store.ChunkID(a, 0), store.ChunkID(a, 9), store.ChunkID(999, 0), store.ChunkID(b, 0)}
	got, err := db.ChunksByID(ctx, ids)
	must(t, err)
	var gotIDs []uint64
	for _, c := range got {
		gotIDs = append(gotIDs, c.ID())
	}
	if want := []uint64{ids[0], ids[1], ids[4]}; !reflect.DeepEqual(gotIDs, want) {
		t.Errorf("ChunksByID = %v, want %v (asked order, missing left out)", gotIDs, want)
	}
	if len(got) == 3 && (got[0].Text != "b passage 2" || got[1].Headings[1] != "a" || !got[1].OCR || got[1].OCRConfidence != 87.5) {
		t.Errorf("chunk contents: %+v", got)
	}
}

// testChunkPage: ChunkPage reads the requested window of a document's
// chunks, in order, and nothing of other documents.
func testChunkPage(t *testing.T, db store.Store) {
	ctx := context.Background()
	var ids []uint64
	for _, name := range []string{"a", "b"} {
		d := store.Document{Owner: 1, Filename: name, SHA256: Sha(name)}
		create(t, db, &d)
		chunks, vecs := Chunks(name, 30)
		must(t, db.Commit(ctx, &d, chunks, vecs))
		ids = append(ids, d.ID)
	}
	for _, c := range []struct{ skip, limit, first, n int }{
		{0, 1, 0, 1}, {0, 100, 0, 30}, {10, 5, 10, 5}, {28, 10, 28, 2}, {30, 10, 0, 0}, {store.MaxChunks + 5, 10, 0, 0}, {-1, 5, 0, 0}, {0, 0, 0, 0},
	} {
		got, err := db.ChunkPage(ctx, ids[0], c.skip, c.limit)
		must(t, err)
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

// testIndexChunks: the start-up fast path yields the same chunks, owners,
// terms and vectors as ForEachChunk, in the same order and in batches of
// the size asked, with text only for chunks without terms, and skips
// documents that are not ready.
func testIndexChunks(t *testing.T, db store.Store) {
	ctx := context.Background()
	for i, owner := range []uint64{store.Shared, 1, 2} {
		d := store.Document{Owner: owner, Filename: "f.txt", SHA256: Sha(string(rune('a' + i)))}
		create(t, db, &d)
		chunks, vecs := Chunks(d.SHA256[:6], 5)
		chunks[2].Terms = nil // analysed again from the text at load
		must(t, db.Commit(ctx, &d, chunks, vecs))
	}
	queued := store.Document{Owner: 1, Filename: "q.txt", SHA256: Sha("queued")}
	create(t, db, &queued)
	var want []store.IndexedChunk
	must(t, db.ForEachChunk(ctx, func(c *store.IndexedChunk) error {
		cp := *c
		cp.Headings = nil
		cp.OCR, cp.OCRConfidence = false, 0
		if len(cp.Terms) > 0 {
			cp.Text = ""
		}
		want = append(want, cp)
		return nil
	}))
	var got []store.IndexedChunk
	var sizes []int
	must(t, db.IndexChunks(ctx, 4, func(batch []store.IndexedChunk) error {
		sizes = append(sizes, len(batch))
		got = append(got, batch...)
		return nil
	}))
	if !reflect.DeepEqual(sizes, []int{4, 4, 4, 3}) {
		t.Errorf("batch sizes %v", sizes)
	}
	for i := range got {
		got[i].OCR, got[i].OCRConfidence = false, 0
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("IndexChunks:\n%+v\nForEachChunk:\n%+v", got, want)
	}
	if got[2].Text == "" || got[0].Text != "" {
		t.Errorf("text read for a chunk with terms, or not for one without")
	}
	for i := 1; i < len(got); i++ {
		if got[i-1].ID() >= got[i].ID() {
			t.Fatalf("chunks not in id order: %d before %d", got[i-1].ID(), got[i].ID())
		}
	}
}

func testReembed(t *testing.T, db store.Store) {
	ctx := context.Background()
	Populate(t, db)
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
	if err := db.Reembed(ctx, store.IndexInfo{Embedder: "new"}, 2, fail, nil); err == nil {
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
	must(t, db.Reembed(ctx, store.IndexInfo{Embedder: "new"}, 2, ok, func(d, _ int) { done = append(done, d) }))
	if info, _ := db.IndexInfo(ctx); info != (store.IndexInfo{Embedder: "new", Dim: 2}) {
		t.Errorf("index info after reindex: %+v", info)
	}
	if r, _ := db.Check(ctx); !r.OK() || r.Vectors != 5 {
		t.Errorf("after reindex: %+v", r)
	}
	if len(done) != 3 || done[2] != 5 {
		t.Errorf("progress %v", done)
	}
	must(t, db.ForEachChunk(ctx, func(c *store.IndexedChunk) error {
		if !reflect.DeepEqual(c.Vector, []float32{1, 0}) {
			t.Errorf("chunk %d keeps vector %v", c.ID(), c.Vector)
		}
		return nil
	}))
}

func testCheckClean(t *testing.T, db store.Store) {
	ctx := context.Background()
	Populate(t, db)
	queued := store.Document{Owner: 1, Filename: "q", SHA256: Sha("q")}
	create(t, db, &queued)
	r, err := db.Check(ctx)
	if err != nil || !r.OK() {
		t.Fatalf("clean store: %+v %v", r, err)
	}
	if r.Users != 1 || r.Conversations != 1 || r.Messages != 2 || r.Documents != 3 || r.Chunks != 5 || r.Vectors != 5 {
		t.Errorf("counts: %+v", r)
	}
	if len(r.Interrupted) != 1 || r.Interrupted[0] != queued.ID {
		t.Errorf("interrupted: %v", r.Interrupted)
	}
	rep, err := db.Repair(ctx)
	if err != nil || !rep.OK() || len(rep.Problems) != 0 {
		t.Errorf("repairing a clean store: %+v %v", rep, err)
	}
	if v, err := db.SchemaVersion(ctx); err != nil || v < 1 {
		t.Errorf("schema version %d, %v", v, err)
	}
}
