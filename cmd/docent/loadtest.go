package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

type loadCmd struct {
	Server   string        `name:"server" env:"DOCENT_SERVER" help:"Load a running server at this URL; without it an in-process server runs on a temporary data directory with a fake streaming LLM."`
	Token    string        `name:"token" env:"DOCENT_TOKEN" help:"An admin's access token for --server: the store check runs at the end."`
	Users    int           `name:"users" default:"50" help:"Simulated users, each registering, logging in, uploading, chatting (streamed and not) and searching."`
	Duration time.Duration `name:"duration" default:"30s" help:"How long each user keeps working once signed up (requests in flight at the end are finished)."`
	Think    time.Duration `name:"think" default:"100ms" help:"Mean pause of a user between two requests."`
	Seed     uint64        `name:"seed" help:"Seed of the users' choices (default: from the clock)."`
	MaxHeap  int           `name:"max-heap" default:"1024" help:"Fail if the server's heap in use ever exceeds this many MiB."`
	JSON     bool          `name:"json" help:"Print the report as JSON."`
}

// loadReport is what docent loadtest prints.
type loadReport struct {
	Target    string        `json:"target"`
	InProcess bool          `json:"in_process"`
	Users     int           `json:"users"`
	Duration  string        `json:"duration"`
	Seed      uint64        `json:"seed"`
	Notes     []string      `json:"notes"`
	Routes    []routeReport `json:"routes"`
	Requests  int           `json:"requests"`
	Status5xx int           `json:"status_5xx"`
	// RateLimited counts 429 answers (retried after Retry-After).
	RateLimited int      `json:"rate_limited"`
	Errors      int      `json:"errors"`
	Samples     []string `json:"error_samples,omitempty"`

	Messages      int `json:"messages_acknowledged"`
	LostMessages  int `json:"messages_lost"`
	Documents     int `json:"documents_acknowledged"`
	LostDocuments int `json:"documents_lost"`
	// CheckOK is the store check at the end (nil when it could not run).
	CheckOK     *bool    `json:"check_ok,omitempty"`
	CheckIssues []string `json:"check_issues,omitempty"`

	Memory     loadMemory     `json:"memory"`
	Goroutines loadGoroutines `json:"goroutines"`
	OK         bool           `json:"ok"`
	Failures   []string       `json:"failures,omitempty"`
}

// routeReport is the latency of one route.
type routeReport struct {
	Route  string  `json:"route"`
	Count  int     `json:"count"`
	Errors int     `json:"errors"`
	P50ms  float64 `json:"p50_ms"`
	P99ms  float64 `json:"p99_ms"`
	MaxMs  float64 `json:"max_ms"`
}

// loadMemory is the server's memory: measured in this process when it is
// in-process, read from /metrics otherwise.
type loadMemory struct {
	PeakHeapMiB  float64 `json:"peak_heap_mib"`
	PeakRSSMiB   float64 `json:"peak_rss_mib"`
	HeapAfterMiB float64 `json:"heap_after_mib"`
}

// loadGoroutines counts goroutines before the server started, at the
// peak, and after it shut down (in-process), or as /metrics reports them.
type loadGoroutines struct {
	Baseline int  `json:"baseline"`
	Peak     int  `json:"peak"`
	After    int  `json:"after"`
	Leaked   bool `json:"leaked"`
}

func (c *loadCmd) Run(ctx context.Context, g *Globals) error {
	if c.Users < 1 {
		return errors.New("--users must be at least 1")
	}
	if c.Duration <= 0 {
		return errors.New("--duration must be positive")
	}
	seed := c.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	lt := &loadtest{users: c.Users, think: c.Think, seed: seed,
		rec: &recorder{lat: map[string][]time.Duration{}, errs: map[string]int{}}}
	rep := loadReport{Users: c.Users, Duration: c.Duration.String(), Seed: seed}
	var err error
	if c.Server == "" {
		err = lt.inProcess(ctx, g, c.Duration, &rep)
	} else {
		err = lt.remote(ctx, c.Server, c.Token, c.Duration, &rep)
	}
	if err != nil {
		return err
	}
	lt.rec.fill(&rep)
	if c.MaxHeap > 0 && rep.Memory.PeakHeapMiB > float64(c.MaxHeap) {
		rep.Failures = append(rep.Failures, fmt.Sprintf("peak heap %.0f MiB over --max-heap %d MiB", rep.Memory.PeakHeapMiB, c.MaxHeap))
	}
	rep.judge()
	if c.JSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		rep.print(g.stdout)
	}
	if !rep.OK {
		return fmt.Errorf("load test failed: %s", strings.Join(rep.Failures, "; "))
	}
	return nil
}

