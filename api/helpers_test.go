package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"docent/chat"
	"docent/ingest"
	"docent/internal/auth"
	"docent/retrieval"
	"docent/store"
)

// testEnv is a server over a fresh store, reached through the real router.
type testEnv struct {
	t      testing.TB
	srv    *Server
	http   *httptest.Server
	db     store.Store
	dir    string // the data directory: the store file (bbolt) and the upload spool
	lib    *retrieval.Library
	tokens *auth.Tokens
}

var testSecret = []byte("test-secret-test-secret-test-secret!")

func newTestEnv(t *testing.T, cfg Config) *testEnv {
	return newTestEnvChat(t, cfg, nil)
}

// newTestEnvChat is newTestEnv answering with chatEngine (extractive when nil).
func newTestEnvChat(t testing.TB, cfg Config, chatEngine *chat.Engine) *testEnv {
	t.Helper()
	if cfg.LoginRate == 0 {
		cfg.LoginRate = 10000
	}
	if cfg.RegisterRate == 0 {
		cfg.RegisterRate = 10000
	}
	if cfg.ChatRate == 0 { // the limits' own tests set them
		cfg.ChatRate, cfg.ChatConcurrency = 100000, 1000
	}
	if chatEngine == nil {
		chatEngine, _ = chat.New(chat.Config{})
	}
	return startEnv(t, cfg, envDeps{tokenTTL: time.Minute, chat: chatEngine})
}

// envDeps are the server's dependencies that differ between environments.
type envDeps struct {
	tokenTTL time.Duration
	ingest   ingest.Options
	chat     *chat.Engine
	log      *slog.Logger // nil: discarded
	fetcher  Fetcher      // nil: the default, which refuses private addresses
	watches  func() []ingest.WatchStatus
}

// startEnv starts a server over a fresh store, with a running ingest
// pipeline, reached through the real router.
func startEnv(tb testing.TB, cfg Config, d envDeps) *testEnv {
	tb.Helper()
	db, err := store.Open(context.Background(), tb.TempDir(), store.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return startEnvOn(tb, cfg, d, db, db.Dir(), nil)
}

// startEnvOn starts a server over db (keeping uploads in dir), as docent
// serve does: a replica of a shared store (shared not nil) follows its
// change log and coordinates through it.
// Registration is open unless cfg says otherwise: most tests register
// several users and use them at once.
func startEnvOn(tb testing.TB, cfg Config, d envDeps, db store.Store, dir string, shared Shared) *testEnv {
	tb.Helper()
	if cfg.Registration == "" {
		cfg.Registration = RegistrationOpen
	}
	tokens, _ := auth.NewTokens(testSecret, d.tokenTTL)
	hasher, _ := auth.NewHasher(bcrypt.MinCost)
	lib := retrieval.NewLibrary(db, retrieval.NewBuiltin(0), retrieval.LibraryOptions{})
	if _, err := lib.Load(context.Background()); err != nil {
		tb.Fatal(err)
	}
	pipe, err := ingest.NewPipeline(db, lib, filepath.Join(dir, "uploads"), d.ingest)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(func() { cancel(); pipe.Close() })
	if lib.Following() {
		followed := make(chan struct{})
		go func() { defer close(followed); lib.Follow(ctx, nil) }()
		tb.Cleanup(func() { cancel(); <-followed })
		if err := lib.Sync(ctx); err != nil {
			tb.Fatal(err)
		}
	}
	if err := pipe.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	srv := New(cfg, Deps{DB: db, Tokens: tokens, Hasher: hasher, Log: d.log, Ingest: pipe, Library: lib, Chat: d.chat,
		Fetcher: d.fetcher, Watches: d.watches, Shared: shared})
	tb.Cleanup(srv.Wait)
	srv.SetReady()
	if lib.Following() {
		srv.SetHealth(lib.Healthy)
	}
	hs := httptest.NewServer(srv.Handler())
	tb.Cleanup(hs.Close)
	return &testEnv{t: tb, srv: srv, http: hs, db: db, dir: dir, lib: lib, tokens: tokens}
}

// response is a finished request: its status, headers and body.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %q: %v", r.Body, err)
	}
}

