// Crash safety: "docent serve" is killed with SIGKILL at random moments
// while users upload, chat (streamed and not), search and delete, then
// restarted on the same data directory. After every kill the store must
// open, GET /api/v1/admin/check must be ok, and everything the server
// acknowledged must be there (see crashWorld.verify for the invariants).
// Some kill points also run "docent check --json" on the stopped directory.
//
// CI runs 20 kill points (8 with -short). Longer runs:
//
//	go test ./cmd/docent -run Crash -crash.kills=500 -timeout 2h
//	go test ./cmd/docent -run Crash -crash.seed=1234   # replay the kill moments and choices of a logged seed
//
// The seed fixes the kill moments and each user's choices, not the
// interleaving of their concurrent requests.
//
// TestBackupUnderLoad takes snapshots (docent backup --server and GET
// /api/v1/admin/backup) while the same workload runs, restores each into a
// fresh data directory and checks that everything acknowledged before the
// snapshot began is in it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"docent/chat"
	"docent/internal/llmtest"
)

var (
	crashKills = flag.Int("crash.kills", 20, "kill points of TestCrashSafety (8 with -short)")
	crashSeed  = flag.Uint64("crash.seed", 0, "seed of TestCrashSafety and TestBackupUnderLoad (0: from the clock)")
)

func crashSeedValue(t *testing.T) uint64 {
	seed := *crashSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -crash.seed=%d)", seed, seed)
	return seed
}

func TestCrashSafety(t *testing.T) {
	kills := *crashKills
	if testing.Short() {
		kills = min(kills, 8)
	}
	seed := crashSeedValue(t)
	rng := rand.New(rand.NewPCG(seed, 0))
	llm := fakeLLMFor(t)
	data := t.TempDir()
	w := newCrashWorld(t, seed, data)
	p := launch(t, data, llm.URL)
	w.setup(p.url)

	start := time.Now()
	var killed, checked, startupKills int
	for killed < kills {
		// Users work for a random while, then the server dies.
		w.run(p.url, time.Duration(30+rng.IntN(1500))*time.Millisecond, func() { p.kill() })
		killed++
		if rng.IntN(6) == 0 && killed < kills {
			// Die again while loading and resuming interrupted documents.
			p = launch(t, data, llm.URL)
			time.Sleep(time.Duration(rng.IntN(80)) * time.Millisecond)
			p.kill()
			killed++
			startupKills++
		}
		w.mu.Lock()
		w.kills = killed
		w.mu.Unlock()
		if killed%4 == 0 {
			checkStopped(t, data)
			checked++
		}
		p = launch(t, data, llm.URL)
		w.verify(p.url, false)
		if t.Failed() {
			t.Fatalf("stopping at kill %d (seed %d); the server's last log lines:\n%s", killed, seed, p.logs)
		}
	}
	p.stop(t)
	checkStopped(t, data)
	if p.logs.panics > 0 {
		t.Errorf("the server panicked: %s", p.logs)
	}
	t.Logf("%d kill points (%d during start-up), %d offline checks, in %v; %s",
		killed, startupKills, checked+1, time.Since(start).Round(time.Millisecond), w.summary())
	// Every document is ready or failed now: nothing should wait in the spool.
	// (The start-up sweep removes what the kills left.)
	if garbage := spoolFiles(data); len(garbage) > 0 {
		t.Errorf("files left in the upload spool: %v", garbage)
	}
}

