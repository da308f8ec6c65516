package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"docent/internal/pgtest"
)

// BenchmarkReplicas measures docent past one machine: three `docent serve`
// replicas of one PostgreSQL database on this machine.
//
//   - docent loadtest, 50 users for 60 s, sent to the three in turn:
//     5xx answers, lost messages and documents, the time until an upload
//     answered by one replica is found by a search on all three
//     (propagation), and search p50 against one bbolt server under the
//     same load;
//   - kill -9 of a replica while 40 uploads are being indexed: the time
//     until every document is ready through the others, each once;
//   - PostgreSQL stopped for 20 s: how soon the replicas report not
//     ready, and how soon after it starts again they are ready.
//
// Run: go test ./cmd/docent -run '^$' -bench Replicas -benchtime 1x -timeout 30m
// (it takes about five minutes; the figures are in README, Scale).
func BenchmarkReplicas(b *testing.B) {
	for range b.N {
		cluster := pgtest.Cluster(b)
		url := pgtest.URL(b)
		// Limits raised: the simulated users all come from 127.0.0.1, and
		// each asks more than a person would.
		limits := []string{"--register-rate", "10000", "--login-rate", "10000", "--chat-rate", "100000", "--chat-concurrency", "1000"}
		flags := append([]string{"--store", url}, limits...)
		var replicas []*server
		for range 3 {
			replicas = append(replicas, startServer(b, b.TempDir(), flags...))
		}
		admin := registerAdmin(b, replicas[0].URL)

		single := startServer(b, b.TempDir(), limits...)
		base := runLoadtest(b, []*server{single}, registerAdmin(b, single.URL))
		single.stop(b)
		rep := runLoadtest(b, replicas, admin)
		searchP50 := func(r loadReportJSON) float64 { return r.route("POST /api/v1/search").P50ms }
		prop := rep.route(propagationRoute)
		b.ReportMetric(float64(rep.Status5xx), "5xx")
		b.ReportMetric(float64(rep.LostMessages+rep.LostDocuments), "lost")
		b.ReportMetric(prop.P50ms, "propagation-p50-ms")
		b.ReportMetric(prop.P99ms, "propagation-p99-ms")
		b.ReportMetric(searchP50(rep), "search-p50-ms")
		b.ReportMetric(searchP50(base), "single-node-search-p50-ms")
		b.Logf("3 replicas: %d requests, %d 5xx, %d errors, lost %d messages %d documents, check ok %v; propagation p50 %.1f ms p99 %.1f ms max %.1f ms over %d uploads; search p50 %.1f ms p99 %.1f ms (one bbolt server: p50 %.1f ms p99 %.1f ms)",
			rep.Requests, rep.Status5xx, rep.Errors, rep.LostMessages, rep.LostDocuments, rep.CheckOK != nil && *rep.CheckOK,
			prop.P50ms, prop.P99ms, prop.MaxMs, prop.Count, searchP50(rep), rep.route("POST /api/v1/search").P99ms,
			searchP50(base), base.route("POST /api/v1/search").P99ms)

		took, docs, held := killDuringIngest(b, replicas, admin, url)
		b.ReportMetric(took.Seconds(), "kill-9-recovery-s")
		b.Logf("kill -9 of a replica holding %d ingest jobs: all %d documents (its uploads answered and its jobs) ready through the others %.1f s after the kill", held, docs, took.Seconds())

		down, up := stopDatabase(b, cluster, replicas[1:], admin)
		b.ReportMetric(down.Seconds(), "not-ready-after-s")
		b.ReportMetric(up.Seconds(), "ready-again-after-s")
		b.Logf("PostgreSQL stopped for 20 s: replicas not ready %.1f s after the stop, ready again %.1f s after the start", down.Seconds(), up.Seconds())
	}
}

