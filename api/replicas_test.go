package api

import (
	"context"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/httprate"

	"docent/chat"
	"docent/internal/pgtest"
	"docent/store/postgres"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// pgShared adapts a PostgreSQL store to Shared, as docent serve does.
type pgShared struct{ *postgres.DB }

func (s pgShared) RateCounter(name string) httprate.LimitCounter { return s.DB.RateCounter(name) }

// newReplica starts a server over the PostgreSQL database at url, as a
// replica of docent serve --store url runs: its own connections, upload
// spool and in-memory index, following the database's change log.
func newReplica(t testing.TB, url string, cfg Config) *testEnv {
	t.Helper()
	db, err := postgres.Open(context.Background(), url, postgres.Options{MaxConns: 16})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if cfg.LoginRate == 0 {
		cfg.LoginRate = 10000
	}
	if cfg.RegisterRate == 0 {
		cfg.RegisterRate = 10000
	}
	engine, err := chat.New(chat.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return startEnvOn(t, cfg, envDeps{tokenTTL: time.Minute, chat: engine}, db, t.TempDir(), pgShared{db})
}

// searchTexts returns the texts a search on e finds for token.
func (e *testEnv) searchTexts(token, query string) []string {
	e.t.Helper()
	r := e.do("POST", "/api/v1/search", token, map[string]any{"query": query, "top_k": 5})
	expect(e.t, "search "+query, r, http.StatusOK)
	var res struct{ Results []sourceJSON }
	r.JSON(e.t, &res)
	var out []string
	for _, s := range res.Results {
		out = append(out, s.Text)
	}
	return out
}

// eventually polls cond until it holds or 10 s pass, returning how long it took.
func eventually(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("%s: still not so after 10 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

func found(texts []string, marker string) bool {
	for _, s := range texts {
		if strings.Contains(s, marker) {
			return true
		}
	}
	return false
}

// TestReplicasShareOneStore: two replicas over one database. An upload on
// A is searchable on B, a deletion on B is gone from A, a conversation
// begun on A continues on B, and questions sent to both at once in one
// conversation are answered one after the other.
func TestReplicasShareOneStore(t *testing.T) {
	url := pgtest.URL(t)
	a, b := newReplica(t, url, Config{}), newReplica(t, url, Config{})
	ann := a.register("ann")
	annOnB := account{ID: ann.ID, Name: "ann", Token: b.login("ann", "password-ann")}

	docs := a.ingest(ann.Token, file{"reactor.md", []byte("# Reactor\n\nThe zorblax reactor access code is quuxcode 4417.\n")})
	took := eventually(t, "the upload on A searchable on B", func() bool { return found(b.searchTexts(annOnB.Token, "zorblax reactor access code"), "quuxcode") })
	t.Logf("an upload on A was searchable on B %v after A answered", took)
	if !found(a.searchTexts(ann.Token, "zorblax reactor access code"), "quuxcode") {
		t.Fatal("A does not find what it just indexed")
	}

	r := b.do("DELETE", sprintf("/api/v1/documents/%d", docs[0].ID), annOnB.Token, nil)
	if r.Status != http.StatusNoContent && r.Status != http.StatusOK {
		t.Fatalf("delete on B: %d %s", r.Status, r.Body)
	}
	if found(b.searchTexts(annOnB.Token, "zorblax reactor access code"), "quuxcode") {
		t.Fatal("B still returns a document it deleted")
	}
	took = eventually(t, "the deletion on B gone from A", func() bool { return !found(a.searchTexts(ann.Token, "zorblax reactor access code"), "quuxcode") })
	t.Logf("a deletion on B was gone from A %v after B answered", took)

	a.ingest(ann.Token, campingGuide)
	eventually(t, "the guide on B", func() bool { return found(b.searchTexts(annOnB.Token, "boil water"), "Boil water") })
	conv := a.conversation(ann.Token)
	ask := func(e *testEnv, token, q string) {
		r := e.do("POST", sprintf("/api/v1/conversations/%d/messages", conv), token, map[string]string{"content": q})
		expect(t, "ask "+q, r, http.StatusCreated)
	}
	ask(a, ann.Token, "How long should I boil water?")
	ask(b, annOnB.Token, "And above 2000 metres?")
	var wg sync.WaitGroup
	for i, e := range []*testEnv{a, b, a, b} {
		tok := ann.Token
		if e == b {
			tok = annOnB.Token
		}
		wg.Add(1)
		go func() { defer wg.Done(); ask(e, tok, sprintf("How heavy is the tent? (%d)", i)) }()
	}
	wg.Wait()
	r = a.do("GET", sprintf("/api/v1/conversations/%d/messages", conv), ann.Token, nil)
	expect(t, "messages", r, http.StatusOK)
	var msgs []messageJSON
	r.JSON(t, &msgs)
	if len(msgs) != 12 {
		t.Fatalf("%d messages, want 12", len(msgs))
	}
	for i, m := range msgs {
		if want := []string{"user", "assistant"}[i%2]; m.Role != want {
			t.Fatalf("message %d is %s, want %s: exchanges on two replicas interleaved", i, m.Role, want)
		}
	}
	if !strings.Contains(msgs[3].Content, "three minutes") {
		t.Errorf("the follow-up asked on B was not answered from the conversation begun on A: %q", msgs[3].Content)
	}
	for _, e := range []*testEnv{a, b} {
		r := e.do("GET", "/api/v1/admin/check", ann.Token, nil)
		expect(t, "check", r, http.StatusOK)
		var rep struct {
			OK    bool     `json:"ok"`
			Index []string `json:"index"`
		}
		r.JSON(t, &rep)
		if !rep.OK {
			t.Errorf("index and store differ on a replica: %s", r.Body)
		}
	}
}

// TestReplicasShareRateLimits: registrations counted in the store, so the
// limit holds whichever replica a client reaches.
func TestReplicasShareRateLimits(t *testing.T) {
	url := pgtest.URL(t)
	a, b := newReplica(t, url, Config{RegisterRate: 4}), newReplica(t, url, Config{RegisterRate: 4})
	statuses := map[int]int{}
	for i := range 8 {
		e := []*testEnv{a, b}[i%2]
		r := e.do("POST", "/api/v1/auth/register", "", map[string]string{
			"username": sprintf("u%d", i), "email": sprintf("u%d@example.com", i), "password": "password-long"})
		statuses[r.Status]++
	}
	if statuses[http.StatusTooManyRequests] != 4 {
		t.Errorf("statuses %v: want 4 registrations refused with 429 across both replicas", statuses)
	}
}

// TestAuthzMatrixPostgres runs the authorization matrix on the
// PostgreSQL backend.
func TestAuthzMatrixPostgres(t *testing.T) {
	testAuthzMatrix(t, newAuthzOn(t, newReplica(t, pgtest.URL(t), Config{})))
}

// TestReplicaNotReadyWithoutItsStore: /ready answers 503 while the
// database is away and 200 again once the replica has caught up.
func TestReplicaNotReadyWithoutItsStore(t *testing.T) {
	c := pgtest.Cluster(t)
	url := pgtest.URL(t)
	e := newReplica(t, url, Config{})
	expect(t, "ready", e.do("GET", "/ready", "", nil), http.StatusOK)
	if err := c.Pause(); err != nil {
		t.Fatal(err)
	}
	defer c.Resume(context.Background())
	eventually(t, "not ready without the database", func() bool { return e.do("GET", "/ready", "", nil).Status == http.StatusServiceUnavailable })
	if err := c.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "ready again", func() bool { return e.do("GET", "/ready", "", nil).Status == http.StatusOK })
	e.register("ann")
}

// TestReplicasShareGuesses: wrong passwords sent to two replicas in turn
// slow the guessing address down as if they had all reached one.
func TestReplicasShareGuesses(t *testing.T) {
	url := pgtest.URL(t)
	a, b := newReplica(t, url, Config{}), newReplica(t, url, Config{})
	a.register("admin")
	a.register("victim")
	for i := range guessesFree + 1 {
		e := []*testEnv{a, b}[i%2]
		r := e.do("POST", "/api/v1/auth/token", "", map[string]string{"username": "victim", "password": sprintf("guess-%d", i)})
		expect(t, sprintf("guess %d", i), r, http.StatusUnauthorized)
	}
	for _, e := range []*testEnv{a, b} {
		r := e.do("POST", "/api/v1/auth/token", "", map[string]string{"username": "victim", "password": "password-victim"})
		expect(t, "the guessing address's next try", r, http.StatusTooManyRequests)
	}
}