// judge decides whether the run passed.
func (r *loadReport) judge() {
	if r.Status5xx > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d responses with status 5xx", r.Status5xx))
	}
	if r.LostMessages > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d acknowledged messages lost", r.LostMessages))
	}
	if r.LostDocuments > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d acknowledged documents lost", r.LostDocuments))
	}
	if r.Errors > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d failed requests", r.Errors))
	}
	if r.CheckOK != nil && !*r.CheckOK {
		r.Failures = append(r.Failures, "the store check is not ok: "+strings.Join(r.CheckIssues, "; "))
	}
	if r.Goroutines.Leaked {
		r.Failures = append(r.Failures, fmt.Sprintf("goroutines leaked: %d before, %d after shutdown", r.Goroutines.Baseline, r.Goroutines.After))
	}
	r.OK = len(r.Failures) == 0
}

func (r *loadReport) print(w io.Writer) {
	where := "a running server at " + r.Target
	if r.InProcess {
		where = "an in-process server"
	}
	fmt.Fprintf(w, "docent loadtest: %d users for %s against %s (seed %d)\n", r.Users, r.Duration, where, r.Seed)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	fmt.Fprintf(w, "\n%-62s %7s %6s %9s %9s %9s\n", "route", "count", "errors", "p50", "p99", "max")
	for _, rt := range r.Routes {
		fmt.Fprintf(w, "%-62s %7d %6d %9s %9s %9s\n", rt.Route, rt.Count, rt.Errors, ms(rt.P50ms), ms(rt.P99ms), ms(rt.MaxMs))
	}
	fmt.Fprintf(w, "\nrequests %d, status 5xx %d, rate-limited %d, errors %d\n", r.Requests, r.Status5xx, r.RateLimited, r.Errors)
	for _, s := range r.Samples {
		fmt.Fprintf(w, "  error: %s\n", s)
	}
	fmt.Fprintf(w, "messages acknowledged %d, lost %d; documents acknowledged %d, lost %d\n",
		r.Messages, r.LostMessages, r.Documents, r.LostDocuments)
	switch {
	case r.CheckOK == nil:
		fmt.Fprintln(w, "store check: not run (pass an admin's --token)")
	case *r.CheckOK:
		fmt.Fprintln(w, "store check: ok")
	default:
		fmt.Fprintf(w, "store check: FAILED %v\n", r.CheckIssues)
	}
	m, after := r.Memory, "at the end"
	if r.InProcess {
		after = "after shutdown"
	}
	fmt.Fprintf(w, "memory: peak heap %.0f MiB, peak RSS %.0f MiB, heap %s %.0f MiB\n", m.PeakHeapMiB, m.PeakRSSMiB, after, m.HeapAfterMiB)
	gr := r.Goroutines
	fmt.Fprintf(w, "goroutines: %d before, peak %d, %d after\n", gr.Baseline, gr.Peak, gr.After)
	if r.OK {
		fmt.Fprintln(w, "ok")
	} else {
		fmt.Fprintf(w, "FAILED: %s\n", strings.Join(r.Failures, "; "))
	}
}

func ms(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.2fs", v/1000)
	}
	return fmt.Sprintf("%.1fms", v)
}

// loadtest is one run: the simulated users and what they saw.
type loadtest struct {
	users int
	think time.Duration
	seed  uint64
	rec   *recorder
	cl    *loadClient

	mu   sync.Mutex
	sims []*simUser
}

// simUser is one simulated user and what the server acknowledged to it.
type simUser struct {
	name, token string
	rng         *rand.Rand
	docs        []uint64                  // acknowledged documents
	convs       []uint64                  // acknowledged conversations
	acked       map[uint64][]ackedMessage // by conversation
	keywords    []string
}

// ackedMessage is a message the server acknowledged (id 0: known by content).
type ackedMessage struct {
	ID      uint64
	Role    string
	Content string
}

