package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"docent/chat"
	"docent/internal/testpdf"
)

// crashHTTP is the test's client; its idle connections are dropped at
// every kill.
var crashHTTP = &http.Client{Timeout: 2 * time.Minute}

// request sends one JSON request (body nil for none) and returns the
// status and body; err is a transport error (the server died).
func request(ctx context.Context, method, url, token string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = strings.NewReader(string(raw))
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := crashHTTP.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

// crashWorld is what the server acknowledged to the simulated users, and
// what may or may not have happened (requests cut by a kill).
type crashWorld struct {
	t    *testing.T
	seed uint64
	data string // the data directory, whose -logs sibling holds the server logs

	mu       sync.Mutex
	actors   []*actor
	docs     map[string]*trackedDoc // by file name (unique)
	convs    map[uint64]*trackedConv
	pending  map[string]*actor // conversations being created, by title
	notFound string            // the answer when nothing is relevant
	seq      int
	kills    int
	ops      map[string]int
}

// actor is one user of the workload; one goroutine acts for it at a time.
type actor struct {
	name, token string
	admin       bool
	rng         *rand.Rand
}

type docState int

const (
	docUploading docState = iota // sent, no answer yet
	docAcked                     // 201/202 received
	docDeleting                  // DELETE sent, no answer yet
	docDeleted                   // 204 received
)

type trackedDoc struct {
	name    string
	owner   *actor
	shared  bool
	broken  bool // a file that must fail to index
	keyword string
	id      uint64
	state   docState
	status  string // last acknowledged or observed status
	unacked bool   // found after a kill cut its upload
	history []string
	kills   *int // of the world, for the history
}

// note adds an event to the document's history.
func (d *trackedDoc) note(format string, args ...any) {
	d.history = append(d.history, fmt.Sprintf("[kill %d] ", *d.kills)+fmt.Sprintf(format, args...))
}

type convState int

const (
	convLive convState = iota
	convDeleting
	convDeleted
)

type trackedConv struct {
	id    uint64
	owner *actor
	title string
	state convState
	acked []ackedMessage
}

func newCrashWorld(t *testing.T, seed uint64, data string) *crashWorld {
	return &crashWorld{t: t, seed: seed, data: data, docs: map[string]*trackedDoc{}, convs: map[uint64]*trackedConv{},
		pending: map[string]*actor{}, ops: map[string]int{}}
}

func (w *crashWorld) admin() *actor { return w.actors[0] }

// setup registers an admin and three users and learns the not-found answer.
func (w *crashWorld) setup(base string) {
	t := w.t
	for i, name := range []string{"root", "ann", "bob", "cat"} {
		a := &actor{name: name, admin: i == 0, rng: rand.New(rand.NewPCG(w.seed, uint64(i+1)))}
		if code, raw, err := request(t.Context(), "POST", base+"/api/v1/auth/register", "", map[string]string{
			"username": name, "email": name + "@example.com", "password": name + "-password"}); err != nil || code != 201 {
			t.Fatalf("register %s: %d %s %v", name, code, raw, err)
		}
		w.actors = append(w.actors, a)
	}
	w.relogin(base)
	a := w.actors[1]
	var c struct{ ID uint64 }
	if code, raw, err := request(t.Context(), "POST", base+"/api/v1/conversations", a.token, map[string]string{"title": "probe"}); err != nil || code != 201 || json.Unmarshal(raw, &c) != nil {
		t.Fatalf("create conversation: %d %s %v", code, raw, err)
	}
	var x struct {
		User      messageOut `json:"user_message"`
		Assistant messageOut `json:"assistant_message"`
	}
	code, raw, err := request(t.Context(), "POST", fmt.Sprintf("%s/api/v1/conversations/%d/messages", base, c.ID), a.token, map[string]string{"content": "Is anything known yet?"})
	if err != nil || code != 201 || json.Unmarshal(raw, &x) != nil || x.Assistant.Content == "" {
		t.Fatalf("question without documents: %d %s %v", code, raw, err)
	}
	w.notFound = x.Assistant.Content
	w.convs[c.ID] = &trackedConv{id: c.ID, owner: a, title: "probe", acked: []ackedMessage{
		{x.User.ID, "user", x.User.Content}, {x.Assistant.ID, "assistant", x.Assistant.Content}}}
}

// relogin gets every actor a fresh token.
func (w *crashWorld) relogin(base string) {
	for _, a := range w.actors {
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		code, raw, err := request(w.t.Context(), "POST", base+"/api/v1/auth/token", "", map[string]string{"username": a.name, "password": a.name + "-password"})
		if err != nil || code != 200 || json.Unmarshal(raw, &tok) != nil {
			w.t.Fatalf("log in %s: %d %s %v", a.name, code, raw, err)
		}
		a.token = tok.AccessToken
	}
}

// run lets every actor work against base until d has passed and then
// calls interrupt (which kills the server), or, with d = 0, until
// interrupt returns. Requests still in flight are abandoned.
func (w *crashWorld) run(base string, d time.Duration, interrupt func()) {
	ctx, cancel := context.WithCancel(w.t.Context())
	var wg sync.WaitGroup
	for _, a := range w.actors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				w.act(ctx, base, a)
			}
		}()
	}
	time.Sleep(d)
	if interrupt != nil {
		interrupt()
	}
	cancel()
	wg.Wait()
}