func TestBackupUnderLoad(t *testing.T) {
	seed := crashSeedValue(t)
	llm := fakeLLMFor(t)
	data := t.TempDir()
	w := newCrashWorld(t, seed, data)
	p := launch(t, data, llm.URL)
	w.setup(p.url)
	w.run(p.url, 800*time.Millisecond, nil) // something to back up

	type snapshot struct {
		file          string
		before, after *crashWorld
	}
	var snaps []snapshot
	w.run(p.url, 0, func() {
		for i := range 4 {
			time.Sleep(300 * time.Millisecond)
			s := snapshot{file: filepath.Join(t.TempDir(), fmt.Sprintf("snap-%d.db", i)), before: w.snapshot()}
			if i%2 == 0 {
				if _, stderr, code := docent(t, "", "backup", s.file, "--server", p.url, "--token", w.admin().token); code != 0 {
					t.Errorf("docent backup --server under load (backup %d): exit %d: %s", i, code, stderr)
					continue
				}
			} else if err := downloadBackup(p.url, w.admin().token, s.file); err != nil {
				t.Errorf("GET /api/v1/admin/backup under load (backup %d): %v", i, err)
				continue
			}
			s.after = w.snapshot()
			snaps = append(snaps, s)
		}
	})
	p.stop(t)
	if len(snaps) == 0 {
		t.Fatal("no backup succeeded")
	}
	for i, s := range snaps {
		fresh := t.TempDir()
		if _, stderr, code := docent(t, "", "restore", s.file, "--data", fresh); code != 0 {
			t.Errorf("restore %s: exit %d: %s", s.file, code, stderr)
			continue
		}
		r := launch(t, fresh, llm.URL)
		restored := s.before.restoredWith(s.after)
		restored.data = fresh
		restored.relogin(r.url) // the secret is not part of the store: tokens start over
		restored.verify(r.url, true)
		r.stop(t)
		t.Logf("snapshot %d: %s", i, restored.summary())
	}
}

