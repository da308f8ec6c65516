package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"docent/ingest"
	"docent/retrieval"
	"docent/store"
)

// The watch convergence test: docent serve --watch DIR over a folder of
// files while a random mix of creates, edits, deletes and renames runs on
// it; after the last change the index must equal the folder (checked
// through the API every 100 ms, 10 s at most) and, once the server is
// stopped, a fresh ingest of the folder into a new store: nothing
// duplicated, nothing lost. The kill variant kills the server with SIGKILL
// half way and restarts it. CI runs 200 files and 60 changes; the goal's
// size (1,000 files, 300 changes) runs with DOCENT_WATCH_BENCH=1:
//
//	DOCENT_WATCH_BENCH=1 go test ./cmd/docent -run TestWatchConverges -v

func TestWatchConverges(t *testing.T) {
	files, changes := 200, 60
	if os.Getenv("DOCENT_WATCH_BENCH") != "" {
		files, changes = 1000, 300
	}
	for _, kill := range []bool{false, true} {
		name := "steady"
		if kill {
			name = "kill -9 and restart"
		}
		t.Run(name, func(t *testing.T) {
			c := &churn{t: t, dir: t.TempDir(), rng: rand.New(rand.NewPCG(uint64(files), uint64(changes)))}
			for range files {
				c.create()
			}
			data := t.TempDir()
			srv := startServer(t, data, "--watch", c.dir)
			token := adminToken(t, srv.URL)
			start := time.Now()
			c.converged(srv.URL, token, 2*time.Minute)
			t.Logf("%d files indexed in %v", files, time.Since(start).Round(time.Millisecond))
			for i := range changes {
				if kill && i == changes/2 {
					srv.cmd.Process.Kill()
					srv.cmd.Wait()
					srv = startServer(t, data, "--watch", c.dir)
				}
				c.change()
				time.Sleep(time.Duration(c.rng.IntN(20)) * time.Millisecond)
			}
			took := c.converged(srv.URL, token, 10*time.Second)
			t.Logf("%d changes (%s): the index equals the folder %v after the last one", changes, c.summary(), took.Round(time.Millisecond))
			srv.stop(t)
			compareWithFreshIngest(t, data, c.dir)
		})
	}
}

// churn changes a folder at random and knows what it holds.
type churn struct {
	t     *testing.T
	dir   string
	rng   *rand.Rand
	files []string // relative paths
	n     int
	ops   map[string]int
}

func (c *churn) write(rel string) {
	c.n++
	text := fmt.Sprintf("Document %d, version %d. The depot in sector %d ships %d crates of item %d every week.\n",
		c.n, c.rng.IntN(1000), c.rng.IntN(50), c.rng.IntN(500), c.n)
	p := filepath.Join(c.dir, rel)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		c.t.Fatal(err)
	}
}

func (c *churn) create() {
	rel := fmt.Sprintf("d%d/file%05d.txt", c.rng.IntN(10), c.n)
	c.write(rel)
	c.files = append(c.files, rel)
}

// change makes one random create, edit, delete or rename.
func (c *churn) change() {
	if c.ops == nil {
		c.ops = map[string]int{}
	}
	i := c.rng.IntN(len(c.files))
	switch op := []string{"create", "edit", "delete", "rename"}[c.rng.IntN(4)]; op {
	case "create":
		c.ops[op]++
		c.create()
	case "edit":
		c.ops[op]++
		c.write(c.files[i])
	case "delete":
		c.ops[op]++
		os.Remove(filepath.Join(c.dir, c.files[i]))
		c.files = slices.Delete(c.files, i, i+1)
	case "rename":
		c.ops[op]++
		to := fmt.Sprintf("d%d/renamed%05d.txt", c.rng.IntN(10), c.n)
		c.n++
		os.MkdirAll(filepath.Join(c.dir, filepath.Dir(to)), 0o755)
		if err := os.Rename(filepath.Join(c.dir, c.files[i]), filepath.Join(c.dir, to)); err != nil {
			c.t.Fatal(err)
		}
		c.files[i] = to
	}
}

func (c *churn) summary() string {
	var parts []string
	for _, op := range []string{"create", "edit", "delete", "rename"} {
		parts = append(parts, fmt.Sprintf("%d %ss", c.ops[op], op))
	}
	return strings.Join(parts, ", ")
}

