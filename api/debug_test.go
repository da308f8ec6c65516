package api

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestPprofOffByDefault(t *testing.T) {
	e := newTestEnv(t, Config{})
	admin := e.register("ann")
	expect(t, "profiles while off", e.do("GET", "/debug/pprof/", admin.Token, nil), http.StatusNotFound)
	expect(t, "anonymous", e.do("GET", "/debug/pprof/", "", nil), http.StatusUnauthorized)
}

func TestPprofForAdminsOnly(t *testing.T) {
	e := newTestEnv(t, Config{})
	e.srv.EnableProfiling()
	admin, user := e.register("ann"), e.register("bob")
	expect(t, "anonymous", e.do("GET", "/debug/pprof/", "", nil), http.StatusUnauthorized)
	expect(t, "plain user", e.do("GET", "/debug/pprof/heap", user.Token, nil), http.StatusForbidden)
	for path, want := range map[string]string{
		"/debug/pprof/":                  "goroutine",
		"/debug/pprof/heap?debug=1":      "heap profile",
		"/debug/pprof/goroutine?debug=1": "goroutine profile",
		"/debug/pprof/cmdline":           "",
	} {
		r := e.do("GET", path, admin.Token, nil)
		expect(t, path, r, http.StatusOK)
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("%s: body %.200q lacks %q", path, r.Body, want)
		}
	}
}

func TestLatencyHistogramsOnMetrics(t *testing.T) {
	e := newTestEnv(t, Config{})
	admin := e.register("admin")
	l := NewLatencies()
	e.srv.Register(l.Collectors()...)
	l.ObserveSearch("hybrid", 3*time.Millisecond)
	l.ObserveSearch("vector", 40*time.Millisecond)
	l.ObserveIngest("extract", 200*time.Millisecond)
	r := e.do("GET", "/metrics", admin.Token, nil)
	expect(t, "metrics as admin", r, http.StatusOK)
	body := r.Body
	for _, want := range []string{
		`docent_search_duration_seconds_bucket{mode="hybrid",le="0.005"} 1`,
		`docent_search_duration_seconds_bucket{mode="vector",le="0.025"} 0`,
		`docent_search_duration_seconds_count{mode="vector"} 1`,
		`docent_ingest_stage_duration_seconds_count{stage="extract"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