// Detail returns the problem detail of an error response (the message of
// an OpenAI-shaped error under /v1).
func (r response) Detail() string {
	var p Problem
	json.Unmarshal(r.Body, &p)
	if p.Detail == "" {
		var e openAIError
		json.Unmarshal(r.Body, &e)
		return e.Error.Message
	}
	return p.Detail
}

// do sends a request with an optional bearer token and body (a string is
// sent as is, anything else as JSON).
func (e *testEnv) do(method, path, token string, body any) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.http.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.send(req)
}

func (e *testEnv) send(req *http.Request) response {
	e.t.Helper()
	resp, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// account is a registered user with a token.
type account struct {
	ID    uint64
	Name  string
	Token string
}

// register creates name (password "password-<name>") and logs in.
func (e *testEnv) register(name string) account {
	e.t.Helper()
	r := e.do("POST", "/api/v1/auth/register", "", map[string]string{
		"username": name, "email": name + "@example.com", "password": "password-" + name})
	if r.Status != http.StatusCreated {
		e.t.Fatalf("register %s: %d %s", name, r.Status, r.Body)
	}
	var u userJSON
	r.JSON(e.t, &u)
	return account{ID: u.ID, Name: name, Token: e.login(name, "password-"+name)}
}

// login returns a token for name, failing the test if refused.
func (e *testEnv) login(name, password string) string {
	e.t.Helper()
	r := e.do("POST", "/api/v1/auth/token", "", map[string]string{"username": name, "password": password})
	if r.Status != http.StatusOK {
		e.t.Fatalf("login %s: %d %s", name, r.Status, r.Body)
	}
	var tok tokenResponse
	r.JSON(e.t, &tok)
	return tok.AccessToken
}

// expect fails the test unless r has status want.
func expect(t testing.TB, what string, r response, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s: status %d, want %d; body %s", what, r.Status, want, r.Body)
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// file is one part of a multipart upload.
type file struct {
	name string
	data []byte
}

// upload posts files as multipart "file" parts to /api/v1/documents?query.
func (e *testEnv) upload(token, query string, files ...file) response {
	e.t.Helper()
	return e.postMultipart(token, query, func(mw *multipart.Writer) {
		for _, f := range files {
			w, err := mw.CreateFormFile("file", f.name)
			if err != nil {
				e.t.Fatal(err)
			}
			w.Write(f.data)
		}
	})
}

// postMultipart posts the multipart body that write writes to
// /api/v1/documents?query.
func (e *testEnv) postMultipart(token, query string, write func(*multipart.Writer)) response {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	write(mw)
	mw.Close()
	req, _ := http.NewRequest("POST", e.http.URL+"/api/v1/documents?"+query, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	return e.send(req)
}

// ingest uploads files with ?wait=true and returns their documents, which
// must all be ready.
func (e *testEnv) ingest(token string, files ...file) []documentJSON {
	e.t.Helper()
	r := e.upload(token, "wait=true", files...)
	expect(e.t, "upload", r, http.StatusCreated)
	var docs []documentJSON
	r.JSON(e.t, &docs)
	for _, d := range docs {
		if d.Status != "ready" {
			e.t.Fatalf("%s is %s: %s", d.Filename, d.Status, d.Error)
		}
	}
	return docs
}

// conversation creates a conversation for token and returns its id.
func (e *testEnv) conversation(token string) uint64 {
	e.t.Helper()
	r := e.do("POST", "/api/v1/conversations", token, map[string]string{})
	expect(e.t, "create conversation", r, http.StatusCreated)
	var c conversationJSON
	r.JSON(e.t, &c)
	return c.ID
}

// Fixture documents.
var (
	campingGuide = file{"guide.md", []byte("# Camping guide\n\n## Tents\n\nA good tent keeps you dry. The Osprey tent weighs 1.2 kg and sets up in four minutes.\n\n" +
		"## Water\n\nBoil water for one minute before drinking it. At altitudes above 2000 metres, boil water for three minutes.\n")}
	handbookZH = file{"handbook.txt", []byte("员工手册\n\n年假规定：员工每年享有十五天带薪年假。病假需要提供医生证明。\n")}
)
