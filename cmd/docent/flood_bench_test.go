package main

// BenchmarkFlood is the flood of the abuse review, against a real
// "docent serve" with its default limits: one user sends 20,000 chat
// frames on one WebSocket and 200 chats over HTTP at once, while another
// user searches. It reports the server's peak resident memory above its
// resident set before the flood, what was answered and what the store
// gained, and the other user's search latency before and during it.
//
//	go test ./cmd/docent -run '^$' -bench Flood -benchtime 1x -v
//
// The numbers are in README's Security section.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"docent/store"
)

const (
	floodFrames = 20_000
	floodHTTP   = 200
)

// floodResult is what one flood measured.
type floodResult struct {
	wsAnswered, wsRefused     int
	httpAnswered, httpRefused int
	httpOther                 int
	messages                  int // messages stored during the flood
	storePages                int64
	rssGrowth                 int64
	quietP99, floodP99        time.Duration
	floodP50                  time.Duration
	searches                  int
	took                      time.Duration
}

func BenchmarkFlood(b *testing.B) {
	var r floodResult
	for b.Loop() {
		r = flood(b)
	}
	if want := 2 * (r.wsAnswered + r.httpAnswered); r.messages != want || r.httpOther > 0 {
		b.Errorf("%d messages stored for %d answered exchanges (%d HTTP chats neither answered nor refused with 429)", r.messages, want/2, r.httpOther)
	}
	b.ReportMetric(float64(r.rssGrowth)/mib1, "MiB-rss")
	b.ReportMetric(float64(r.floodP99.Microseconds())/1000, "ms-p99-search")
	b.Logf("WebSocket: %d frames → %d answered, %d refused; HTTP: %d chats → %d answered, %d refused, %d other; in %v",
		floodFrames, r.wsAnswered, r.wsRefused, floodHTTP, r.httpAnswered, r.httpRefused, r.httpOther, r.took.Round(time.Millisecond))
	b.Logf("store: %d messages stored (2 per answered exchange: %d), pages +%s; peak RSS +%s",
		r.messages, 2*(r.wsAnswered+r.httpAnswered), mibs(r.storePages), mibs(r.rssGrowth))
	b.Logf("other user's search: p99 %v before the flood, p50 %v and p99 %v during it (%d searches)",
		r.quietP99.Round(10*time.Microsecond), r.floodP50.Round(10*time.Microsecond), r.floodP99.Round(10*time.Microsecond), r.searches)
}

// flood sets up a server with a shared document, a flooding user and a
// searching one, and runs one flood.
func flood(b *testing.B) floodResult {
	data := b.TempDir()
	file := filepath.Join(data, store.FileName)
	s := startServer(b, data, "--registration", "open")
	registerAdmin(b, s.URL)
	var text strings.Builder
	for i := range 300 {
		fmt.Fprintf(&text, "Section %d. The harbour master logs ship %d arriving at berth %d with cargo of %s.\n\n", i, i*7, i%40, []string{"grain", "timber", "coal", "salt"}[i%4])
	}
	flooder := registerUser(b, s.URL, "mallory")
	other := registerUser(b, s.URL, "olive")
	for _, tok := range []string{flooder, other} {
		if d := uploadAndWait(b, s.URL, tok, "harbour.txt", []byte(text.String())); d.Status != "ready" {
			b.Fatalf("upload: %+v", d)
		}
	}
	convs := make([]uint64, floodHTTP+1)
	for i := range convs {
		var c struct {
			ID uint64 `json:"id"`
		}
		if code := call(b, "POST", s.URL+"/api/v1/conversations", flooder, map[string]string{"title": "flood"}, &c); code != 201 {
			b.Fatalf("conversation: %d", code)
		}
		convs[i] = c.ID
	}
	s.stop(b)
	pagesBefore := liveBytes(b, file)
	s = startServer(b, data, "--registration", "open")

	var r floodResult
	r.quietP99, _, _ = searchLatencies(b, s.URL, other, 200, nil)
	pid := s.cmd.Process.Pid
	rssBefore, _ := procMemory(pid)
	if err := resetPeak(pid); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	done := make(chan struct{})
	var searching sync.WaitGroup
	searching.Go(func() { r.floodP99, r.floodP50, r.searches = searchLatencies(b, s.URL, other, 0, done) })
	var wg sync.WaitGroup
	wg.Go(func() { r.wsAnswered, r.wsRefused = floodWebSocket(b, s.URL, flooder, convs[0]) })
	var answered, refused, otherCode atomic.Int64
	for _, c := range convs[1:] {
		wg.Go(func() {
			code := call(b, "POST", fmt.Sprintf("%s/api/v1/conversations/%d/messages", s.URL, c), flooder,
				map[string]string{"content": "Which berth did ship 70 use?"}, nil)
			switch code {
			case 201:
				answered.Add(1)
			case 429:
				refused.Add(1)
			default:
				otherCode.Add(1)
			}
		})
	}
	wg.Wait()
	r.took = time.Since(start)
	close(done)
	searching.Wait()
	_, peak := procMemory(pid)
	r.rssGrowth = peak - rssBefore
	r.httpAnswered, r.httpRefused, r.httpOther = int(answered.Load()), int(refused.Load()), int(otherCode.Load())
	for _, c := range convs {
		var msgs []json.RawMessage
		call(b, "GET", fmt.Sprintf("%s/api/v1/conversations/%d/messages", s.URL, c), flooder, nil, &msgs)
		r.messages += len(msgs)
	}
	s.stop(b)
	r.storePages = liveBytes(b, file) - pagesBefore
	return r
}