// registerAdmin registers the first user of the server at url (an admin)
// and returns their token.
func registerAdmin(b *testing.B, url string) string {
	body := map[string]string{"username": "admin", "email": "admin@example.com", "password": "password-admin"}
	if st := call(b, "POST", url+"/api/v1/auth/register", "", body, nil); st != http.StatusCreated {
		b.Fatalf("register the admin: %d", st)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	call(b, "POST", url+"/api/v1/auth/token", "", map[string]string{"username": "admin", "password": "password-admin"}, &tok)
	return tok.AccessToken
}

// loadReportJSON is what docent loadtest --json prints, as far as read here.
type loadReportJSON struct {
	Requests      int           `json:"requests"`
	Status5xx     int           `json:"status_5xx"`
	Errors        int           `json:"errors"`
	LostMessages  int           `json:"messages_lost"`
	LostDocuments int           `json:"documents_lost"`
	CheckOK       *bool         `json:"check_ok"`
	Routes        []routeReport `json:"routes"`
	Failures      []string      `json:"failures"`
}

func (r loadReportJSON) route(name string) routeReport {
	for _, rt := range r.Routes {
		if rt.Route == name {
			return rt
		}
	}
	return routeReport{}
}

// runLoadtest runs docent loadtest (50 users, 60 s) against servers in turn.
func runLoadtest(b *testing.B, servers []*server, token string) loadReportJSON {
	var urls []string
	for _, s := range servers {
		urls = append(urls, s.URL)
	}
	cmd := exec.Command(binary, "loadtest", "--server", strings.Join(urls, ","), "--token", token,
		"--users", "50", "--duration", "60s", "--json", "--seed", "16")
	out, err := cmd.Output()
	var rep loadReportJSON
	if jerr := json.Unmarshal(out, &rep); jerr != nil {
		b.Fatalf("loadtest: %v %v: %s", err, jerr, out)
	}
	if len(rep.Failures) > 0 {
		b.Errorf("loadtest against %v: %v", urls, rep.Failures)
	}
	return rep
}

// upload posts one text file to the server at url, returning its id (0
// when the server did not acknowledge it).
func upload(url, token, name, text string) uint64 {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	w, _ := mw.CreateFormFile("file", name)
	w.Write([]byte(text))
	mw.Close()
	req, _ := http.NewRequest("POST", url+"/api/v1/documents?shared=true", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var docs []struct {
		ID uint64 `json:"id"`
	}
	if resp.StatusCode != http.StatusAccepted || json.NewDecoder(resp.Body).Decode(&docs) != nil || len(docs) != 1 {
		return 0
	}
	return docs[0].ID
}

// killDuringIngest uploads 40 documents to the first replica, kills it
// (SIGKILL) as soon as it holds ingest jobs, and waits until the others
// report every acknowledged document and every document of the jobs it
// held ready, each once in the store and in their indexes. It returns the
// time from the kill until then, how many documents that was and how
// many jobs the killed replica held.
func killDuringIngest(b *testing.B, replicas []*server, token, url string) (time.Duration, int, int) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	victim := replicas[0]
	var mu sync.Mutex
	var ids []uint64
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < 40; i += 8 {
				var text strings.Builder
				for p := range 400 {
					fmt.Fprintf(&text, "Section %d of report %d. The turbine %d of plant %d delivered %d megawatt hours in week %d, after the inspection of valve %d.\n\n", p, i, p, i, 1000+p*i, p%52, p*7+i)
				}
				if id := upload(victim.URL, token, fmt.Sprintf("report-%02d.txt", i), text.String()); id != 0 {
					mu.Lock()
					ids = append(ids, id)
					mu.Unlock()
				}
			}
		})
	}
	held := 0
	pattern := fmt.Sprintf("%%/%d/%%", victim.cmd.Process.Pid)
	for deadline := time.Now().Add(time.Minute); held == 0; {
		if time.Now().After(deadline) {
			b.Fatal("the replica never held an ingest job")
		}
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM jobs WHERE worker LIKE $1 AND lease_until > now()`, pattern).Scan(&held); err != nil {
			b.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The jobs it holds, whether or not their uploads were answered
	// before the kill: those must finish on the others.
	rows, err := conn.Query(ctx, `SELECT document_id FROM jobs WHERE worker LIKE $1`, pattern)
	if err != nil {
		b.Fatal(err)
	}
	heldIDs, err := pgx.CollectRows(rows, pgx.RowTo[uint64])
	if err != nil {
		b.Fatal(err)
	}
	victim.cmd.Process.Kill()
	victim.cmd.Wait()
	killed := time.Now()
	wg.Wait()
	pending := map[uint64]bool{}
	for _, id := range append(ids, heldIDs...) {
		pending[id] = true
	}
	docs := len(pending)
	for len(pending) > 0 {
		if time.Since(killed) > 2*time.Minute {
			b.Fatalf("%d documents still not ready 2 minutes after the kill", len(pending))
		}
		for id := range pending {
			var d struct{ Status, Error string }
			call(b, "GET", fmt.Sprintf("%s/api/v1/documents/%d", replicas[1].URL, id), token, nil, &d)
			switch d.Status {
			case "ready":
				delete(pending, id)
			case "failed":
				b.Fatalf("document %d failed: %s", id, d.Error)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(killed)
	for _, s := range replicas[1:] {
		var rep struct {
			OK bool `json:"ok"`
		}
		call(b, "GET", s.URL+"/api/v1/admin/check", token, nil, &rep)
		if !rep.OK {
			b.Errorf("after the kill, %s's index or the store is not consistent", s.URL)
		}
	}
	return took, docs, held
}

// stopDatabase stops PostgreSQL for 20 s and returns how soon the
// replicas said not ready and how soon after the restart both were ready.
func stopDatabase(b *testing.B, cluster interface {
	Pause() error
	Resume(context.Context) error
}, replicas []*server, token string) (down, up time.Duration) {
	status := func(s *server) int {
		resp, err := http.Get(s.URL + "/ready")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	var before, after []any
	call(b, "GET", replicas[0].URL+"/api/v1/documents?limit=1000", token, nil, &before)
	if err := cluster.Pause(); err != nil {
		b.Fatal(err)
	}
	stopped := time.Now()
	var wg sync.WaitGroup
	downs := make([]time.Duration, len(replicas))
	for i, s := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for status(s) == http.StatusOK && time.Since(stopped) < 20*time.Second {
				time.Sleep(50 * time.Millisecond)
			}
			downs[i] = time.Since(stopped)
		}()
	}
	wg.Wait()
	for _, d := range downs {
		down = max(down, d)
	}
	time.Sleep(time.Until(stopped.Add(20 * time.Second)))
	if err := cluster.Resume(context.Background()); err != nil {
		b.Fatal(err)
	}
	started := time.Now()
	for _, s := range replicas {
		for status(s) != http.StatusOK {
			if time.Since(started) > 2*time.Minute {
				b.Fatalf("%s not ready 2 minutes after PostgreSQL started again", s.URL)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	up = time.Since(started)
	call(b, "GET", replicas[0].URL+"/api/v1/documents?limit=1000", token, nil, &after)
	if len(after) != len(before) {
		b.Errorf("the admin sees %d documents after the outage, %d before", len(after), len(before))
	}
	var rep struct {
		OK bool `json:"ok"`
	}
	call(b, "GET", replicas[1].URL+"/api/v1/admin/check", token, nil, &rep)
	if !rep.OK {
		b.Errorf("after PostgreSQL's restart the index or the store is not consistent")
	}
	return down, up
}
