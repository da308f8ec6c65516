package api

import (
	"context"
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// The limits themselves: answers at once per account, and the rate with
// its burst, refilled over time.
func TestChatLimitsAdmit(t *testing.T) {
	l := newChatLimits(2, 60) // a burst of 20
	now := time.Unix(1_000_000, 0)
	l.now = func() time.Time { return now }
	r1, e1 := l.admit(1)
	r2, e2 := l.admit(1)
	_, e3 := l.admit(1)
	if e1 != nil || e2 != nil || e3 == nil || !strings.Contains(e3.detail, "at once") {
		t.Fatalf("two slots: %v %v %v", e1, e2, e3)
	}
	if _, err := l.admit(2); err != nil {
		t.Errorf("another account is limited by the first one's answers: %v", err)
	}
	r1()
	r1() // releasing twice frees one slot
	r3, err := l.admit(1)
	if err != nil {
		t.Fatalf("after a release: %v", err)
	}
	if _, err := l.admit(1); err == nil {
		t.Error("a double release freed two slots")
	}
	r2()
	r3()
	admitted := 3 // of the burst of 20
	for range 30 {
		if release, err := l.admit(1); err == nil {
			admitted++
			release()
		} else if !strings.Contains(err.detail, "a minute") || err.retryAfter <= 0 || err.retryAfter > 2*time.Second {
			t.Fatalf("over the rate: %q, retry after %v", err.detail, err.retryAfter)
		}
	}
	if admitted != 20 {
		t.Errorf("%d questions admitted at once, want the burst of 20", admitted)
	}
	now = now.Add(5 * time.Second) // 5 more at 60 a minute
	for range 10 {
		if release, err := l.admit(1); err == nil {
			admitted++
			release()
		}
	}
	if admitted != 25 {
		t.Errorf("%d admitted after 5 s, want 25", admitted)
	}
}

// conversationMessages counts the stored messages of conversation id.
func conversationMessages(t *testing.T, e *testEnv, token string, id uint64) int {
	t.Helper()
	var msgs []messageJSON
	e.do("GET", sprintf("/api/v1/conversations/%d/messages?limit=1000", id), token, nil).JSON(t, &msgs)
	return len(msgs)
}

// Finding 2: 20,000 chat frames on one WebSocket started 20,000 tasks
// (483 MB) and stored every question and answer. Now a frame over the
// connection's in-flight bound or the account's limits gets an error frame
// at once and stores nothing: a flood of 3,000 frames keeps the goroutines
// flat, the store holds only the answered exchanges, and another user's
// questions are answered meanwhile.
func TestChatFloodOnOneWebSocket(t *testing.T) {
	e := newTestEnv(t, Config{ChatConcurrency: 4, ChatRate: 60})
	bob, ann := e.register("bob"), e.register("ann")
	e.ingest(bob.Token, campingGuide)
	conv, annConv := e.conversation(bob.Token), e.conversation(ann.Token)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	c, _, err := e.wsDial(ctx, bob.Token, "header")
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.SetReadLimit(1 << 20)

	baseline := runtime.NumGoroutine()
	var peak atomic.Int64
	stop := make(chan struct{})
	var sampling sync.WaitGroup
	sampling.Go(func() {
		for {
			peak.Store(max(peak.Load(), int64(runtime.NumGoroutine())))
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	})

	const frames = 3000
	start := time.Now()
	go func() {
		for range frames {
			if wsjson.Write(ctx, c, map[string]any{"type": "chat", "conversation_id": conv, "content": "How long should water boil at altitude?"}) != nil {
				return
			}
		}
	}()
	refused, answered, annAsked := 0, 0, false
	for refused+answered < frames {
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("after %d refused and %d answered: %v", refused, answered, err)
		}
		var f wsFrameIn
		json.Unmarshal(data, &f)
		switch {
		case f.Type == "error" && strings.Contains(f.Detail, "too many questions"):
			refused++
		case f.Type == "error":
			t.Fatalf("error frame: %s", data)
		case f.Type == "chat_response":
			answered++
		}
		if !annAsked && refused > frames/3 { // in the middle of the flood
			annAsked = true
			r := e.do("POST", sprintf("/api/v1/conversations/%d/messages", annConv), ann.Token, map[string]string{"content": "Is anything known?"})
			expect(t, "ann asks during bob's flood", r, http.StatusCreated)
		}
	}
	close(stop)
	sampling.Wait()
	t.Logf("%d frames in %v: %d answered, %d refused; goroutines %d at the start, %d at the peak",
		frames, time.Since(start).Round(time.Millisecond), answered, refused, baseline, peak.Load())
	if grown := peak.Load() - int64(baseline); grown > 40 {
		t.Errorf("goroutines grew by %d during the flood: frames are queued, not refused", grown)
	}
	maxAnswered := 20 + int(time.Since(start).Seconds()+1) // the burst, then one a second
	if answered == 0 || answered > maxAnswered {
		t.Errorf("%d frames answered, want between 1 and %d (the burst and the rate)", answered, maxAnswered)
	}
	if n := conversationMessages(t, e, bob.Token, conv); n != 2*answered {
		t.Errorf("the conversation holds %d messages for %d answered questions: refused frames were stored", n, answered)
	}
}

// 200 parallel HTTP questions of one account: those over the limits get
// 429 with Retry-After and are not stored; the admitted ones are answered.
func TestParallelHTTPQuestionsOverTheLimits(t *testing.T) {
	e := newTestEnv(t, Config{ChatConcurrency: 4, ChatRate: 60})
	bob := e.register("bob")
	e.ingest(bob.Token, campingGuide)
	conv := e.conversation(bob.Token)
	statuses := make(chan response, 200)
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			path, body := sprintf("/api/v1/conversations/%d/messages", conv), map[string]string{"content": "How heavy is the tent?"}
			if i%2 == 1 { // one-shot questions count alike
				path, body = "/api/v1/ask", map[string]string{"question": "How heavy is the tent?"}
			}
			statuses <- e.do("POST", path, bob.Token, body)
		})
	}
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for r := range statuses {
		counts[r.Status]++
		if r.Status == http.StatusTooManyRequests && r.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	t.Logf("200 parallel questions: %v", counts)
	ok := counts[http.StatusCreated] + counts[http.StatusOK]
	if ok == 0 || ok > 24 || counts[http.StatusTooManyRequests] != 200-ok {
		t.Errorf("statuses %v: want at most the burst (20) and a few answered, the rest 429", counts)
	}
	if n := conversationMessages(t, e, bob.Token, conv); n != 2*counts[http.StatusCreated] {
		t.Errorf("%d messages stored for %d answered questions", n, counts[http.StatusCreated])
	}
}