// violation records a broken invariant.
func (w *crashWorld) violation(format string, args ...any) {
	w.t.Helper()
	w.mu.Lock()
	kills := w.kills
	w.mu.Unlock()
	w.t.Errorf("after %d kills: "+format, append([]any{kills}, args...)...)
}

func (w *crashWorld) count(op string) {
	w.mu.Lock()
	w.ops[op]++
	w.mu.Unlock()
}

func (w *crashWorld) summary() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	docs, msgs := 0, 0
	for _, d := range w.docs {
		if d.state == docAcked {
			docs++
		}
	}
	for _, c := range w.convs {
		msgs += len(c.acked)
	}
	return fmt.Sprintf("%d documents and %d conversations with %d messages kept; requests %v", docs, len(w.convs), msgs, w.ops)
}

// act performs one random operation for a.
func (w *crashWorld) act(ctx context.Context, base string, a *actor) {
	w.mu.Lock()
	var docs []*trackedDoc
	var convs []*trackedConv
	for _, d := range w.docs {
		if d.owner == a && (d.state == docAcked || d.state == docUploading) {
			docs = append(docs, d)
		}
	}
	for _, c := range w.convs {
		if c.owner == a && c.state == convLive {
			convs = append(convs, c)
		}
	}
	w.mu.Unlock()
	slices.SortFunc(docs, func(x, y *trackedDoc) int { return strings.Compare(x.name, y.name) })
	slices.SortFunc(convs, func(x, y *trackedConv) int { return cmp.Compare(x.id, y.id) })
	p := a.rng.IntN(100)
	switch {
	case p < 25 && len(docs) < 10:
		w.upload(ctx, base, a)
	case p < 32 || (p < 25 && len(docs) >= 10):
		if d := pickAcked(a.rng, docs); d != nil {
			w.deleteDoc(ctx, base, a, d)
		}
	case p < 72:
		if len(convs) == 0 {
			w.createConv(ctx, base, a)
			return
		}
		w.chat(ctx, base, a, convs[a.rng.IntN(len(convs))])
	case p < 78 && len(convs) < 4:
		w.createConv(ctx, base, a)
	case p < 84:
		if len(convs) > 0 {
			w.deleteConv(ctx, base, a, convs[a.rng.IntN(len(convs))])
		}
	case p < 95:
		w.search(ctx, base, a, docs)
	default:
		if a.admin {
			w.checkLive(ctx, base, a)
		}
	}
}

func pickAcked(rng *rand.Rand, docs []*trackedDoc) *trackedDoc {
	var acked []*trackedDoc
	for _, d := range docs {
		if d.state == docAcked {
			acked = append(acked, d)
		}
	}
	if len(acked) == 0 {
		return nil
	}
	return acked[rng.IntN(len(acked))]
}

// documentOut is a document as the API returns it.
type documentOut struct {
	ID        uint64 `json:"id"`
	Filename  string `json:"filename"`
	Status    string `json:"status"`
	Error     string `json:"error"`
	Chunks    int    `json:"chunks"`
	Shared    bool   `json:"shared"`
	Duplicate bool   `json:"duplicate"`
}