// TestAdminCheckAfterDelete: deleting a document must leave the live
// index equal to a fresh rebuild, as GET /api/v1/admin/check sees it.
func TestAdminCheckAfterDelete(t *testing.T) {
	llm := fakeLLMFor(t)
	data := t.TempDir()
	w := newCrashWorld(t, 1, data)
	p := launch(t, data, llm.URL)
	w.setup(p.url)
	a, rng := w.actors[1], rand.New(rand.NewPCG(1, 2))
	var ids []uint64
	for i := range 3 {
		body, ctype := multipartFiles(map[string][]byte{fmt.Sprintf("guide-%d.md", i): genMarkdown(rng, keyword(rng), 3)})
		req, _ := http.NewRequest("POST", p.url+"/api/v1/documents?wait=true", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Authorization", "Bearer "+a.token)
		resp, err := crashHTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var docs []documentOut
		json.NewDecoder(resp.Body).Decode(&docs)
		resp.Body.Close()
		if resp.StatusCode != 201 || len(docs) != 1 || docs[0].Status != "ready" {
			t.Fatalf("upload: %d %+v", resp.StatusCode, docs)
		}
		ids = append(ids, docs[0].ID)
	}
	if code, raw, err := request(t.Context(), "DELETE", fmt.Sprintf("%s/api/v1/documents/%d", p.url, ids[1]), a.token, nil); err != nil || code != 204 {
		t.Fatalf("delete: %d %s %v", code, raw, err)
	}
	code, raw, err := request(t.Context(), "GET", p.url+"/api/v1/admin/check", w.admin().token, nil)
	var res struct{ OK bool }
	if err != nil || code != 200 || json.Unmarshal(raw, &res) != nil || !res.OK {
		t.Errorf("GET /api/v1/admin/check after deleting a document: %d %s %v", code, raw, err)
	}
}

// TestPartialAnswerBeforeNextQuestion: a client that stops a streamed
// answer and asks again at once must find the partial answer before its
// next question, not after it.
func TestPartialAnswerBeforeNextQuestion(t *testing.T) {
	llm := fakeLLMFor(t)
	data := t.TempDir()
	w := newCrashWorld(t, 1, data)
	p := launch(t, data, llm.URL)
	w.setup(p.url)
	a := w.actors[1]
	rng := rand.New(rand.NewPCG(1, 2))
	kw := keyword(rng)
	body, ctype := multipartFiles(map[string][]byte{"guide.md": genMarkdown(rng, kw, 3)})
	req, _ := http.NewRequest("POST", p.url+"/api/v1/documents?wait=true", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+a.token)
	if resp, err := crashHTTP.Do(req); err != nil || resp.StatusCode != 201 {
		t.Fatalf("upload: %v %v", resp, err)
	}
	var c struct{ ID uint64 }
	_, raw, _ := request(t.Context(), "POST", p.url+"/api/v1/conversations", a.token, map[string]string{"title": "stop and ask again"})
	json.Unmarshal(raw, &c)
	url := fmt.Sprintf("%s/api/v1/conversations/%d/messages", p.url, c.ID)
	for i := range 10 {
		ctx, cancel := context.WithCancel(t.Context())
		raw, _ := json.Marshal(map[string]any{"content": fmt.Sprintf("How does the %s of %s work?", words[i], kw), "stream": true})
		req, _ := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader(string(raw)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+a.token)
		resp, err := crashHTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		readSSE(resp.Body, func(event string, _ []byte) error {
			if event == "delta" {
				return io.EOF
			}
			return nil
		})
		cancel()
		resp.Body.Close()
		if code, raw, err := request(t.Context(), "POST", url, a.token, map[string]string{"content": "And the " + words[i+1] + "?"}); err != nil || code != 201 {
			t.Fatalf("ask again: %d %s %v", code, raw, err)
		}
	}
	var conv struct {
		Messages []messageOut `json:"messages"`
	}
	_, raw, _ = request(t.Context(), "GET", fmt.Sprintf("%s/api/v1/conversations/%d", p.url, c.ID), a.token, nil)
	json.Unmarshal(raw, &conv)
	w.judgeThread(c.ID, conv.Messages)
}

// TestAdminCheckAfterOutOfOrderCommits: the live index must equal a fresh
// rebuild whatever order documents finish indexing in. Two documents
// share an identical passage; the second (small) one is committed before
// the first (large) one.
func TestAdminCheckAfterOutOfOrderCommits(t *testing.T) {
	llm := fakeLLMFor(t)
	data := t.TempDir()
	w := newCrashWorld(t, 1, data)
	p := launch(t, data, llm.URL)
	w.setup(p.url)
	a, rng := w.actors[1], rand.New(rand.NewPCG(1, 2))
	shared := "The quorbex lantern keeps the harbour bright through the winter storms."
	for len(shared) < 800 {
		shared += " The quorbex lantern keeps the harbour bright."
	}
	big := []string{shared}
	for range 300 {
		p := ""
		for len(p) < 800 {
			p += " " + genParagraphs(rng, keyword(rng), 1)[0]
		}
		big = append(big, strings.TrimSpace(p))
	}
	for _, f := range []struct{ name, text string }{{"big.txt", strings.Join(big, "\n\n")}, {"small.txt", shared}} {
		body, ctype := multipartFiles(map[string][]byte{f.name: []byte(f.text + "\n")})
		req, _ := http.NewRequest("POST", p.url+"/api/v1/documents", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Authorization", "Bearer "+a.token)
		resp, err := crashHTTP.Do(req)
		if err != nil || resp.StatusCode != 202 {
			t.Fatalf("upload %s: %v %v", f.name, resp, err)
		}
		resp.Body.Close()
	}
	w.settle(t.Context(), p.url)
	code, raw, err := request(t.Context(), "GET", p.url+"/api/v1/admin/check", w.admin().token, nil)
	var res struct{ OK bool }
	if err != nil || code != 200 || json.Unmarshal(raw, &res) != nil || !res.OK {
		t.Errorf("GET /api/v1/admin/check after out-of-order commits: %d %s %v", code, raw, err)
	}
}

// fakeLLMFor starts a fake OpenAI-compatible server that streams
// fakeReply a few milliseconds per token, so kills land mid-answer.
func fakeLLMFor(t *testing.T) *llmtest.Server {
	llm := llmtest.NewOpenAI(t)
	llm.TokenDelay = 4 * time.Millisecond
	llm.Reply = func(r llmtest.Request) string {
		system := ""
		if len(r.Messages) > 0 {
			system = r.Messages[0].Content
		}
		return fakeReply(system, r.LastUser())
	}
	return llm
}

// proc is one "docent serve" process.
type proc struct {
	cmd    *exec.Cmd
	url    string
	logs   *logTail
	exited chan struct{}
}

// launch starts docent serve on data with the fake LLM, raised rate limits
// and two ingest workers, and waits until it is ready.
func launch(t *testing.T, data, llmURL string) *proc {
	t.Helper()
	cmd := exec.Command(binary, "serve", "--data", data, "--addr", "127.0.0.1:0", "--workers", "2",
		"--llm", "openai", "--llm-model", "fake", "--register-rate", "100000", "--login-rate", "100000", "--registration", "open",
		"--chat-rate", "1000000", "--chat-concurrency", "1000")
	cmd.Env = append(os.Environ(), "DOCENT_LOG_LEVEL=info", "OPENAI_BASE_URL="+llmURL)
	out, addr := listenWatcher()
	p := &proc{cmd: cmd, logs: &logTail{}, exited: make(chan struct{})}
	// Every process logs to its own file beside the data directory, for
	// the trail of a broken invariant (see logLines).
	os.MkdirAll(data+"-logs", 0o755)
	n, _ := os.ReadDir(data + "-logs")
	logFile, err := os.Create(filepath.Join(data+"-logs", fmt.Sprintf("serve-%04d.log", len(n))))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, io.MultiWriter(p.logs, logFile)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		cmd.Wait()
		out.Close()
		logFile.Close()
		close(p.exited)
	}()
	t.Cleanup(func() { p.kill() })
	select {
	case p.url = <-addr:
	case <-p.exited:
		t.Fatalf("docent serve on %s exited at start-up: %s\n%s", data, cmd.ProcessState, p.logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("docent serve on %s did not listen within 30s:\n%s", data, p.logs)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(p.url + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("docent serve on %s exited before it was ready: %s\n%s", data, cmd.ProcessState, p.logs)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("docent serve on %s not ready within 60s:\n%s", data, p.logs)
		}
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	p.cmd.Process.Kill()
	<-p.exited
	crashHTTP.CloseIdleConnections()
}

// stop asks for a graceful shutdown and requires a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if !p.cmd.ProcessState.Success() {
			t.Errorf("docent serve exited badly after SIGTERM: %s\n%s", p.cmd.ProcessState, p.logs)
		}
	case <-time.After(30 * time.Second):
		p.kill()
		t.Errorf("docent serve did not stop within 30s of SIGTERM")
	}
	crashHTTP.CloseIdleConnections()
}