// Finding 9 (sockets): an open WebSocket outlived its user's deactivation
// until its next frame. Now deactivating, deleting, a new password and
// revoking the key close the socket at once, with 1008 (policy violation).
func TestSocketsCloseWhenCredentialsStop(t *testing.T) {
	e := newTestEnv(t, Config{})
	admin := e.register("admin")
	for _, c := range []struct {
		name   string
		key    bool
		revoke func(u account, key uint64) response
	}{
		{"deactivated", false, func(u account, _ uint64) response {
			return e.do("PATCH", sprintf("/api/v1/users/%d", u.ID), admin.Token, map[string]bool{"is_active": false})
		}},
		{"new password by an admin", false, func(u account, _ uint64) response {
			return e.do("PATCH", sprintf("/api/v1/users/%d", u.ID), admin.Token, map[string]string{"password": "a-brand-new-password"})
		}},
		{"deleted", false, func(u account, _ uint64) response {
			return e.do("DELETE", sprintf("/api/v1/users/%d", u.ID), admin.Token, nil)
		}},
		{"key revoked", true, func(u account, key uint64) response {
			return e.do("DELETE", sprintf("/api/v1/keys/%d", key), u.Token, nil)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := e.register("u" + strings.ReplaceAll(c.name, " ", ""))
			cred, keyID := u.Token, uint64(0)
			if c.key {
				var k newKeyJSON
				e.do("POST", "/api/v1/keys", u.Token, map[string]string{"name": "socket", "scope": "read"}).JSON(t, &k)
				cred, keyID = k.Key, k.ID
			}
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			ws, _, err := e.wsDial(ctx, cred, "header")
			if err != nil {
				t.Fatal(err)
			}
			defer ws.CloseNow()
			closed := make(chan error, 1)
			go func() {
				_, _, err := ws.Read(ctx)
				closed <- err
			}()
			if r := c.revoke(u, keyID); r.Status >= 300 {
				t.Fatalf("revoke: %d %s", r.Status, r.Body)
			}
			select {
			case err := <-closed:
				if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
					t.Errorf("the socket ended with %v, want close status 1008", err)
				}
			case <-time.After(3 * time.Second):
				t.Error("the socket is still open 3 s after its credentials stopped")
			}
		})
	}
}