// inProcess runs "docent serve" in this process on a temporary data
// directory, with a fake streaming LLM, loads it and checks it shut down
// cleanly.
func (lt *loadtest) inProcess(ctx context.Context, g *Globals, d time.Duration, rep *loadReport) error {
	rep.InProcess = true
	runtime.GC()
	baseline := runtime.NumGoroutine()
	dir, err := os.MkdirTemp("", "docent-loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	llm, err := startFakeLLM(5 * time.Millisecond)
	if err != nil {
		return err
	}
	defer llm.close()
	rate := strconv.Itoa(max(100_000, lt.users*100))
	rep.Notes = append(rep.Notes,
		"registration and login rate limits raised to "+rate+"/min per IP (all users come from 127.0.0.1)",
		"answers stream from a fake OpenAI-compatible LLM in this process (5ms per token)",
		"memory and goroutines are this process's: the server and the simulated users")

	logs := &logTail{}
	out, addrs := listenWatcher()
	srvCtx, stopServer := context.WithCancel(ctx)
	defer stopServer()
	restore := setEnv("OPENAI_BASE_URL", llm.url)
	exited := make(chan int, 1)
	go func() {
		code := run(srvCtx, []string{"serve", "--data", dir, "--addr", "127.0.0.1:0", "--log-level", "warn",
			"--llm", "openai", "--llm-model", "loadtest-fake", "--register-rate", rate, "--login-rate", rate,
			"--shutdown-timeout", "30s"}, strings.NewReader(""), out, logs)
		out.Close()
		exited <- code
	}()
	var base string
	select {
	case base = <-addrs:
	case code := <-exited:
		restore()
		return fmt.Errorf("the in-process server exited with code %d: %s", code, logs.String())
	case <-time.After(60 * time.Second):
		restore()
		return errors.New("the in-process server did not start in 60s")
	}
	restore() // the chat engine has read it
	rep.Target = base
	lt.cl = newLoadClient(base, lt.rec)
	if err := lt.cl.waitReady(ctx); err != nil {
		return err
	}
	adminToken, err := lt.cl.account(ctx, "loadtest-admin", false)
	if err != nil {
		return fmt.Errorf("register the admin: %w", err)
	}

	sampler := startSampler()
	lt.runUsers(ctx, d)
	if ctx.Err() != nil {
		sampler.stop()
		return ctx.Err()
	}
	lt.verify(ctx, rep)
	lt.check(ctx, adminToken, rep)
	peak := sampler.stop()

	stopServer()
	select {
	case code := <-exited:
		if code != 0 {
			rep.Failures = append(rep.Failures, fmt.Sprintf("the server exited with code %d: %s", code, logs.String()))
		}
	case <-time.After(60 * time.Second):
		rep.Failures = append(rep.Failures, "the server did not shut down within 60s")
	}
	if n := logs.errors(); n > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the server logged %d errors; last lines: %s", n, logs.String()))
	}
	lt.cl.http.CloseIdleConnections()
	llm.close()

	after := runtime.NumGoroutine()
	for deadline := time.Now().Add(10 * time.Second); after > baseline && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		after = runtime.NumGoroutine()
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rep.Memory = loadMemory{PeakHeapMiB: mib(peak.heap), PeakRSSMiB: mib(peak.rss), HeapAfterMiB: mib(ms.HeapInuse)}
	rep.Goroutines = loadGoroutines{Baseline: baseline, Peak: peak.goroutines, After: after, Leaked: after > baseline}
	if rep.Goroutines.Leaked {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		rep.Samples = append(rep.Samples, "goroutines left:\n"+string(buf))
	}
	return nil
}

// remote loads a server someone else runs; memory and goroutines come
// from its /metrics.
func (lt *loadtest) remote(ctx context.Context, base, token string, d time.Duration, rep *loadReport) error {
	base = strings.TrimRight(base, "/")
	rep.Target = base
	rep.Notes = append(rep.Notes, "the server rate-limits registration and login per client IP: start it with --register-rate and --login-rate of at least --users, or 429s are retried and slow the start")
	lt.cl = newLoadClient(base, lt.rec)
	if err := lt.cl.waitReady(ctx); err != nil {
		return err
	}
	before := lt.cl.metrics(ctx)
	stop := make(chan struct{})
	peaks := make(chan map[string]float64, 1)
	go func() {
		peak := map[string]float64{}
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			for k, v := range lt.cl.metrics(ctx) {
				peak[k] = max(peak[k], v)
			}
			select {
			case <-stop:
				peaks <- peak
				return
			case <-t.C:
			}
		}
	}()
	lt.runUsers(ctx, d)
	close(stop)
	peak := <-peaks
	if ctx.Err() != nil {
		return ctx.Err()
	}
	lt.verify(ctx, rep)
	if token != "" {
		lt.check(ctx, token, rep)
	}
	time.Sleep(2 * time.Second) // let finished requests' goroutines go
	after := lt.cl.metrics(ctx)
	lt.cl.http.CloseIdleConnections()
	rep.Memory = loadMemory{PeakHeapMiB: mib(uint64(peak["go_memstats_heap_inuse_bytes"])),
		PeakRSSMiB: mib(uint64(peak["process_resident_memory_bytes"])), HeapAfterMiB: mib(uint64(after["go_memstats_heap_inuse_bytes"]))}
	rep.Goroutines = loadGoroutines{Baseline: int(before["go_goroutines"]), Peak: int(peak["go_goroutines"]), After: int(after["go_goroutines"])}
	return nil
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// runUsers runs every simulated user for d after it has signed up.
func (lt *loadtest) runUsers(ctx context.Context, d time.Duration) {
	runID := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	var wg sync.WaitGroup
	for i := range lt.users {
		u := &simUser{name: fmt.Sprintf("lt%s-%d", runID, i), rng: rand.New(rand.NewPCG(lt.seed, uint64(i))),
			acked: map[uint64][]ackedMessage{}}
		lt.mu.Lock()
		lt.sims = append(lt.sims, u)
		lt.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			lt.user(ctx, u, d)
		}()
	}
	wg.Wait()
}