// upload sends one or two new files, Markdown, text or PDF (one in ten
// broken), waiting for them half of the time.
func (w *crashWorld) upload(ctx context.Context, base string, a *actor) {
	rng := a.rng
	files := map[string][]byte{}
	var tracked []*trackedDoc
	shared := a.admin && rng.IntN(2) == 0
	for range 1 + rng.IntN(2) {
		w.mu.Lock()
		w.seq++
		seq := w.seq
		w.mu.Unlock()
		kw := keyword(rng)
		d := &trackedDoc{owner: a, shared: shared, keyword: kw, kills: &w.kills}
		paras := genParagraphs(rng, kw, 1+rng.IntN(30))
		var data []byte
		ext := "md"
		switch k := rng.IntN(10); {
		case k < 4:
			data = []byte("# Notes on " + kw + "\n\n" + strings.Join(paras, "\n\n") + "\n")
		case k < 7:
			ext, data = "txt", []byte(strings.Join(paras, "\n\n"))
		case k < 9:
			ext, data = "pdf", pdfOf(paras)
		default:
			ext, d.broken = "pdf", true
			data = brokenPDF(rng)
		}
		d.name = fmt.Sprintf("%s-%05d-%s.%s", a.name, seq, kw, ext)
		files[d.name] = data
		tracked = append(tracked, d)
	}
	wait := rng.IntN(2) == 0
	q := "?wait=" + fmt.Sprint(wait)
	if shared {
		q += "&shared=true"
	}
	w.mu.Lock()
	for _, d := range tracked {
		w.docs[d.name] = d
		d.note("POST /api/v1/documents%s with %d files", q, len(files))
	}
	w.mu.Unlock()
	body, ctype := multipartFiles(files)
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/documents"+q, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+a.token)
	w.count("upload")
	resp, err := crashHTTP.Do(req)
	if err != nil {
		return // the server died: the documents may or may not exist
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return
	}
	want := map[bool]int{true: 201, false: 202}[wait]
	var got []documentOut
	if resp.StatusCode != want || json.Unmarshal(raw, &got) != nil || len(got) != len(files) {
		w.violation("upload %v%s: %d %s", keys(files), q, resp.StatusCode, raw)
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, g := range got {
		d := w.docs[g.Filename]
		if d == nil {
			w.t.Errorf("upload answered an unknown file %q: %s", g.Filename, raw)
			continue
		}
		d.id, d.state, d.status = g.ID, docAcked, g.Status
		d.note("acknowledged %d %s as %d", resp.StatusCode, g.Status, g.ID)
		switch {
		case g.Duplicate:
			w.t.Errorf("a new file %s was taken for a duplicate: %s", d.name, raw)
		case wait && d.broken && g.Status != "failed":
			w.t.Errorf("broken %s is %q after ?wait=true, want failed", d.name, g.Status)
		case wait && !d.broken && g.Status != "ready":
			w.t.Errorf("%s is %q after ?wait=true, want ready (error %q)", d.name, g.Status, g.Error)
		}
	}
}

func keys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// pdfOf lays paragraphs out as PDF pages of short lines.
func pdfOf(paras []string) []byte {
	var pages [][]string
	var page []string
	for _, p := range paras {
		line := ""
		for _, word := range strings.Fields(p) {
			if len(line)+len(word) > 80 {
				page, line = append(page, line), ""
			}
			line = strings.TrimSpace(line + " " + word)
		}
		page = append(page, line, "")
		if len(page) > 40 {
			pages, page = append(pages, page), nil
		}
	}
	if len(page) > 0 {
		pages = append(pages, page)
	}
	return testpdf.Pages(pages...)
}

// brokenPDF is a PDF docent cannot index (cut in half, or without a text
// layer), made unique so that it is never a duplicate.
func brokenPDF(rng *rand.Rand) []byte {
	raw := testpdf.Truncated()
	if rng.IntN(2) == 0 {
		raw = testpdf.NoText()
	}
	return append(raw, "\n% "+keyword(rng)+"\n"...)
}

func (w *crashWorld) deleteDoc(ctx context.Context, base string, a *actor, d *trackedDoc) {
	w.mu.Lock()
	d.state = docDeleting
	d.note("DELETE sent")
	w.mu.Unlock()
	w.count("delete document")
	code, raw, err := request(ctx, "DELETE", fmt.Sprintf("%s/api/v1/documents/%d", base, d.id), a.token, nil)
	if err != nil {
		return
	}
	if code != 204 {
		w.violation("delete acknowledged document %s (%d): %d %s", d.name, d.id, code, raw)
		return
	}
	w.mu.Lock()
	d.state = docDeleted
	d.note("DELETE acknowledged")
	w.mu.Unlock()
}

func (w *crashWorld) createConv(ctx context.Context, base string, a *actor) {
	w.mu.Lock()
	w.seq++
	title := fmt.Sprintf("%s conversation %d", a.name, w.seq)
	w.pending[title] = a
	w.mu.Unlock()
	w.count("create conversation")
	code, raw, err := request(ctx, "POST", base+"/api/v1/conversations", a.token, map[string]string{"title": title})
	if err != nil {
		return
	}
	var c struct{ ID uint64 }
	if code != 201 || json.Unmarshal(raw, &c) != nil {
		w.violation("create conversation: %d %s", code, raw)
		return
	}
	w.mu.Lock()
	delete(w.pending, title)
	w.convs[c.ID] = &trackedConv{id: c.ID, owner: a, title: title}
	w.mu.Unlock()
}

func (w *crashWorld) deleteConv(ctx context.Context, base string, a *actor, c *trackedConv) {
	w.mu.Lock()
	c.state = convDeleting
	w.mu.Unlock()
	w.count("delete conversation")
	code, raw, err := request(ctx, "DELETE", fmt.Sprintf("%s/api/v1/conversations/%d", base, c.id), a.token, nil)
	if err != nil {
		return
	}
	if code != 204 {
		w.violation("delete acknowledged conversation %d: %d %s", c.id, code, raw)
		return
	}
	w.mu.Lock()
	c.state = convDeleted
	w.mu.Unlock()
}

// question asks about one of the actor's documents (or anything).
func (w *crashWorld) question(a *actor, docs []*trackedDoc) string {
	topic := words[a.rng.IntN(len(words))]
	if len(docs) == 0 || a.rng.IntN(5) == 0 {
		return "What is said about the " + topic + "?"
	}
	return fmt.Sprintf("How does the %s of %s work?", topic, docs[a.rng.IntN(len(docs))].keyword)
}

// chat asks a question in c, as JSON or streamed; a streamed one is
// abandoned after a few deltas one time in five (the client goes away).
func (w *crashWorld) chat(ctx context.Context, base string, a *actor, c *trackedConv) {
	w.mu.Lock()
	var docs []*trackedDoc
	for _, d := range w.docs {
		if (d.owner == a || d.shared) && d.state == docAcked && !d.broken {
			docs = append(docs, d)
		}
	}
	w.mu.Unlock()
	slices.SortFunc(docs, func(x, y *trackedDoc) int { return strings.Compare(x.name, y.name) })
	q := w.question(a, docs)
	url := fmt.Sprintf("%s/api/v1/conversations/%d/messages", base, c.id)
	if a.rng.IntN(5) < 2 {
		w.count("chat")
		code, raw, err := request(ctx, "POST", url, a.token, map[string]string{"content": q})
		if err != nil {
			return
		}
		var x struct {
			User      messageOut `json:"user_message"`
			Assistant messageOut `json:"assistant_message"`
		}
		if code != 201 || json.Unmarshal(raw, &x) != nil {
			w.violation("question in conversation %d: %d %s", c.id, code, raw)
			return
		}
		w.judgeAnswer(c.id, q, x.Assistant)
		w.mu.Lock()
		c.acked = append(c.acked, ackedMessage{x.User.ID, "user", x.User.Content}, ackedMessage{x.Assistant.ID, "assistant", x.Assistant.Content})
		w.mu.Unlock()
		return
	}
	w.count("chat stream")
	leaveAfter := -1
	if a.rng.IntN(5) == 0 {
		leaveAfter = a.rng.IntN(4)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	raw, _ := json.Marshal(map[string]any{"content": q, "stream": true})
	req, _ := http.NewRequestWithContext(sctx, "POST", url, strings.NewReader(string(raw)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := crashHTTP.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		body, _ := io.ReadAll(resp.Body)
		w.violation("streamed question in conversation %d: %d %s", c.id, resp.StatusCode, body)
		return
	}
	// The question is stored before the stream starts.
	w.mu.Lock()
	c.acked = append(c.acked, ackedMessage{0, "user", q})
	w.mu.Unlock()
	var deltas strings.Builder
	n := 0
	readSSE(resp.Body, func(event string, data []byte) error {
		switch event {
		case "delta":
			if n == leaveAfter {
				cancel()
				return io.EOF
			}
			n++
			var d struct{ Content string }
			json.Unmarshal(data, &d)
			deltas.WriteString(d.Content)
		case "done":
			var d struct {
				AssistantMessage messageOut `json:"assistant_message"`
			}
			if err := json.Unmarshal(data, &d); err != nil || d.AssistantMessage.ID == 0 {
				w.violation("done event in conversation %d: %s", c.id, data)
				return io.EOF
			}
			m := d.AssistantMessage
			if m.Content != deltas.String() {
				w.violation("conversation %d: the done message %q is not the streamed text %q", c.id, m.Content, deltas.String())
			}
			w.judgeAnswer(c.id, q, m)
			w.mu.Lock()
			c.acked = append(c.acked, ackedMessage{m.ID, "assistant", m.Content})
			w.mu.Unlock()
			return io.EOF
		case "error":
			w.violation("error event in conversation %d: %s", c.id, data)
			return io.EOF
		}
		return nil
	})
}

// nothingFound reports whether content is an answer saying that nothing
// relevant was found for q: the one given before any document was
// uploaded, or the one given when the documents do not answer.
func (w *crashWorld) nothingFound(q, content string) bool {
	return content == w.notFound || content == chat.NotFoundAnswer(q)
}

// judgeAnswer checks a message acknowledged as the complete answer to q.
func (w *crashWorld) judgeAnswer(conv uint64, q string, m messageOut) {
	if m.Partial || (m.Content != fakeAnswer(q) && !w.nothingFound(q, m.Content)) {
		w.violation("conversation %d: the answer to %q was acknowledged as %+v", conv, q, m)
	}
}

// search looks for one of the actor's documents by its unique word; a
// document acknowledged ready must be found.
func (w *crashWorld) search(ctx context.Context, base string, a *actor, docs []*trackedDoc) {
	w.count("search")
	d := pickAcked(a.rng, docs)
	if d == nil {
		request(ctx, "POST", base+"/api/v1/search", a.token, map[string]any{"query": words[a.rng.IntN(len(words))]})
		return
	}
	w.mu.Lock()
	ready := d.status == "ready" && d.state == docAcked
	w.mu.Unlock()
	code, raw, err := request(ctx, "POST", base+"/api/v1/search", a.token, map[string]any{"query": d.keyword, "mode": "keyword"})
	if err != nil {
		return
	}
	if code != 200 {
		w.violation("search %q: %d %s", d.keyword, code, raw)
		return
	}
	if ready && !foundIn(raw, d.id) {
		w.violation("search %q does not find the ready document %s (%d): %s", d.keyword, d.name, d.id, raw)
	}
}

func foundIn(raw []byte, id uint64) bool {
	var res struct {
		Results []struct {
			DocumentID uint64 `json:"document_id"`
		} `json:"results"`
	}
	json.Unmarshal(raw, &res)
	for _, r := range res.Results {
		if r.DocumentID == id {
			return true
		}
	}
	return false
}

// checkLive asks the running server to check itself, under load.
func (w *crashWorld) checkLive(ctx context.Context, base string, a *actor) {
	w.count("admin check")
	code, raw, err := request(ctx, "GET", base+"/api/v1/admin/check", a.token, nil)
	if err != nil {
		return
	}
	var res struct {
		OK    bool `json:"ok"`
		Store struct {
			Problems []json.RawMessage `json:"problems"`
		} `json:"store"`
		Index []string `json:"index"`
	}
	if code != 200 || json.Unmarshal(raw, &res) != nil {
		w.violation("GET /api/v1/admin/check: %d %s", code, raw)
		return
	}
	if res.OK {
		return
	}
	w.violation("GET /api/v1/admin/check: %d %s", code, raw)
}

// snapshot copies what is known now.
func (w *crashWorld) snapshot() *crashWorld {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := newCrashWorld(w.t, w.seed, w.data)
	c.notFound, c.kills = w.notFound, w.kills
	for _, a := range w.actors {
		cp := *a
		c.actors = append(c.actors, &cp)
	}
	re := func(a *actor) *actor {
		for i, b := range w.actors {
			if b == a {
				return c.actors[i]
			}
		}
		return nil
	}
	for k, d := range w.docs {
		cp := *d
		cp.owner = re(d.owner)
		cp.history = slices.Clip(d.history)
		c.docs[k] = &cp
	}
	for k, v := range w.convs {
		cp := *v
		cp.owner = re(v.owner)
		cp.acked = append([]ackedMessage(nil), v.acked...)
		c.convs[k] = &cp
	}
	for k, a := range w.pending {
		c.pending[k] = re(a)
	}
	return c
}

// restoredWith turns the world as it was before a backup into what a
// restored copy must hold, given the world after the backup: what was
// deleted or created meanwhile may or may not be in it.
func (w *crashWorld) restoredWith(after *crashWorld) *crashWorld {
	for k, d := range w.docs {
		if a := after.docs[k]; a == nil || a.state == docDeleting || a.state == docDeleted {
			if d.state != docDeleted {
				d.state = docDeleting
			}
		}
	}
	for id, c := range w.convs {
		if a := after.convs[id]; a == nil || a.state != convLive {
			if c.state != convDeleted {
				c.state = convDeleting
			}
		}
	}
	return w
}