// registerUser registers an account (registration open) and returns its token.
func registerUser(b testing.TB, url, name string) string {
	pw := "password-" + name
	if code := call(b, "POST", url+"/api/v1/auth/register", "", map[string]string{
		"username": name, "email": name + "@example.com", "password": pw}, nil); code != 201 {
		b.Fatalf("register %s: %d", name, code)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	call(b, "POST", url+"/api/v1/auth/token", "", "username="+name+"&password="+pw, &tok)
	return tok.AccessToken
}

// floodWebSocket sends floodFrames chat frames on one socket as fast as it
// can and reads until each has its answer or its error frame.
func floodWebSocket(b testing.TB, url, token string, conv uint64) (answered, refused int) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http")+"/api/v1/ws",
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.CloseNow()
	c.SetReadLimit(1 << 20)
	frame, _ := json.Marshal(map[string]any{"type": "chat", "conversation_id": conv, "content": "Which berth did ship 70 use?"})
	go func() {
		for range floodFrames {
			if c.Write(ctx, websocket.MessageText, frame) != nil {
				return
			}
		}
	}()
	for answered+refused < floodFrames {
		_, raw, err := c.Read(ctx)
		if err != nil {
			b.Errorf("WebSocket after %d answers and %d errors: %v", answered, refused, err)
			return
		}
		var f struct {
			Type string `json:"type"`
		}
		json.Unmarshal(raw, &f)
		switch f.Type {
		case "chat_response":
			answered++
		case "error":
			refused++
		}
	}
	return answered, refused
}

// searchLatencies searches as the other user, n times or until done is
// closed, and returns the 99th and 50th percentiles of the latency.
func searchLatencies(b testing.TB, url, token string, n int, done chan struct{}) (p99, p50 time.Duration, count int) {
	var lat []time.Duration
	queries := []string{"berth of ship 70", "cargo of timber", "harbour master logs", "salt arriving"}
	for i := 0; n == 0 || i < n; i++ {
		if done != nil {
			select {
			case <-done:
				n = -1
			default:
			}
			if n < 0 {
				break
			}
		}
		t0 := time.Now()
		if code := call(b, "POST", url+"/api/v1/search", token, map[string]any{"query": queries[i%len(queries)]}, nil); code != 200 {
			b.Errorf("search: %d", code)
		}
		lat = append(lat, time.Since(t0))
	}
	if len(lat) == 0 {
		return 0, 0, 0
	}
	slices.Sort(lat)
	return lat[len(lat)*99/100], lat[len(lat)/2], len(lat)
}