// user is one simulated user: register, log in, upload a document and
// wait for it, then chat, search and browse until the deadline.
func (lt *loadtest) user(ctx context.Context, u *simUser, d time.Duration) {
	tok, err := lt.cl.account(ctx, u.name, true)
	if err != nil {
		return
	}
	u.token = tok
	lt.upload(ctx, u, true)
	lt.newConversation(ctx, u)
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if lt.think > 0 {
			time.Sleep(time.Duration(u.rng.Int64N(int64(2 * lt.think))))
		}
		switch p := u.rng.IntN(100); {
		case p < 40:
			lt.chat(ctx, u, true)
		case p < 55:
			lt.chat(ctx, u, false)
		case p < 75:
			lt.search(ctx, u)
		case p < 83:
			lt.cl.do(ctx, "GET /api/v1/conversations", "GET", "/api/v1/conversations", u.token, nil, 200, nil)
		case p < 88:
			lt.cl.do(ctx, "GET /api/v1/documents", "GET", "/api/v1/documents", u.token, nil, 200, nil)
		case p < 93:
			if len(u.convs) > 0 {
				id := u.convs[u.rng.IntN(len(u.convs))]
				lt.cl.do(ctx, "GET /api/v1/conversations/{id}/messages", "GET", fmt.Sprintf("/api/v1/conversations/%d/messages", id), u.token, nil, 200, nil)
			}
		case p < 97:
			lt.upload(ctx, u, u.rng.IntN(2) == 0)
		default:
			lt.newConversation(ctx, u)
		}
	}
}

func (lt *loadtest) upload(ctx context.Context, u *simUser, wait bool) {
	kw := keyword(u.rng)
	name := fmt.Sprintf("%s-%s.md", u.name, kw)
	body := genMarkdown(u.rng, kw, 2+u.rng.IntN(6))
	route, want, q := "POST /api/v1/documents", 202, ""
	if wait {
		route, want, q = "POST /api/v1/documents?wait=true", 201, "?wait=true"
	}
	var docs []struct {
		ID     uint64 `json:"id"`
		Status string `json:"status"`
	}
	if lt.cl.upload(ctx, route, "/api/v1/documents"+q, u.token, name, body, want, &docs) == nil && len(docs) == 1 {
		u.docs = append(u.docs, docs[0].ID)
		u.keywords = append(u.keywords, kw)
		if wait && docs[0].Status != "ready" {
			lt.rec.fail(route, fmt.Sprintf("%s: the document is %s after ?wait=true", route, docs[0].Status))
		}
	}
}

func (lt *loadtest) newConversation(ctx context.Context, u *simUser) {
	var c struct {
		ID uint64 `json:"id"`
	}
	if lt.cl.do(ctx, "POST /api/v1/conversations", "POST", "/api/v1/conversations", u.token, map[string]string{}, 201, &c) == nil {
		u.convs = append(u.convs, c.ID)
	}
}

func (lt *loadtest) question(u *simUser) string {
	if len(u.keywords) == 0 || u.rng.IntN(10) == 0 {
		return fmt.Sprintf("What do the documents say about %s?", words[u.rng.IntN(len(words))])
	}
	return fmt.Sprintf("What does the guide say about %s and %s?", u.keywords[u.rng.IntN(len(u.keywords))], words[u.rng.IntN(len(words))])
}

func (lt *loadtest) chat(ctx context.Context, u *simUser, stream bool) {
	if len(u.convs) == 0 {
		return
	}
	conv := u.convs[u.rng.IntN(len(u.convs))]
	q := lt.question(u)
	path := fmt.Sprintf("/api/v1/conversations/%d/messages", conv)
	if !stream {
		var x struct {
			User      messageOut `json:"user_message"`
			Assistant messageOut `json:"assistant_message"`
		}
		if lt.cl.do(ctx, "POST /api/v1/conversations/{id}/messages", "POST", path, u.token, map[string]any{"content": q}, 201, &x) == nil {
			u.acked[conv] = append(u.acked[conv], ackedMessage{x.User.ID, "user", x.User.Content},
				ackedMessage{x.Assistant.ID, "assistant", x.Assistant.Content})
		}
		return
	}
	res, err := lt.cl.stream(ctx, path, u.token, q)
	if res.userStored {
		u.acked[conv] = append(u.acked[conv], ackedMessage{0, "user", q})
	}
	if err == nil {
		u.acked[conv] = append(u.acked[conv], ackedMessage{res.done.ID, "assistant", res.done.Content})
	}
}

func (lt *loadtest) search(ctx context.Context, u *simUser) {
	q := words[u.rng.IntN(len(words))]
	if len(u.keywords) > 0 {
		q = u.keywords[u.rng.IntN(len(u.keywords))] + " " + q
	}
	lt.cl.do(ctx, "POST /api/v1/search", "POST", "/api/v1/search", u.token, map[string]any{"query": q, "top_k": 5}, 200, nil)
}

