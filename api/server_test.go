package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

func TestHealthReadyRoot(t *testing.T) {
	e := newTestEnv(t, Config{Version: "v9"})
	r := e.do("GET", "/health", "", nil)
	expect(t, "health", r, 200)
	if strings.TrimSpace(string(r.Body)) != `{"status":"healthy"}` {
		t.Errorf("health body %s", r.Body)
	}
	expect(t, "ready", e.do("GET", "/ready", "", nil), 200)
	expect(t, "root", e.do("GET", "/", "", nil), 200)

	e.srv.ready.Store(false)
	expect(t, "ready while loading", e.do("GET", "/ready", "", nil), http.StatusServiceUnavailable)
	expect(t, "health while loading", e.do("GET", "/health", "", nil), 200)
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	e := newTestEnv(t, Config{})
	for _, path := range []string{"/health", "/api/v1/auth/me", "/no/such/path"} {
		r := e.do("GET", path, "", nil)
		for _, h := range []string{"X-Content-Type-Options", "Content-Security-Policy", "Referrer-Policy", "X-Request-Id"} {
			if r.Header.Get(h) == "" {
				t.Errorf("%s: missing %s", path, h)
			}
		}
	}
	r := e.do("GET", "/no/such/path", "", nil)
	expect(t, "unknown path", r, 404)
	if r.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("404 is not problem+json: %s", r.Header.Get("Content-Type"))
	}
	expect(t, "wrong method", e.do("PATCH", "/health", "", nil), 405)
}

func TestCORSClosedByDefaultOpenWhenConfigured(t *testing.T) {
	preflight := func(e *testEnv, origin string) response {
		req, _ := http.NewRequest("OPTIONS", e.http.URL+"/api/v1/auth/me", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "GET")
		return e.send(req)
	}
	closed := newTestEnv(t, Config{})
	if got := preflight(closed, "https://evil.example").Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("default CORS allows %q", got)
	}
	open := newTestEnv(t, Config{CORSOrigins: []string{"https://app.example"}})
	if got := preflight(open, "https://app.example").Header.Get("Access-Control-Allow-Origin"); got != "https://app.example" {
		t.Errorf("configured origin not allowed: %q", got)
	}
	if got := preflight(open, "https://evil.example").Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("other origin allowed: %q", got)
	}
}

func TestJSONBodyLimitAndAbuse(t *testing.T) {
	e := newTestEnv(t, Config{})
	ann := e.register("ann")
	huge := `{"title":"` + strings.Repeat("x", maxJSONBody) + `"}`
	expect(t, "over 1 MiB", e.do("POST", "/api/v1/conversations", ann.Token, huge), http.StatusRequestEntityTooLarge)
	cases := map[string]string{
		"invalid UTF-8":   "{\"title\":\"\xff\xfe\"}",
		"deep nesting":    strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
		"huge number":     `{"content":"x","top_k":1e400}`,
		"two values":      `{"title":"a"}{"title":"b"}`,
		"wrong type":      `{"title":42}`,
		"array for title": `{"title":["a"]}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			r := e.do("POST", "/api/v1/conversations", ann.Token, body)
			if r.Status < 400 || r.Status >= 500 {
				t.Errorf("status %d, want 4xx: %s", r.Status, r.Body)
			}
			if r.Detail() == "" {
				t.Errorf("no detail: %s", r.Body)
			}
		})
	}
}

func TestPanicBecomesProblem500(t *testing.T) {
	e := newTestEnv(t, Config{})
	h := e.srv.recoverer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom at /secret/path.go") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 500 || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("panic answered %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	if strings.Contains(rec.Body.String(), "boom") || strings.Contains(rec.Body.String(), ".go") {
		t.Errorf("500 body leaks the panic: %s", rec.Body)
	}
}

func TestMetricsByRoutePattern(t *testing.T) {
	e := newTestEnv(t, Config{})
	admin := e.register("admin")
	for i := 1; i <= 3; i++ {
		e.do("GET", sprintf("/api/v1/conversations/%d", 1000+i), admin.Token, nil)
	}
	r := e.do("GET", "/metrics", admin.Token, nil)
	body := string(r.Body)
	want := `docent_http_requests_total{method="GET",route="/api/v1/conversations/{id}",status="404"} 3`
	if !strings.Contains(body, want) {
		t.Errorf("metrics lack %s", want)
	}
	if strings.Contains(body, "/api/v1/conversations/1001") {
		t.Error("metrics label raw paths")
	}
	if !strings.Contains(body, "docent_http_request_duration_seconds_bucket") {
		t.Error("no latency histogram")
	}
}

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	e := newTestEnv(t, Config{})
	r := e.do("GET", "/openapi.json", "", nil)
	expect(t, "openapi", r, 200)
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatal(err)
	}
	router := e.srv.Handler().(chi.Routes)
	n := 0
	chi.Walk(router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		n++
		if _, ok := doc.Paths[route][strings.ToLower(method)]; !ok {
			t.Errorf("%s %s is routed but not in /openapi.json", method, route)
		}
		return nil
	})
	if n < 15 {
		t.Errorf("walked only %d routes", n)
	}
}
