package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

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

// request counts one request and records its error, if any, as a failure
// of route.
func (r *recorder) request(ctx context.Context, route string, err error) {
	r.mu.Lock()
	r.requests++
	r.mu.Unlock()
	r.failed(ctx, route, err)
}

// failed records err, if any, as a failure of route, unless ctx is done
// (the run is stopping).
func (r *recorder) failed(ctx context.Context, route string, err error) {
	if err != nil && ctx.Err() == nil {
		r.fail(route, fmt.Sprintf("%s: %v", route, err))
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
	// bases are the servers' URLs: requests go to them in turn (several
	// replicas of one store behind no balancer).
	bases []string
	next  atomic.Uint64
	http  *http.Client
	rec   *recorder
	// admin is an admin's token for a remote server ("" in process): it
	// reads /metrics and activates accounts waiting for approval.
	admin string
}

func newLoadClient(bases []string, rec *recorder) *loadClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 1000
	tr.MaxIdleConns = 1000
	return &loadClient{bases: bases, rec: rec, http: &http.Client{Transport: tr}}
}

// finds reports whether a search (body) on the server at base finds anything.
func (c *loadClient) finds(ctx context.Context, base, token string, body []byte) bool {
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/search", bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var res struct {
		Results []json.RawMessage `json:"results"`
	}
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&res) == nil && len(res.Results) > 0
}

// url is path on the next server in turn.
func (c *loadClient) url(path string) string {
	return c.bases[int(c.next.Add(1)%uint64(len(c.bases)))] + path
}

func (c *loadClient) waitReady(ctx context.Context) error {
	for _, base := range c.bases {
		if err := c.waitReadyAt(ctx, base); err != nil {
			return err
		}
	}
	return nil
}

func (c *loadClient) waitReadyAt(ctx context.Context, base string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/ready", nil)
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
	return fmt.Errorf("%s is not ready after 60s", base)
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
		c.rec.request(ctx, route, err)
		if err != nil {
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
	ctype, authz := "", ""
	if body != nil {
		raw, _ = json.Marshal(body)
		ctype = "application/json"
	}
	if token != "" {
		authz = "Bearer " + token
	}
	got, err := c.exchange(ctx, route, method, path, ctype, authz, raw, want)
	if err != nil || out == nil {
		return err
	}
	if err := json.Unmarshal(got, out); err != nil {
		c.rec.fail(route, fmt.Sprintf("%s: decode %.200q: %v", route, got, err))
		return err
	}
	return nil
}

// upload sends one file as multipart/form-data.
func (c *loadClient) upload(ctx context.Context, route, path, token, name string, data []byte, want int, out any) error {
	body, ctype := multipartFiles(map[string][]byte{name: data})
	got, err := c.exchange(ctx, route, "POST", path, ctype, "Bearer "+token, body, want)
	if err != nil {
		return err
	}
	return json.Unmarshal(got, out)
}

// exchange sends body (the same bytes on every retry) with the
// Content-Type and Authorization headers given (none where ""), and
// returns the answer's body once judge has found its status to be want.
func (c *loadClient) exchange(ctx context.Context, route, method, path, ctype, authz string, body []byte, want int) ([]byte, error) {
	resp, got, err := c.send(ctx, route, func() (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, method, c.url(path), bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		return req, nil
	})
	if err != nil {
		return nil, err
	}
	if err := c.judge(route, resp, got, want); err != nil {
		return nil, err
	}
	return got, nil
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
// Against a remote server with an admin's token, the admin adds the
// account instead, which works whatever the server's registration mode.
func (c *loadClient) account(ctx context.Context, name string, timed bool) (string, error) {
	reg, tok := "POST /api/v1/auth/register", "POST /api/v1/auth/token"
	path, by := "/api/v1/auth/register", ""
	if c.admin != "" {
		reg, path, by = "POST /api/v1/users", "/api/v1/users", c.admin
	}
	if !timed {
		reg, tok = "setup: "+reg, "setup: "+tok
	}
	if err := c.do(ctx, reg, "POST", path, by, map[string]string{
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
	req, _ := http.NewRequestWithContext(rctx, "POST", c.url(path), bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	resp, err := c.http.Do(req)
	c.rec.request(ctx, route, err)
	if err != nil {
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
		c.rec.failed(ctx, route, err)
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
	req, _ := http.NewRequestWithContext(ctx, "GET", c.bases[0]+"/metrics", nil)
	if c.admin != "" {
		req.Header.Set("Authorization", "Bearer "+c.admin)
	}
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