// verify reads every acknowledged message and document back.
func (lt *loadtest) verify(ctx context.Context, rep *loadReport) {
	for _, u := range lt.sims {
		if u.token == "" {
			continue
		}
		for conv, acked := range u.acked {
			rep.Messages += len(acked)
			var got []messageOut
			if err := lt.cl.do(ctx, "verify: GET /api/v1/conversations/{id}/messages", "GET",
				fmt.Sprintf("/api/v1/conversations/%d/messages?limit=1000", conv), u.token, nil, 200, &got); err != nil {
				rep.LostMessages += len(acked)
				continue
			}
			lost, order := missingMessages(acked, got)
			rep.LostMessages += len(lost)
			for _, m := range lost {
				lt.rec.fail("verify", fmt.Sprintf("conversation %d lost the acknowledged %s message %d %.60q", conv, m.Role, m.ID, m.Content))
			}
			if order != "" {
				lt.rec.fail("verify", fmt.Sprintf("conversation %d: %s", conv, order))
			}
		}
		rep.Documents += len(u.docs)
		var docs []struct {
			ID uint64 `json:"id"`
		}
		if err := lt.cl.do(ctx, "verify: GET /api/v1/documents", "GET", "/api/v1/documents?limit=1000", u.token, nil, 200, &docs); err != nil {
			rep.LostDocuments += len(u.docs)
			continue
		}
		have := map[uint64]bool{}
		for _, d := range docs {
			have[d.ID] = true
		}
		for _, id := range u.docs {
			if !have[id] {
				rep.LostDocuments++
				lt.rec.fail("verify", fmt.Sprintf("%s lost the acknowledged document %d", u.name, id))
			}
		}
	}
}

// missingMessages returns the acknowledged messages absent from got (in
// order: an acknowledged message must come after the one before it), and
// a description of any disorder in got.
func missingMessages(acked []ackedMessage, got []messageOut) (lost []ackedMessage, disorder string) {
	for i := 1; i < len(got); i++ {
		if got[i].ID <= got[i-1].ID || got[i].CreatedAt.Before(got[i-1].CreatedAt) {
			disorder = fmt.Sprintf("messages out of order: %d (%s) after %d (%s)", got[i].ID, got[i].CreatedAt, got[i-1].ID, got[i-1].CreatedAt)
		}
	}
	j := 0
	for _, a := range acked {
		k := j
		for ; k < len(got); k++ {
			m := got[k]
			if (a.ID != 0 && m.ID == a.ID && m.Content == a.Content && m.Role == a.Role) ||
				(a.ID == 0 && m.Role == a.Role && m.Content == a.Content) {
				break
			}
		}
		if k == len(got) {
			lost = append(lost, a)
			continue
		}
		j = k + 1
	}
	return lost, disorder
}

// check runs the store check through the admin endpoint.
func (lt *loadtest) check(ctx context.Context, token string, rep *loadReport) {
	var res struct {
		OK    bool `json:"ok"`
		Store struct {
			Problems []struct{ Kind, Detail string }
		} `json:"store"`
		Index []string `json:"index"`
	}
	if err := lt.cl.do(ctx, "GET /api/v1/admin/check", "GET", "/api/v1/admin/check", token, nil, 200, &res); err != nil {
		return
	}
	rep.CheckOK = &res.OK
	for _, p := range res.Store.Problems {
		rep.CheckIssues = append(rep.CheckIssues, p.Kind+": "+p.Detail)
	}
	rep.CheckIssues = append(rep.CheckIssues, res.Index...)
}

// messageOut is a message as the API returns it.
type messageOut struct {
	ID             uint64    `json:"id"`
	ConversationID uint64    `json:"conversation_id"`
	Role           string    `json:"role"`
	Content        string    `json:"content"`
	Partial        bool      `json:"partial"`
	Mode           string    `json:"mode"`
	CreatedAt      time.Time `json:"created_at"`
}

// recorder collects latencies and failures per route.
type recorder struct {
	mu          sync.Mutex
	lat         map[string][]time.Duration
	errs        map[string]int
	requests    int
	status5xx   int
	rateLimited int
	errors      int
	samples     []string
}

func (r *recorder) observe(route string, d time.Duration) {
	r.mu.Lock()
	r.lat[route] = append(r.lat[route], d)
	r.mu.Unlock()
}

func (r *recorder) fail(route, sample string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs[route]++
	r.errors++
	if len(r.samples) < 10 {
		r.samples = append(r.samples, sample)
	}
}

func (r *recorder) fill(rep *loadReport) {
	r.mu.Lock()
	defer r.mu.Unlock()
	routes := map[string]bool{}
	for k := range r.lat {
		routes[k] = true
	}
	for k := range r.errs {
		routes[k] = true
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range routes {
			if !yield(k) {
				return
			}
		}
	}) {
		ds := slices.Clone(r.lat[name])
		slices.Sort(ds)
		rr := routeReport{Route: name, Count: len(ds), Errors: r.errs[name]}
		if len(ds) > 0 {
			rr.P50ms = msf(ds[(len(ds)-1)*50/100])
			rr.P99ms = msf(ds[(len(ds)-1)*99/100])
			rr.MaxMs = msf(ds[len(ds)-1])
		}
		rep.Routes = append(rep.Routes, rr)
	}
	rep.Requests, rep.Status5xx, rep.RateLimited, rep.Errors = r.requests, r.status5xx, r.rateLimited, r.errors
	rep.Samples = append(rep.Samples, r.samples...)
}

func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// loadClient makes the users' requests, timing and judging each.
type loadClient struct {
	base string
	http *http.Client
	rec  *recorder
}

func newLoadClient(base string, rec *recorder) *loadClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 1000
	tr.MaxIdleConns = 1000
	return &loadClient{base: base, rec: rec, http: &http.Client{Transport: tr}}
}