// want is the folder as path → SHA-256.
func (c *churn) want() map[string]string {
	out := map[string]string{}
	for _, rel := range c.files {
		b, err := os.ReadFile(filepath.Join(c.dir, rel))
		if err != nil {
			c.t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		out[filepath.Join(c.dir, rel)] = hex.EncodeToString(sum[:])
	}
	return out
}

// converged polls the server's documents until they equal the folder and
// returns how long that took.
func (c *churn) converged(base, token string, limit time.Duration) time.Duration {
	c.t.Helper()
	want := c.want()
	start := time.Now()
	var got map[string]string
	for time.Since(start) < limit {
		got = listReady(c.t, base, token)
		if maps.Equal(got, want) {
			return time.Since(start)
		}
		time.Sleep(100 * time.Millisecond)
	}
	missing, extra := 0, 0
	for p, s := range want {
		if got[p] != s {
			missing++
		}
	}
	for p, s := range got {
		if want[p] != s {
			extra++
		}
	}
	c.t.Fatalf("after %v the index still differs from the folder: %d files missing or stale, %d documents extra or stale", limit, missing, extra)
	return 0
}

// listReady returns the ready documents the admin sees, path → SHA-256.
func listReady(t *testing.T, base, token string) map[string]string {
	out := map[string]string{}
	for skip := 0; ; skip += 1000 {
		code, body, err := request(context.Background(), "GET", fmt.Sprintf("%s/api/v1/documents?limit=1000&skip=%d", base, skip), token, nil)
		if err != nil || code != 200 {
			t.Fatalf("list documents: %d %v %s", code, err, body)
		}
		var docs []struct {
			Path, SHA256, Status string
		}
		if err := json.Unmarshal(body, &docs); err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			if d.Status == "ready" {
				out[d.Path] = d.SHA256
			}
		}
		if len(docs) < 1000 {
			return out
		}
	}
}

// adminToken registers the first user (the admin) and logs in.
func adminToken(t *testing.T, base string) string {
	t.Helper()
	ctx := context.Background()
	if code, body, err := request(ctx, "POST", base+"/api/v1/auth/register", "",
		map[string]string{"username": "admin", "email": "admin@example.com", "password": "a-long-password"}); err != nil || code != 201 {
		t.Fatalf("register: %d %v %s", code, err, body)
	}
	code, body, err := request(ctx, "POST", base+"/api/v1/auth/token", "", map[string]string{"username": "admin", "password": "a-long-password"})
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err != nil || code != 200 || json.Unmarshal(body, &tok) != nil {
		t.Fatalf("login: %d %v %s", code, err, body)
	}
	return tok.AccessToken
}

// compareWithFreshIngest checks the stopped data directory's documents
// against a fresh ingest of dir into a new store: the same paths with the
// same content, every one ready, none twice.
func compareWithFreshIngest(t *testing.T, data, dir string) {
	t.Helper()
	snap := func(db *store.DB) map[string]string {
		docs, err := db.OwnedDocuments(context.Background(), store.Shared)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, d := range docs {
			if _, dup := out[d.Path]; dup {
				t.Errorf("%s is indexed twice", d.Path)
			}
			out[d.Path] = d.SHA256 + " " + string(d.Status) + fmt.Sprintf(" %d chunks", d.Chunks)
		}
		return out
	}
	ctx := context.Background()
	db, err := store.Open(ctx, data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := snap(db)
	db.Close()

	fresh, err := store.Open(ctx, t.TempDir(), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	lib := retrieval.NewLibrary(fresh, retrieval.NewBuiltin(0), retrieval.LibraryOptions{})
	pipe, err := ingest.NewPipeline(fresh, lib, filepath.Join(fresh.Dir(), "uploads"), ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pipe.IngestFolder(ctx, os.DirFS(dir), ingest.FolderOptions{Owner: store.Shared, Root: dir}); err != nil {
		t.Fatal(err)
	}
	if want := snap(fresh); !maps.Equal(got, want) {
		t.Errorf("the watched index differs from a fresh ingest: %d documents, want %d", len(got), len(want))
		for p, s := range want {
			if got[p] != s {
				t.Errorf("  %s: %q, want %q", p, got[p], s)
			}
		}
		for p := range got {
			if _, ok := want[p]; !ok {
				t.Errorf("  %s: extra", p)
			}
		}
	}
}
