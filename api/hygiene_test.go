package api

import (
	"bufio"
	"bytes"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Finding 5: a client's X-Request-Id was echoed into headers, bodies and
// logs whatever its size (18 MB of log from 20 requests). Now only a short,
// well-formed id is kept; anything else is replaced by a generated one.
func TestRequestIDFromClientOnlyWhenShortAndWellFormed(t *testing.T) {
	var logs syncBuffer
	e := startEnv(t, Config{LoginRate: 10000, RegisterRate: 10000}, envDeps{tokenTTL: time.Minute,
		log: slog.New(slog.NewTextHandler(&logs, nil))})
	huge := strings.Repeat("A", 200<<10)
	for _, c := range []struct {
		name, id string
		kept     bool
	}{
		{"uuid", "3f1c2a9e-8b7d-4c55-9a1e-0d2f6b7c8e90", true},
		{"chi's own form", "host/abcdEFGH12-000042", true},
		{"200 KB", huge, false},
		{"65 characters", strings.Repeat("x", 65), false},
		{"spaces and quotes", `a "quoted" id`, false},
		{"a log line break", "abc\\nlevel=ERROR msg=forged", false},
		{"non-ASCII", "идентификатор", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", e.http.URL+"/api/v1/conversations", nil) // 401: a problem body with the id
			req.Header.Set("X-Request-Id", c.id)
			r := e.send(req)
			got := r.Header.Get("X-Request-Id")
			if c.kept != (got == c.id) {
				t.Errorf("X-Request-Id %.40q answered with %.80q (kept: %v, want %v)", c.id, got, got == c.id, c.kept)
			}
			if got == "" || len(got) > maxRequestID {
				t.Errorf("answered X-Request-Id %.80q: want a generated id of at most %d bytes", got, maxRequestID)
			}
			problemOf(t, "401", r)
			var body Problem
			r.JSON(t, &body)
			if body.RequestID != got {
				t.Errorf("the problem body's request_id %.80q is not the header's %q", body.RequestID, got)
			}
		})
	}
	if n := len(logs.String()); n > 20<<10 || strings.Contains(logs.String(), huge[:1000]) {
		t.Errorf("the log holds %d bytes after 7 requests, or the 200 KB id", n)
	}
}

// rawPost sends a POST with a JSON body of n bytes to path over a raw
// connection, writing the body in pieces of size chunk every gap, and
// returns the status line the server answers (or "" when it only closes).
func rawPost(t *testing.T, base, path string, body []byte, chunk int, gap time.Duration) (status string, took time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	head := "POST " + path + " HTTP/1.1\r\nHost: docent\r\nContent-Type: application/json\r\n" +
		sprintf("Content-Length: %d\r\n\r\n", len(body))
	if _, err := conn.Write([]byte(head)); err != nil {
		t.Fatal(err)
	}
	answered := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(conn).ReadString('\n')
		answered <- strings.TrimSpace(line)
	}()
	for len(body) > 0 {
		n := min(chunk, len(body))
		if _, err := conn.Write(body[:n]); err != nil {
			break // the server closed the connection
		}
		body = body[n:]
		select {
		case s := <-answered:
			return s, time.Since(start)
		case <-time.After(gap):
		}
	}
	select {
	case s := <-answered:
		return s, time.Since(start)
	case <-time.After(10 * time.Second):
		t.Fatal("no answer 10 s after the whole body was sent")
	}
	return "", 0
}

// Finding 6: a body sent at 1 byte/s held a connection for ever. Now a
// body must keep a floor of bytes per second within each window; a slow
// but steady one (above the floor) still goes through, however long it
// takes.
func TestSlowBodiesAreCutSteadyOnesFinish(t *testing.T) {
	e := newTestEnv(t, Config{BodyMinRate: 100, BodyWindow: time.Second}) // 100 bytes a second
	pad := func(n int, json string) []byte {
		return []byte(json[:len(json)-1] + strings.Repeat(" ", n-len(json)) + "}")
	}
	// 1 byte every 100 ms: 10 B/s, a tenth of the floor.
	status, took := rawPost(t, e.http.URL, "/api/v1/auth/token", pad(400, `{"username":"ann","password":"x"}`), 1, 100*time.Millisecond)
	if !strings.Contains(status, "408") || took > 5*time.Second {
		t.Errorf("a body at 10 B/s against a floor of 100 B/s: %q after %v, want 408 within about one window", status, took)
	}
	// 40 bytes every 100 ms: 400 B/s for about 3 seconds, three windows
	// (four times the floor, so a loaded machine's late timers cannot
	// starve a window).
	body := pad(1200, `{"username":"steady","email":"steady@example.com","password":"a-long-password"}`)
	status, took = rawPost(t, e.http.URL, "/api/v1/auth/register", body, 40, 100*time.Millisecond)
	if !strings.Contains(status, "201") {
		t.Errorf("a steady body at four times the floor over %v: %q, want 201", took, status)
	}
	if took < 2*time.Second {
		t.Errorf("the steady body took only %v: the test no longer spans several windows", took)
	}
}

// Finding 7: /metrics was public (Go version, failed logins per route).
// Now it takes an admin's credentials or the scrape token; a separate
// metrics listener asks for the token too when one is set.
func TestMetricsNeedAnAdminOrTheScrapeToken(t *testing.T) {
	const scrape = "scrape-token-0123456789"
	e := newTestEnv(t, Config{MetricsToken: scrape})
	admin, ann := e.register("admin"), e.register("ann")
	for _, c := range []struct {
		who, token string
		want       int
	}{
		{"anonymous", "", http.StatusUnauthorized},
		{"a wrong token", "scrape-token-wrong", http.StatusUnauthorized},
		{"a plain user", ann.Token, http.StatusForbidden},
		{"an admin", admin.Token, http.StatusOK},
		{"the scrape token", scrape, http.StatusOK},
	} {
		r := e.do("GET", "/metrics", c.token, nil)
		if r.Status != c.want {
			t.Errorf("/metrics as %s: %d, want %d", c.who, r.Status, c.want)
		}
		if leaked := strings.Contains(string(r.Body), "go_info"); leaked != (c.want == http.StatusOK) {
			t.Errorf("/metrics as %s: body shows go_info: %v", c.who, leaked)
		}
	}

	h := e.srv.MetricsHandler()
	for _, c := range []struct {
		token string
		want  int
	}{{"", http.StatusUnauthorized}, {"nope", http.StatusUnauthorized}, {scrape, http.StatusOK}} {
		rec := httpRecord(h, "GET", "/metrics", c.token)
		if rec.Code != c.want {
			t.Errorf("metrics listener with token %q: %d, want %d", c.token, rec.Code, c.want)
		}
	}
	open := newTestEnv(t, Config{}).srv.MetricsHandler()
	if rec := httpRecord(open, "GET", "/metrics", ""); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "go_goroutines") {
		t.Errorf("metrics listener without a token configured: %d", rec.Code)
	}
	if rec := httpRecord(open, "GET", "/api/v1/auth/me", ""); rec.Code != http.StatusNotFound {
		t.Errorf("the metrics listener serves the API: %d", rec.Code)
	}
}

// httpRecord serves one request to h in process, with a bearer token when
// token is not empty.
func httpRecord(h http.Handler, method, path, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