func (c *loadClient) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, "GET", c.base+"/ready", nil)
		if resp, err := c.http.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s is not ready after 60s", c.base)
}

// send makes one request, retrying 429s, and returns the response with
// its body read. Requests time out after a minute.
func (c *loadClient) send(ctx context.Context, route string, mk func() (*http.Request, error)) (*http.Response, []byte, error) {
	for attempt := 0; ; attempt++ {
		req, err := mk()
		if err != nil {
			return nil, nil, err
		}
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		start := time.Now()
		resp, err := c.http.Do(req.WithContext(rctx))
		var raw []byte
		if err == nil {
			raw, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		cancel()
		c.rec.mu.Lock()
		c.rec.requests++
		c.rec.mu.Unlock()
		if err != nil {
			if ctx.Err() == nil {
				c.rec.fail(route, fmt.Sprintf("%s: %v", route, err))
			}
			return nil, nil, err
		}
		if resp.StatusCode == http.StatusTooManyRequests && attempt < 20 {
			c.rec.mu.Lock()
			c.rec.rateLimited++
			c.rec.mu.Unlock()
			wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			time.Sleep(min(time.Duration(max(wait, 1))*time.Second, 5*time.Second))
			continue
		}
		c.rec.observe(route, time.Since(start))
		return resp, raw, nil
	}
}

// judge records a response that is not the one expected.
func (c *loadClient) judge(route string, resp *http.Response, raw []byte, want int) error {
	if resp.StatusCode == want {
		return nil
	}
	if resp.StatusCode >= 500 {
		c.rec.mu.Lock()
		c.rec.status5xx++
		c.rec.mu.Unlock()
	}
	err := fmt.Errorf("%s: status %d (want %d): %.200s", route, resp.StatusCode, want, raw)
	c.rec.fail(route, err.Error())
	return err
}

// do sends a JSON request (body nil for none) and decodes the answer.
func (c *loadClient) do(ctx context.Context, route, method, path, token string, body any, want int, out any) error {
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	resp, got, err := c.send(ctx, route, func() (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return req, nil
	})
	if err != nil {
		return err
	}
	if err := c.judge(route, resp, got, want); err != nil {
		return err
	}
	if out != nil {
		if err := json.Unmarshal(got, out); err != nil {
			c.rec.fail(route, fmt.Sprintf("%s: decode %.200q: %v", route, got, err))
			return err
		}
	}
	return nil
}

// upload sends one file as multipart/form-data.
func (c *loadClient) upload(ctx context.Context, route, path, token, name string, data []byte, want int, out any) error {
	body, ctype := multipartFiles(map[string][]byte{name: data})
	resp, got, err := c.send(ctx, route, func() (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, "POST", c.base+path, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Authorization", "Bearer "+token)
		return req, nil
	})
	if err != nil {
		return err
	}
	if err := c.judge(route, resp, got, want); err != nil {
		return err
	}
	return json.Unmarshal(got, out)
}

// multipartFiles encodes files (name → bytes) as "file" parts, in name order.
func multipartFiles(files map[string][]byte) ([]byte, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range files {
			if !yield(k) {
				return
			}
		}
	}) {
		w, _ := mw.CreateFormFile("file", name)
		w.Write(files[name])
	}
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

// account registers name (with a password derived from it) and logs in.
func (c *loadClient) account(ctx context.Context, name string, timed bool) (string, error) {
	reg, tok := "POST /api/v1/auth/register", "POST /api/v1/auth/token"
	if !timed {
		reg, tok = "setup: "+reg, "setup: "+tok
	}
	if err := c.do(ctx, reg, "POST", "/api/v1/auth/register", "", map[string]string{
		"username": name, "email": name + "@loadtest.example", "password": name + "-password"}, 201, nil); err != nil {
		return "", err
	}
	var t struct {
		AccessToken string `json:"access_token"`
	}
	if err := c.do(ctx, tok, "POST", "/api/v1/auth/token", "", map[string]string{
		"username": name, "password": name + "-password"}, 200, &t); err != nil {
		return "", err
	}
	return t.AccessToken, nil
}

// streamResult is what a streamed answer delivered.
type streamResult struct {
	userStored bool // the server accepted the question (200 and events began)
	sources    bool
	deltas     strings.Builder
	done       messageOut
}

