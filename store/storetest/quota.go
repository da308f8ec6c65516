package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"docent/store"
)

// testQuotas: quotas hold in the transactions that add: CreateDocument for documents
// and bytes, Commit (and CheckChunks before it) for chunks; a document
// being replaced does not count against its new version.
func testQuotas(t *testing.T, db store.Store) {
	ctx := context.Background()
	limit := &store.Quota{Documents: 2, Bytes: 100, Chunks: 5}
	doc := func(name string, size int64) *store.Document {
		return &store.Document{Owner: 7, Filename: name, SHA256: Sha(name), Size: size, Limit: limit}
	}
	quotaErr := func(err error) string {
		var qe *store.QuotaError
		if !errors.As(err, &qe) || !errors.Is(err, store.ErrQuota) {
			return ""
		}
		return qe.Limit
	}
	a, b := doc("a", 40), doc("b", 50)
	for _, d := range []*store.Document{a, b} {
		if _, _, err := db.CreateDocument(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := db.CreateDocument(ctx, doc("c", 1)); quotaErr(err) != "documents" {
		t.Errorf("a third document: %v, want the documents quota", err)
	}
	if _, dup, err := db.CreateDocument(ctx, doc("a", 40)); err != nil || !dup {
		t.Errorf("the same bytes again are a duplicate, not over the quota: %v", err)
	}
	if _, err := db.DeleteDocument(ctx, store.Viewer{UserID: 7}, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateDocument(ctx, doc("c", 51)); quotaErr(err) != "bytes" {
		t.Errorf("50 + 51 bytes of 100: %v, want the bytes quota", err)
	}
	c := doc("c", 50)
	if _, _, err := db.CreateDocument(ctx, c); err != nil {
		t.Fatalf("50 + 50 bytes of 100: %v", err)
	}
	chunks, vecs := Chunks("b", 3)
	if err := db.Commit(ctx, b, chunks, vecs); err != nil {
		t.Fatal(err)
	}
	if err := db.CheckChunks(ctx, c, 3); quotaErr(err) != "chunks" {
		t.Errorf("3 + 3 chunks of 5, checked: %v", err)
	}
	chunks, vecs = Chunks("c", 3)
	if err := db.Commit(ctx, c, chunks, vecs); quotaErr(err) != "chunks" {
		t.Errorf("3 + 3 chunks of 5, committed: %v", err)
	}
	if got, _ := db.DocumentByID(ctx, c.ID); got.Status == store.StatusReady {
		t.Error("the refused commit made the document ready")
	}
	u, err := db.Usage(ctx, 7)
	if err != nil || u != (store.Usage{Documents: 2, Bytes: 100, Chunks: 3}) {
		t.Errorf("usage %+v %v", u, err)
	}
	// A new version of b replaces it: b's document, bytes and chunks do not count.
	b2 := doc("b2", 60)
	b2.Replaces = b.ID
	if _, err := db.DeleteDocument(ctx, store.Viewer{UserID: 7}, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateDocument(ctx, b2); err != nil {
		t.Fatalf("a replacement over the old version's bytes: %v", err)
	}
	chunks, vecs = Chunks("b2", 5)
	if err := db.Commit(ctx, b2, chunks, vecs); err != nil {
		t.Errorf("a replacement of 5 chunks where the old one had 3: %v", err)
	}
	if u, _ := db.Usage(ctx, 7); u != (store.Usage{Documents: 1, Bytes: 60, Chunks: 5}) {
		t.Errorf("usage after the replacement %+v", u)
	}
	if _, _, err := db.CreateDocument(ctx, doc("d", 1)); quotaErr(err) != "chunks" {
		t.Errorf("an upload while the chunk quota is full: %v", err)
	}
	if _, _, err := db.CreateDocument(ctx, &store.Document{Owner: 7, Filename: "e", SHA256: Sha("e"), Size: 1000}); err != nil {
		t.Errorf("a document without a limit (docent ingest): %v", err)
	}
}

// testParallelUploadsKeepTheQuota: ten uploads of one owner at once under a
// quota of three documents: three are made, seven refused (on PostgreSQL,
// whichever replicas they reach).
func testParallelUploadsKeepTheQuota(t *testing.T, db store.Store) {
	ctx := context.Background()
	limit := &store.Quota{Documents: 3}
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Go(func() {
			d := store.Document{Owner: 9, Filename: "f", SHA256: Sha(string(rune('a' + i))), Size: 1, Limit: limit}
			_, _, errs[i] = db.CreateDocument(ctx, &d)
		})
	}
	wg.Wait()
	made, refused := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			made++
		case errors.Is(err, store.ErrQuota):
			refused++
		default:
			t.Fatal(err)
		}
	}
	if u, _ := db.Usage(ctx, 9); made != 3 || refused != 7 || u.Documents != 3 {
		t.Errorf("10 parallel uploads under a quota of 3: %d made, %d refused, usage %+v", made, refused, u)
	}
}
