package api

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// clientFrom returns an HTTP client whose connections come from the
// loopback address ip (127.0.0.2, 127.0.0.3, …: all of 127/8 is loopback
// on Linux), so the server sees distinct client addresses.
func clientFrom(t *testing.T, ip string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	if c, err := d.Dial("tcp", "127.0.0.1:9"); err != nil && strings.Contains(err.Error(), "assign requested address") {
		t.Skipf("cannot bind %s here: %v", ip, err)
	} else if c != nil {
		c.Close()
	}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// loginFrom posts a login from client and returns the status.
func loginFrom(t *testing.T, e *testEnv, client *http.Client, user, password string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", e.http.URL+"/api/v1/auth/token",
		strings.NewReader(sprintf(`{"username":%q,"password":%q}`, user, password)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Finding 3 and its goal: ten wrong passwords from anywhere used to lock
// the victim out for a minute. Now 1,000 wrong guesses from 127.0.0.2
// slow down only 127.0.0.2 (exponentially: few of them are even checked),
// and the victim logs in at the first try from 127.0.0.3; so they do
// while several other addresses guess at once.
func TestVictimLogsInWhileAnotherAddressGuesses(t *testing.T) {
	e := newTestEnv(t, Config{LoginRate: 100000})
	e.register("admin")
	e.register("victim")
	attacker, victim := clientFrom(t, "127.0.0.2"), clientFrom(t, "127.0.0.3")

	statuses := map[int]int{}
	start := time.Now()
	for i := range 1000 {
		statuses[loginFrom(t, e, attacker, "victim@example.com", sprintf("guess-%d", i))]++
	}
	t.Logf("1,000 guesses in %v: %v", time.Since(start).Round(time.Millisecond), statuses)
	if statuses[http.StatusUnauthorized]+statuses[http.StatusTooManyRequests] != 1000 {
		t.Fatalf("the guesses were answered %v, want only 401 and 429", statuses)
	}
	// 5 free, then waits of 1, 2, 4, 8 … s: a few seconds of guessing get
	// only a handful of passwords checked.
	if checked := statuses[http.StatusUnauthorized]; checked > guessesFree+6 {
		t.Errorf("%d of 1,000 guesses were checked: the guessing address is not slowed down", checked)
	}
	if got := loginFrom(t, e, victim, "victim", "password-victim"); got != http.StatusOK {
		t.Fatalf("the victim's first login from another address after 1,000 wrong guesses: %d, want 200", got)
	}
	if got := loginFrom(t, e, attacker, "victim", "password-victim"); got != http.StatusTooManyRequests {
		t.Errorf("the right password from the guessing address while it waits: %d, want 429", got)
	}

	// Many addresses guessing at once: each waits on its own; the account
	// counts as under attack and new guessing addresses get one free try.
	for _, ip := range []string{"127.0.0.4", "127.0.0.5", "127.0.0.6"} {
		c := clientFrom(t, ip)
		for i := range 30 {
			loginFrom(t, e, c, "victim", sprintf("guess-%s-%d", ip, i))
		}
	}
	late := clientFrom(t, "127.0.0.7")
	if a, b := loginFrom(t, e, late, "victim", "wrong-1"), loginFrom(t, e, late, "victim", "wrong-2"); a != 401 || b != 401 {
		t.Fatalf("a new address: %d %d", a, b)
	}
	if got := loginFrom(t, e, late, "victim", "wrong-3"); got != http.StatusTooManyRequests {
		t.Errorf("a new address's third guess on an account under attack: %d, want 429", got)
	}
	if got := loginFrom(t, e, victim, "victim", "password-victim"); got != http.StatusOK {
		t.Errorf("the victim while four addresses guess: %d, want 200", got)
	}
}

// The back-off grows by doubling after the free failures, a success from
// an address clears only that address, and idle entries are forgotten.
func TestGuessesBackOff(t *testing.T) {
	g := newGuesses()
	now := time.Unix(1_000_000, 0)
	g.now = func() time.Time { return now }
	var waits []time.Duration
	for range guessesFree + 4 {
		g.failed("account:1", "a")
		waits = append(waits, g.wait("account:1", "a"))
	}
	want := []time.Duration{0, 0, 0, 0, 0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits after each failure: %v, want %v", waits, want)
		}
	}
	if d := g.wait("account:1", "b"); d != 0 {
		t.Errorf("another address waits %v", d)
	}
	for range 40 {
		g.failed("account:1", "a")
	}
	if d := g.wait("account:1", "a"); d != guessesMax {
		t.Errorf("after 49 failures the wait is %v, want the cap %v", d, guessesMax)
	}
	g.succeeded("account:1", "a")
	if d := g.wait("account:1", "a"); d != 0 {
		t.Errorf("after a success the address still waits %v", d)
	}

	for i := range 3000 {
		g.failed(sprintf("login:user%d", i), "c")
	}
	now = now.Add(2 * guessesForget)
	g.failed("account:2", "d") // a new pair: the sweep runs
	for i := range 3000 {
		g.failed(sprintf("login:other%d", i), "e")
	}
	if n := len(g.pairs); n > 3100 {
		t.Errorf("%d pairs remembered: the idle ones were never forgotten", n)
	}
}