// stream asks a question with "stream": true and reads the events to the
// end, timing the first delta and the whole answer.
func (c *loadClient) stream(ctx context.Context, path, token, question string) (*streamResult, error) {
	const route = "POST /api/v1/conversations/{id}/messages stream"
	res := &streamResult{}
	raw, _ := json.Marshal(map[string]any{"content": question, "stream": true})
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(rctx, "POST", c.base+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	resp, err := c.http.Do(req)
	c.rec.mu.Lock()
	c.rec.requests++
	c.rec.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			c.rec.fail(route, fmt.Sprintf("%s: %v", route, err))
		}
		return res, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		body, _ := io.ReadAll(resp.Body)
		return res, c.judge(route, resp, body, 200)
	}
	res.userStored = true
	first := true
	var failure error
	err = readSSE(resp.Body, func(event string, data []byte) error {
		switch event {
		case "sources":
			res.sources = true
		case "delta":
			if first {
				c.rec.observe(route+": first delta", time.Since(start))
				first = false
			}
			var d struct{ Content string }
			json.Unmarshal(data, &d)
			res.deltas.WriteString(d.Content)
		case "done":
			var d struct {
				AssistantMessage messageOut `json:"assistant_message"`
			}
			if err := json.Unmarshal(data, &d); err != nil {
				failure = fmt.Errorf("done event %.200q: %v", data, err)
			}
			res.done = d.AssistantMessage
			return io.EOF
		case "error":
			failure = fmt.Errorf("error event: %s", data)
			return io.EOF
		}
		return nil
	})
	switch {
	case failure != nil:
		c.rec.fail(route, route+": "+failure.Error())
		return res, failure
	case err != nil:
		if ctx.Err() == nil {
			c.rec.fail(route, fmt.Sprintf("%s: %v", route, err))
		}
		return res, err
	case res.done.ID == 0:
		err = errors.New("the stream ended without a done event")
		c.rec.fail(route, route+": "+err.Error())
		return res, err
	case res.done.Content != res.deltas.String() || res.done.Partial:
		err = fmt.Errorf("the done message (partial %v) %.80q differs from the streamed deltas %.80q", res.done.Partial, res.done.Content, res.deltas.String())
		c.rec.fail(route, route+": "+err.Error())
		return res, err
	}
	c.rec.observe(route, time.Since(start))
	return res, nil
}

// metrics reads the Go and process gauges of /metrics (zero when absent).
func (c *loadClient) metrics(ctx context.Context) map[string]float64 {
	out := map[string]float64{}
	req, _ := http.NewRequestWithContext(ctx, "GET", c.base+"/metrics", nil)
	resp, err := c.http.Do(req)
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		switch name {
		case "go_goroutines", "go_memstats_heap_inuse_bytes", "process_resident_memory_bytes":
			if v, err := strconv.ParseFloat(value, 64); ok && err == nil {
				out[name] = v
			}
		}
	}
	return out
}

// readSSE calls fn for each Server-Sent Event of r until r ends or fn
// returns an error (io.EOF stops without error).
func readSSE(r io.Reader, fn func(event string, data []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	event, data := "", []byte(nil)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if event != "" || data != nil {
				if err := fn(event, data); err != nil {
					if errors.Is(err, io.EOF) {
						return nil
					}
					return err
				}
			}
			event, data = "", nil
		case strings.HasPrefix(line, "event:"):
			event = strings.TrimSpace(line[len("event:"):])
		case strings.HasPrefix(line, "data:"):
			if data != nil {
				data = append(data, '\n')
			}
			data = append(data, strings.TrimPrefix(line[len("data:"):], " ")...)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return io.ErrUnexpectedEOF
}

// sampler records the peak heap, RSS and goroutine count of this process.
type sampler struct {
	stopc chan struct{}
	out   chan samplePeak
}

type samplePeak struct {
	heap, rss  uint64
	goroutines int
}

func startSampler() *sampler {
	s := &sampler{stopc: make(chan struct{}), out: make(chan samplePeak, 1)}
	go func() {
		var p samplePeak
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			p.heap = max(p.heap, m.HeapInuse)
			p.rss = max(p.rss, rss())
			p.goroutines = max(p.goroutines, runtime.NumGoroutine())
			select {
			case <-s.stopc:
				s.out <- p
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *sampler) stop() samplePeak {
	close(s.stopc)
	return <-s.out
}

// rss is this process's resident set size, 0 where /proc is missing.
func rss() uint64 {
	raw, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(raw))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

// setEnv sets an environment variable and returns a function restoring it.
func setEnv(key, value string) func() {
	old, had := os.LookupEnv(key)
	os.Setenv(key, value)
	return func() {
		if had {
			os.Setenv(key, old)
		} else {
			os.Unsetenv(key)
		}
	}
}

var listeningLine = regexp.MustCompile(`listening on (http://\S+)`)

// listenWatcher returns a writer for the server's stdout and a channel
// that receives the address it prints.
func listenWatcher() (io.WriteCloser, <-chan string) {
	pr, pw := io.Pipe()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			if m := listeningLine.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
	}()
	return pw, found
}

// logTail keeps the last lines a server logged and counts its errors and panics.
type logTail struct {
	mu     sync.Mutex
	lines  []string
	errs   int
	panics int
}

func (l *logTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if strings.Contains(line, "level=ERROR") {
			l.errs++
		}
		if strings.HasPrefix(line, "panic:") || strings.HasPrefix(line, "fatal error:") {
			l.panics++
		}
		l.lines = append(l.lines, line)
		if len(l.lines) > 20 {
			l.lines = l.lines[1:]
		}
	}
	return len(p), nil
}

func (l *logTail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func (l *logTail) errors() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.errs
}

// fakeLLM is a minimal OpenAI-compatible chat server that streams
// fakeReply token by token.
type fakeLLM struct {
	url  string
	srv  *http.Server
	once sync.Once
}

func startFakeLLM(tokenDelay time.Duration) (*fakeLLM, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &fakeLLM{url: "http://" + ln.Addr().String() + "/v1"}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Model    string `json:"model"`
			Messages []struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"messages"`
			Stream bool `json:"stream"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in.Messages) == 0 {
			http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
			return
		}
		reply := fakeReply(in.Messages[0].Content, in.Messages[len(in.Messages)-1].Content)
		chunk := func(delta map[string]string, finish any) []byte {
			b, _ := json.Marshal(map[string]any{"id": "chatcmpl-loadtest", "object": "chat.completion.chunk",
				"created": time.Now().Unix(), "model": in.Model,
				"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}})
			return b
		}
		if !in.Stream {
			b, _ := json.Marshal(map[string]any{"id": "chatcmpl-loadtest", "object": "chat.completion",
				"created": time.Now().Unix(), "model": in.Model,
				"choices": []any{map[string]any{"index": 0, "message": map[string]string{"role": "assistant", "content": reply}, "finish_reason": "stop"}}})
			w.Header().Set("Content-Type", "application/json")
			w.Write(b)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		fmt.Fprintf(w, "data: %s\n\n", chunk(map[string]string{"role": "assistant"}, nil))
		for _, tok := range replyTokens(reply) {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(tokenDelay):
			}
			fmt.Fprintf(w, "data: %s\n\n", chunk(map[string]string{"content": tok}, nil))
			if rc.Flush() != nil {
				return
			}
		}
		fmt.Fprintf(w, "data: %s\n\ndata: [DONE]\n\n", chunk(map[string]string{}, "stop"))
	})
	f.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go f.srv.Serve(ln)
	return f, nil
}

