package api

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"docent/ingest"
)

// loopbackDialer fails the test (and refuses the connection) for any
// address outside 127.0.0.0/8, so no request of these tests leaves the
// machine whatever the fetcher decides.
func loopbackDialer(t *testing.T) *net.Dialer {
	return &net.Dialer{Timeout: 5 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		if ap, err := netip.ParseAddrPort(address); err != nil || !ap.Addr().Unmap().IsLoopback() {
			t.Errorf("a connection to %s was attempted", address)
			return errors.New("test: non-loopback connection refused")
		}
		return nil
	}}
}

// pageServer serves pages whose content the test changes.
type pageServer struct {
	mu    sync.Mutex
	pages map[string]string
}

func (s *pageServer) set(path, body string) { s.mu.Lock(); s.pages[path] = body; s.mu.Unlock() }

func (s *pageServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	body, ok := s.pages[r.URL.Path]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	if strings.HasSuffix(r.URL.Path, ".html") {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	io.WriteString(w, body)
}

func TestUploadByURL(t *testing.T) {
	pages := &pageServer{pages: map[string]string{
		"/guide.html": "<html><head><title>Camping</title></head><body><h1>Water</h1><p>Boil water for three minutes above 2000 metres.</p></body></html>",
		"/tool.exe":   "MZ\x90\x00\x03\x00\x00\x00",
	}}
	web := httptest.NewServer(pages)
	defer web.Close()
	e := startEnv(t, Config{}, envDeps{tokenTTL: time.Minute, fetcher: &ingest.Fetcher{AllowPrivate: true, Dialer: loopbackDialer(t)}})
	ann := e.register("ann")
	post := func(url string) response {
		return e.do("POST", "/api/v1/documents?wait=true", ann.Token, map[string]any{"url": url})
	}

	r := post(web.URL + "/guide.html")
	expect(t, "first fetch", r, 201)
	var docs []documentJSON
	r.JSON(t, &docs)
	if len(docs) != 1 || docs[0].Status != "ready" || docs[0].Filename != "guide.html" || docs[0].Path != web.URL+"/guide.html" {
		t.Fatalf("documents %+v", docs)
	}
	first := docs[0].ID

	post(web.URL+"/guide.html").JSON(t, &docs)
	if len(docs) != 1 || !docs[0].Duplicate || docs[0].ID != first {
		t.Errorf("the same content again: %+v", docs)
	}

	pages.set("/guide.html", "<html><body><h1>Water</h1><p>Boil water for five minutes above 3000 metres.</p></body></html>")
	post(web.URL+"/guide.html").JSON(t, &docs)
	var list []documentJSON
	e.do("GET", "/api/v1/documents", ann.Token, nil).JSON(t, &list)
	if len(list) != 1 || list[0].ID == first || list[0].Status != "ready" {
		t.Fatalf("a changed page must replace the old copy: %+v", list)
	}
	var found struct{ Results []sourceJSON }
	e.do("POST", "/api/v1/search", ann.Token, map[string]any{"query": "five minutes 3000 metres"}).JSON(t, &found)
	if len(found.Results) == 0 || found.Results[0].DocumentID != list[0].ID {
		t.Errorf("the new content is not searchable: %+v", found.Results)
	}

	tests := []struct {
		name   string
		body   any
		status int
		detail string
	}{
		{"missing page", map[string]any{"url": web.URL + "/gone.html"}, 422, "404"},
		{"unreadable type", map[string]any{"url": web.URL + "/tool.exe"}, 415, "supported"},
		{"no url", map[string]any{}, 422, "url"},
		{"not http", map[string]any{"url": "file:///etc/passwd"}, 422, "http"},
		{"unknown workspace", map[string]any{"url": web.URL + "/guide.html", "workspace_id": 3}, 404, "workspace not found"},
	}
	for _, tc := range tests {
		r := e.do("POST", "/api/v1/documents", ann.Token, tc.body)
		expect(t, tc.name, r, tc.status)
		if !strings.Contains(r.Detail(), tc.detail) {
			t.Errorf("%s: detail %q lacks %q", tc.name, r.Detail(), tc.detail)
		}
	}
}

// By default (no --allow-private-urls) loopback and private addresses are
// refused with 422 and nothing is stored.
func TestUploadByURLRefusesPrivate(t *testing.T) {
	web := httptest.NewServer(&pageServer{pages: map[string]string{"/a.txt": "secret"}})
	defer web.Close()
	e := startEnv(t, Config{}, envDeps{tokenTTL: time.Minute, fetcher: &ingest.Fetcher{Dialer: loopbackDialer(t)}})
	ann := e.register("ann")
	for _, u := range []string{web.URL + "/a.txt", "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/", "http://[::1]/"} {
		r := e.do("POST", "/api/v1/documents", ann.Token, map[string]any{"url": u})
		expect(t, u, r, 422)
		if !strings.Contains(r.Detail(), "private") {
			t.Errorf("%s: detail %q", u, r.Detail())
		}
	}
	var list []documentJSON
	e.do("GET", "/api/v1/documents", ann.Token, nil).JSON(t, &list)
	if len(list) != 0 {
		t.Errorf("refused URLs left documents: %+v", list)
	}
}

// A page fetched into a workspace is in it; a workspace the caller may not
// write is refused before anything is fetched.
func TestUploadByURLIntoAWorkspace(t *testing.T) {
	pages := &pageServer{pages: map[string]string{"/guide.html": "<html><body><h1>Water</h1><p>Boil water for three minutes above 2000 metres.</p></body></html>"}}
	web := httptest.NewServer(pages)
	defer web.Close()
	e := startEnv(t, Config{}, envDeps{tokenTTL: time.Minute, fetcher: &ingest.Fetcher{AllowPrivate: true, Dialer: loopbackDialer(t)}})
	ann, bob := e.register("ann"), e.register("bob")
	var ws workspaceJSON
	e.do("POST", "/api/v1/workspaces", ann.Token, map[string]string{"name": "Trips", "visibility": "members"}).JSON(t, &ws)
	expect(t, "bob reads", e.do("PUT", sprintf("/api/v1/workspaces/%d/members/bob", ws.ID), ann.Token, map[string]string{"access": "read"}), 200)

	r := e.do("POST", "/api/v1/documents?wait=true", bob.Token, map[string]any{"url": web.URL + "/guide.html", "workspace_id": ws.ID})
	expect(t, "a read member fetches into it", r, http.StatusForbidden)
	r = e.do("POST", "/api/v1/documents?wait=true", ann.Token, map[string]any{"url": web.URL + "/guide.html", "workspace_id": ws.ID})
	expect(t, "the owner fetches into it", r, http.StatusCreated)
	var docs []documentJSON
	r.JSON(t, &docs)
	e.do("GET", sprintf("/api/v1/workspaces/%d", ws.ID), bob.Token, nil).JSON(t, &ws)
	if len(docs) != 1 || len(ws.Documents) != 1 || ws.Documents[0] != docs[0].ID {
		t.Errorf("the fetched page %+v is not in the workspace %+v", docs, ws)
	}
}