// checkStopped runs "docent check --json" on a stopped data directory.
func checkStopped(t *testing.T, data string) {
	t.Helper()
	out, stderr, code := docent(t, "", "check", "--json", "--data", data)
	var res struct {
		OK bool `json:"ok"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || !res.OK {
		t.Errorf("docent check --json after a kill: exit %d, %s %s", code, out, stderr)
	}
}

// downloadBackup saves GET /api/v1/admin/backup to file, checking its length.
func downloadBackup(base, token, file string) error {
	req, _ := http.NewRequest("GET", base+"/api/v1/admin/backup", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := crashHTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != resp.ContentLength {
		err = fmt.Errorf("%d bytes of the %d announced", n, resp.ContentLength)
	}
	return err
}

// logLines returns the lines of every server log of data that contain
// one of the patterns, each prefixed with its file's name.
func logLines(data string, patterns ...string) string {
	files, _ := filepath.Glob(filepath.Join(data+"-logs", "serve-*.log"))
	var b strings.Builder
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		for _, line := range strings.Split(string(raw), "\n") {
			if slices.ContainsFunc(patterns, func(p string) bool { return strings.Contains(line, p) }) {
				fmt.Fprintf(&b, "\n\t%s: %s", filepath.Base(f), line)
			}
		}
	}
	return b.String()
}

// spoolFiles lists the files in the upload spool.
func spoolFiles(data string) []string {
	entries, _ := os.ReadDir(filepath.Join(data, "uploads"))
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// verify checks the invariants on a freshly started server. restored
// means base serves a restored backup: documents and conversations the
// world does not know may exist, and documents queued at backup time may
// have failed (their upload is not part of the store).
func (w *crashWorld) verify(base string, restored bool) {
	ctx := w.t.Context()
	listed := w.settle(ctx, base)
	w.checkLive(ctx, base, w.admin())

	w.mu.Lock()
	defer w.mu.Unlock()
	for name, d := range w.docs {
		g, ok := listed[name]
		switch d.state {
		case docUploading, docDeleting:
			if !ok {
				delete(w.docs, name)
				continue
			}
			d.note("found %s after the restart", g.Status)
			d.id, d.state, d.status, d.unacked = g.ID, docAcked, "queued", true
			w.ops["seen: unacknowledged upload kept"]++
		case docDeleted:
			if ok {
				w.t.Errorf("after %d kills: deleted document %s (%d) is back: %+v%s", w.kills, name, d.id, g, w.trail(d))
			}
			delete(w.docs, name)
			continue
		}
		if !ok {
			w.t.Errorf("after %d kills: acknowledged document %s (%d, %s) is gone%s", w.kills, name, d.id, d.status, w.trail(d))
			delete(w.docs, name)
			continue
		}
		if g.ID != d.id {
			w.t.Errorf("after %d kills: document %s has id %d, acknowledged as %d", w.kills, name, g.ID, d.id)
		}
		want := d.status
		if want == "queued" || want == "processing" {
			w.ops["seen: document resumed"]++
			want = map[bool]string{true: "failed", false: "ready"}[d.broken]
			// The upload of a document queued at backup time is not in the
			// backup; one the server never acknowledged may have been
			// recorded before its file was kept.
			if (restored || d.unacked) && g.Status == "failed" && g.Error != "" {
				want = "failed"
			}
		}
		if g.Status != want {
			w.t.Errorf("after %d kills: document %s (%d) acknowledged %s is %s, want %s (error %q)%s", w.kills, name, d.id, d.status, g.Status, want, g.Error, w.trail(d))
		}
		if g.Status != d.status {
			d.note("%s after the restart", g.Status)
		}
		d.status = g.Status
	}
	for name, g := range listed {
		if w.docs[name] == nil {
			if !restored {
				w.t.Errorf("after %d kills: unknown document %+v", w.kills, g)
				continue
			}
			w.docs[name] = &trackedDoc{name: name, id: g.ID, state: docAcked, status: g.Status, owner: w.ownerOf(name), shared: g.Shared}
		}
		if g.Status == "failed" && g.Error == "" || g.Status == "ready" && g.Chunks == 0 {
			w.t.Errorf("after %d kills: document %+v", w.kills, g)
		}
	}
	w.searchSample(ctx, base)
	for _, a := range w.actors {
		w.verifyConversations(ctx, base, a, restored)
	}
}

// trail is what the test and the server logs say about d.
func (w *crashWorld) trail(d *trackedDoc) string {
	return "\n\ttest: " + strings.Join(d.history, "; ") +
		logLines(w.data, fmt.Sprintf("document_id=%d ", d.id), fmt.Sprintf("/documents/%d ", d.id), d.name)
}

// ownerOf finds the actor whose name starts a file name.
func (w *crashWorld) ownerOf(name string) *actor {
	for _, a := range w.actors {
		if strings.HasPrefix(name, a.name+"-") {
			return a
		}
	}
	return w.admin()
}

// settle waits until no document is queued or processing and returns the
// documents every actor sees, by file name.
func (w *crashWorld) settle(ctx context.Context, base string) map[string]documentOut {
	deadline := time.Now().Add(60 * time.Second)
	for {
		listed := map[string]documentOut{}
		busy := []string{}
		for _, a := range w.actors {
			code, raw, err := request(ctx, "GET", base+"/api/v1/documents?limit=1000", a.token, nil)
			var docs []documentOut
			if err != nil || code != 200 || json.Unmarshal(raw, &docs) != nil {
				w.t.Fatalf("list documents of %s: %d %s %v", a.name, code, raw, err)
			}
			for _, d := range docs {
				listed[d.Filename] = d
				if d.Status == "queued" || d.Status == "processing" {
					busy = append(busy, fmt.Sprintf("%s (%d, %s)", d.Filename, d.ID, d.Status))
				}
			}
		}
		if len(busy) == 0 {
			return listed
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("after %d kills: documents never finished after the restart: %v", w.kills, busy)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// searchSample finds a few ready documents by their unique word.
func (w *crashWorld) searchSample(ctx context.Context, base string) {
	n := 0
	for _, d := range w.docs {
		if d.status != "ready" || d.keyword == "" || n == 4 {
			continue
		}
		n++
		code, raw, err := request(ctx, "POST", base+"/api/v1/search", d.owner.token, map[string]any{"query": d.keyword, "mode": "keyword"})
		if err != nil || code != 200 || !foundIn(raw, d.id) {
			w.t.Errorf("after %d kills: search %q misses the ready document %s (%d): %d %s %v", w.kills, d.keyword, d.name, d.id, code, raw, err)
		}
	}
}

// verifyConversations checks a's conversations: acknowledged ones exist
// with every acknowledged message, in order, and every stored answer is
// either complete or marked partial.
func (w *crashWorld) verifyConversations(ctx context.Context, base string, a *actor, restored bool) {
	code, raw, err := request(ctx, "GET", base+"/api/v1/conversations?limit=1000", a.token, nil)
	var list []struct {
		ID    uint64 `json:"id"`
		Title string `json:"title"`
	}
	if err != nil || code != 200 || json.Unmarshal(raw, &list) != nil {
		w.t.Fatalf("list conversations of %s: %d %s %v", a.name, code, raw, err)
	}
	listed := map[uint64]bool{}
	for _, l := range list {
		listed[l.ID] = true
		if c := w.convs[l.ID]; c != nil {
			if c.owner != a {
				w.t.Errorf("after %d kills: %s sees conversation %d of %s", w.kills, a.name, l.ID, c.owner.name)
			}
			continue
		}
		if w.pending[l.Title] == a || restored {
			delete(w.pending, l.Title)
			w.convs[l.ID] = &trackedConv{id: l.ID, owner: a, title: l.Title}
			continue
		}
		w.t.Errorf("after %d kills: %s has an unknown conversation %d %q", w.kills, a.name, l.ID, l.Title)
	}
	for title, owner := range w.pending {
		if owner == a {
			delete(w.pending, title) // never created
		}
	}
	for id, c := range w.convs {
		if c.owner != a {
			continue
		}
		switch {
		case c.state == convDeleted && listed[id]:
			w.t.Errorf("after %d kills: deleted conversation %d is back", w.kills, id)
		case c.state == convLive && !listed[id]:
			w.t.Errorf("after %d kills: acknowledged conversation %d (%d messages) is gone", w.kills, id, len(c.acked))
		}
		if !listed[id] {
			delete(w.convs, id)
			continue
		}
		c.state = convLive
		var conv struct {
			Messages []messageOut `json:"messages"`
		}
		code, raw, err := request(ctx, "GET", fmt.Sprintf("%s/api/v1/conversations/%d", base, id), a.token, nil)
		if err != nil || code != 200 || json.Unmarshal(raw, &conv) != nil {
			w.t.Errorf("after %d kills: read conversation %d: %d %s %v", w.kills, id, code, raw, err)
			continue
		}
		lost, disorder := missingMessages(c.acked, conv.Messages)
		for _, m := range lost {
			w.t.Errorf("after %d kills: conversation %d lost the acknowledged %s message %d %q", w.kills, id, m.Role, m.ID, m.Content)
		}
		if disorder != "" {
			w.t.Errorf("after %d kills: conversation %d: %s", w.kills, id, disorder)
		}
		c.acked = c.acked[:0]
		for _, m := range conv.Messages {
			c.acked = append(c.acked, ackedMessage{m.ID, m.Role, m.Content})
		}
		w.judgeThread(id, conv.Messages)
	}
}

// judgeThread checks that every answer in msgs is the complete answer to
// an earlier question, or a start of one marked partial, and that no other
// question comes between an answer and its question.
func (w *crashWorld) judgeThread(conv uint64, msgs []messageOut) {
	var open []int // questions not answered yet
	for i, m := range msgs {
		if m.Role == "user" {
			open = append(open, i)
			continue
		}
		if m.Partial {
			w.ops["seen: partial answer"]++
		}
		match := -1
		for j := len(open) - 1; j >= 0 && match < 0; j-- {
			full, none := fakeAnswer(msgs[open[j]].Content), chat.NotFoundAnswer(msgs[open[j]].Content)
			if m.Partial && (strings.HasPrefix(full, m.Content) || strings.HasPrefix(w.notFound, m.Content) || strings.HasPrefix(none, m.Content)) ||
				!m.Partial && (m.Content == full || m.Content == w.notFound || m.Content == none) {
				match = j
			}
		}
		if match < 0 {
			w.t.Errorf("after %d kills: conversation %d: answer %d (partial %v) is neither an answer to an earlier question nor the start of one: %s\n\tcontent: %q",
				w.kills, conv, m.ID, m.Partial, around(msgs, i), m.Content)
			continue
		}
		if j := open[match]; slices.ContainsFunc(msgs[j+1:i], func(m messageOut) bool { return m.Role == "user" }) {
			w.t.Errorf("after %d kills: conversation %d: answer %d (partial %v) comes after a later question: %s", w.kills, conv, m.ID, m.Partial, around(msgs, i))
		}
		open = slices.Delete(open, match, match+1)
	}
}

// around describes the messages next to msgs[i].
func around(msgs []messageOut, i int) string {
	var b strings.Builder
	for j := max(0, i-4); j < min(len(msgs), i+2); j++ {
		m := msgs[j]
		fmt.Fprintf(&b, "\n\t%d %s partial=%v %.50q", m.ID, m.Role, m.Partial, m.Content)
	}
	return b.String()
}