func (f *fakeLLM) close() { f.once.Do(func() { f.srv.Close() }) }

// fakeReply is what the fake LLM answers, given the system prompt and the
// last user message: the follow-up itself when asked to condense one, a
// short cited answer that depends only on the question otherwise.
func fakeReply(system, lastUser string) string {
	if strings.Contains(system, "rewrite follow-up") {
		if _, rest, ok := strings.Cut(lastUser, "Follow-up question: "); ok {
			q, _, _ := strings.Cut(rest, "\n")
			return q
		}
		return lastUser
	}
	i := strings.LastIndex(lastUser, "Question: ")
	if i < 0 {
		return "A conversation"
	}
	return fakeAnswer(lastUser[i+len("Question: "):])
}

// fakeAnswer is the complete answer the fake LLM gives to question. Its
// first word is made from the question, so that even a one-word start of
// an answer tells which question it answers.
func fakeAnswer(question string) string {
	h := fnv.New64a()
	h.Write([]byte(question))
	rng := rand.New(rand.NewPCG(h.Sum64(), 7))
	var b strings.Builder
	b.WriteString(strings.ToUpper(keyword(rng)[:1]) + keyword(rng)[1:] + ": according to the sources,")
	for range 20 + rng.IntN(20) {
		b.WriteByte(' ')
		b.WriteString(words[rng.IntN(len(words))])
	}
	b.WriteString(" [1]. That is the whole answer.")
	return b.String()
}

// replyTokens splits a reply into words, each with the space before it.
func replyTokens(s string) []string {
	var out []string
	start := 0
	for i := 1; i < len(s); i++ {
		if s[i] == ' ' {
			out = append(out, s[start:i])
			start = i
		}
	}
	return append(out, s[start:])
}

// words are the vocabulary of the generated documents, questions and answers.
var words = strings.Fields(`river mountain harvest ledger invoice turbine glacier orchard
	compass lantern archive festival quarry harbour meadow cathedral vineyard tunnel
	beacon parliament satellite library monsoon canyon bakery theatre pension
	warranty voltage mortgage vaccine telescope migration pipeline battery contract`)

// keyword returns a made-up word that appears in no other document.
func keyword(rng *rand.Rand) string {
	const letters = "bcdfghjklmnpqrstvwxz"
	const vowels = "aeiou"
	var b strings.Builder
	for range 4 {
		b.WriteByte(letters[rng.IntN(len(letters))])
		b.WriteByte(vowels[rng.IntN(len(vowels))])
	}
	return b.String()
}

// genParagraphs returns n paragraphs of sentences about kw.
func genParagraphs(rng *rand.Rand, kw string, n int) []string {
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for range 3 + rng.IntN(4) {
			fmt.Fprintf(&b, "The %s of %s depends on the %s and the %s. ", words[rng.IntN(len(words))], kw,
				words[rng.IntN(len(words))], words[rng.IntN(len(words))])
		}
		out[i] = strings.TrimSpace(b.String())
	}
	return out
}

// genMarkdown returns a Markdown guide about kw with n sections.
func genMarkdown(rng *rand.Rand, kw string, n int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Guide to %s\n\n", kw)
	for i, p := range genParagraphs(rng, kw, n) {
		fmt.Fprintf(&b, "## Part %d: %s\n\n%s\n\n", i+1, words[rng.IntN(len(words))], p)
	}
	return []byte(b.String())
}
