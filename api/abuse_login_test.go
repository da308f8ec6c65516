package api

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"docent/internal/auth"
)

// Login abuse (see abuse_test.go): throttling that cannot be dodged, and
// answers that do not tell which accounts exist.

// Login throttling beyond auth_test.go: Retry-After is usable, the right
// password is throttled too from the address that guessed, the wait cannot
// be dodged by spelling the login differently, and a spoofed
// X-Forwarded-For from an untrusted peer changes nothing.
func TestLoginThrottleDetails(t *testing.T) {
	e := newTestEnv(t, Config{LoginRate: 60})
	frozen := time.Now()
	e.srv.guesses.now = func() time.Time { return frozen } // a wait never runs out here
	e.register("ann")
	login := func(user, pw string) response {
		return e.do("POST", "/api/v1/auth/token", "", map[string]string{"username": user, "password": pw})
	}
	for i := range 10 {
		if r := login("ann", "wrong-password"); r.Status != http.StatusUnauthorized && r.Status != http.StatusTooManyRequests {
			t.Fatalf("attempt %d: %d", i+1, r.Status)
		}
	}
	last := login("ann", "wrong-password")
	expect(t, "11th attempt", last, http.StatusTooManyRequests)
	p := problemOf(t, "429", last)
	secs, err := strconv.Atoi(last.Header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 60 {
		t.Errorf("Retry-After %q, want whole seconds from 1 to 60", last.Header.Get("Retry-After"))
	}
	if strings.Contains(p.Detail, "ann") {
		t.Errorf("429 detail %q names the account", p.Detail)
	}
	for _, s := range []string{"ann", "ANN", " ann\t"} {
		if r := login(s, "password-ann"); r.Status != http.StatusTooManyRequests {
			t.Errorf("throttled account, right password as %q: %d, want 429", s, r.Status)
		}
	}
	t.Run("the email is the same account", func(t *testing.T) {
		// Regression: the account limiter was keyed by the login as typed,
		// so the email opened a second budget for the same account: 10
		// more guesses a minute, and here the right password got a token.
		for _, s := range []string{"ann@example.com", "ANN@example.com"} {
			if r := login(s, "password-ann"); r.Status != http.StatusTooManyRequests {
				t.Errorf("throttled account, right password by email %q: %d, want 429", s, r.Status)
			}
		}
	})
	// Another account from the same IP is limited only by the IP budget.
	e.register("bob")
	expect(t, "bob meanwhile", login("bob", "password-bob"), 200)

	// The IP limit: spoofed X-Forwarded-For from a peer that is not a
	// trusted proxy is ignored.
	f := newTestEnv(t, Config{LoginRate: 12, TrustedProxies: []string{"10.0.0.0/8"}})
	var r response
	for i := range 13 {
		req, _ := http.NewRequest("POST", f.http.URL+"/api/v1/auth/token", strings.NewReader(sprintf(`{"username":"u%d","password":"x"}`, i)))
		req.Header.Set("X-Forwarded-For", sprintf("203.0.113.%d", i))
		req.Header.Set("X-Real-IP", sprintf("198.51.100.%d", i))
		r = f.send(req)
	}
	expect(t, "13th login with rotating X-Forwarded-For", r, http.StatusTooManyRequests)

	// Registration has its own limit.
	g := newTestEnv(t, Config{RegisterRate: 3})
	for i := range 4 {
		r = g.do("POST", "/api/v1/auth/register", "", map[string]string{"username": sprintf("user%d", i), "email": sprintf("u%d@example.com", i), "password": "long-enough"})
	}
	expect(t, "4th registration in a minute", r, http.StatusTooManyRequests)
	if r.Header.Get("Retry-After") == "" {
		t.Error("registration 429 without Retry-After")
	}
}

// No user enumeration at login: an unknown user, a wrong password and a
// deactivated account get the same status, headers and body, and the
// unknown user costs about as much time as a wrong password. The hasher
// here uses a real bcrypt cost so that hashing dominates the timing.
func TestLoginDoesNotEnumerateUsers(t *testing.T) {
	e := newTestEnv(t, Config{})
	hasher, err := auth.NewHasher(6)
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Config{LoginRate: 100000, Registration: RegistrationOpen}, Deps{DB: e.db, Tokens: e.tokens, Hasher: hasher, Library: e.srv.library, Ingest: e.srv.ingest, Chat: e.srv.chat})
	srv.SetReady()
	// Each failure is forgotten before the next (the clock jumps, under the
	// guesses' lock): this test times password checks, not waits.
	clock := time.Now()
	srv.guesses.now = func() time.Time { clock = clock.Add(2 * guessesForget); return clock }
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	post := func(user, pw string) (response, time.Duration) {
		req, _ := http.NewRequest("POST", hs.URL+"/api/v1/auth/token", strings.NewReader(sprintf(`{"username":%q,"password":%q}`, user, pw)))
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		r := e.send(req)
		return r, time.Since(start)
	}
	var olga userJSON
	for _, u := range []string{"admin", "ann", "olga"} {
		req, _ := http.NewRequest("POST", hs.URL+"/api/v1/auth/register", strings.NewReader(sprintf(`{"username":%q,"email":"%s@example.com","password":"password-%s"}`, u, u, u)))
		r := e.send(req)
		if r.Status != 201 {
			t.Fatalf("register %s: %d", u, r.Status)
		}
		r.JSON(t, &olga)
	}
	adminTok, _ := post("admin", "password-admin")
	var tok tokenResponse
	adminTok.JSON(t, &tok)
	req, _ := http.NewRequest("PATCH", hs.URL+sprintf("/api/v1/users/%d", olga.ID), strings.NewReader(`{"is_active":false}`))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	expect(t, "deactivate olga", e.send(req), 200)
	if r, _ := post("ann", "password-ann"); r.Status != 200 {
		t.Fatalf("control login: %d", r.Status)
	}

	shape := func(r response) string {
		var p Problem
		r.JSON(t, &p)
		p.RequestID = ""
		h := r.Header
		return sprintf("%d %s %s %s %+v", r.Status, h.Get("Content-Type"), h.Get("WWW-Authenticate"), h.Get("Cache-Control"), p)
	}
	unknown, _ := post("nobody-here", "password-ann")
	wrong, _ := post("ann", "not-her-password")
	deactivated, _ := post("olga", "password-olga")
	byEmail, _ := post("nobody@example.com", "password-ann")
	for name, r := range map[string]response{"wrong password": wrong, "deactivated account": deactivated, "unknown email": byEmail} {
		if shape(r) != shape(unknown) {
			t.Errorf("unknown user and %s answer differently:\n%s\n%s", name, shape(unknown), shape(r))
		}
	}

	const tries = 21
	var tUnknown, tWrong []time.Duration
	for i := range tries {
		_, d1 := post(sprintf("nobody%d", i), "password-ann")
		_, d2 := post("ann", sprintf("wrong-password-%d", i))
		tUnknown, tWrong = append(tUnknown, d1), append(tWrong, d2)
	}
	slices.Sort(tUnknown)
	slices.Sort(tWrong)
	mu, mw := tUnknown[tries/2], tWrong[tries/2]
	t.Logf("median login time: unknown user %v, wrong password %v", mu, mw)
	if mu*3 < mw || mw*3 < mu {
		t.Errorf("median login time tells unknown users (%v) from wrong passwords (%v)", mu, mw)
	}
}
