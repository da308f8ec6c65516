package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"docent/ingest"
	"docent/store"
)

func quotaOf(documents, bytes, chunks int64) store.Quota {
	return store.Quota{Documents: documents, Bytes: bytes, Chunks: chunks}
}

// meUsage is the part of /auth/me about quotas.
type meUsage struct {
	Usage struct{ Documents, Bytes, Chunks int64 }
	Quota struct{ Documents, Bytes, Chunks *int64 }
}

func (e *testEnv) usage(token string) meUsage {
	e.t.Helper()
	var m meUsage
	r := e.do("GET", "/api/v1/auth/me", token, nil)
	expect(e.t, "me", r, http.StatusOK)
	r.JSON(e.t, &m)
	return m
}

// documentCount is how many documents token sees of its own.
func (e *testEnv) documentCount(token string) int {
	e.t.Helper()
	var docs []documentJSON
	e.do("GET", "/api/v1/documents", token, nil).JSON(e.t, &docs)
	return len(docs)
}

// Finding 1 (quotas): no per-user quota existed. Now the server's default
// quota (documents, bytes of files, passages) holds every user's own
// documents: an upload over one is refused before any work with 429 or 413
// naming the quota, a document whose passages would pass it fails before
// they are embedded, /auth/me shows usage and quota, and an admin changes
// one user's quota (or none for admins and the shared library).
func TestQuotas(t *testing.T) {
	e := newTestEnv(t, Config{Quota: quotaOf(3, 8<<10, 40)})
	admin, ann := e.register("admin"), e.register("ann")
	small := func(i int) file {
		return file{sprintf("note-%d.txt", i), []byte(sprintf("Note %d: the lighthouse keeper logged ships and weather.\n", i))}
	}
	m := e.usage(ann.Token)
	if m.Usage.Documents != 0 || m.Quota.Documents == nil || *m.Quota.Documents != 3 || *m.Quota.Bytes != 8<<10 || *m.Quota.Chunks != 40 {
		t.Fatalf("me before any upload: %+v", m)
	}
	e.ingest(ann.Token, small(1), small(2))
	r := e.upload(ann.Token, "wait=true", small(3), small(4))
	expect(t, "two files where one fits", r, http.StatusTooManyRequests)
	if !strings.Contains(r.Detail(), "document quota") {
		t.Errorf("the refusal %q does not name the quota", r.Detail())
	}
	if n := e.documentCount(ann.Token); n != 2 {
		t.Errorf("%d documents after the refused upload, want 2: it was refused whole, before any work", n)
	}
	expect(t, "the same bytes again: a duplicate, not over the quota", e.upload(ann.Token, "wait=true", small(1)), http.StatusCreated)
	e.ingest(ann.Token, small(3))
	expect(t, "a fourth document", e.upload(ann.Token, "", small(4)), http.StatusTooManyRequests)

	var docs []documentJSON
	e.do("GET", "/api/v1/documents", ann.Token, nil).JSON(t, &docs)
	expect(t, "delete one", e.do("DELETE", sprintf("/api/v1/documents/%d", docs[0].ID), ann.Token, nil), http.StatusNoContent)
	big := file{"big.txt", []byte(strings.Repeat("A sentence of the big file about harbours and tides. ", 200))} // 10 KB
	r = e.upload(ann.Token, "", big)
	expect(t, "10 KB over an 8 KiB storage quota", r, http.StatusRequestEntityTooLarge)
	if !strings.Contains(r.Detail(), "storage quota") {
		t.Errorf("the refusal %q does not name the storage quota", r.Detail())
	}

	// Passages: a document of 60 passages cannot fit the 40 allowed.
	e2 := startEnv(t, Config{Quota: quotaOf(0, 0, 40)}, envDeps{tokenTTL: time.Minute,
		ingest: ingest.Options{Chunking: ingest.ChunkOptions{Size: 200}}})
	e2.register("root")
	bob := e2.register("bob")
	var long strings.Builder
	for i := 0; long.Len() < 12000; i++ {
		long.WriteString(sprintf("Paragraph %d of the long report describes the harbour, its cranes and the tides.\n\n", i))
	}
	r = e2.upload(bob.Token, "wait=true", file{"report.txt", []byte(long.String())})
	var failed []documentJSON
	r.JSON(t, &failed)
	if len(failed) != 1 || failed[0].Status != "failed" || !strings.Contains(failed[0].Error, "quota of 40") {
		t.Errorf("a document of more passages than the quota: %s", r.Body)
	}
	if u := e2.usage(bob.Token); u.Usage.Chunks != 0 || u.Usage.Documents != 1 {
		t.Errorf("usage after the failed document: %+v", u.Usage)
	}

	// Admins have no quota; an admin changes ann's.
	e.ingest(admin.Token, small(10), small(11), small(12), small(13))
	if m := e.usage(admin.Token); m.Quota.Documents != nil || m.Usage.Documents != 4 {
		t.Errorf("the admin's quota and usage: %+v", m)
	}
	r = e.do("PATCH", sprintf("/api/v1/users/%d", ann.ID), admin.Token, map[string]any{"quota": map[string]any{"documents": 10, "bytes": 0}})
	expect(t, "raise ann's quota", r, http.StatusOK)
	m = e.usage(ann.Token)
	if *m.Quota.Documents != 10 || m.Quota.Bytes != nil || *m.Quota.Chunks != 40 {
		t.Errorf("ann's quota after the change: documents %v bytes %v chunks %v", m.Quota.Documents, m.Quota.Bytes, m.Quota.Chunks)
	}
	e.ingest(ann.Token, big, small(5))
	expect(t, "a bad quota", e.do("PATCH", sprintf("/api/v1/users/%d", ann.ID), admin.Token, map[string]any{"quota": map[string]any{"documents": -1}}), http.StatusUnprocessableEntity)
	expect(t, "back to the defaults", e.do("PATCH", sprintf("/api/v1/users/%d", ann.ID), admin.Token, map[string]any{"quota": nil}), http.StatusOK)
	if m := e.usage(ann.Token); *m.Quota.Documents != 3 || m.Usage.Documents != 4 {
		t.Errorf("ann after the reset: %+v", m)
	}
	var users []userJSON
	e.do("GET", "/api/v1/users", admin.Token, nil).JSON(t, &users)
	if len(users) != 2 || users[1].Usage == nil || users[1].Usage.Documents != 4 {
		t.Errorf("the admin's list lacks usage: %+v", users)
	}
}
