package ingest

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"docent/retrieval"
	"docent/store"
)

// snapshot is the documents of the shared library by path: their SHA-256,
// for comparison with what a folder holds.
func snapshot(t *testing.T, db *store.DB) map[string]string {
	t.Helper()
	docs, err := db.OwnedDocuments(context.Background(), store.Shared)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	ready := map[string]bool{}
	for _, d := range docs {
		if _, dup := out[d.Path]; dup {
			// A new version waits beside the old one until it commits and
			// replaces it; two ready ones would be a duplicate.
			if ready[d.Path] && d.Status == store.StatusReady {
				t.Errorf("two ready documents for %s", d.Path)
			}
			out[d.Path] = "being replaced"
			continue
		}
		ready[d.Path] = d.Status == store.StatusReady
		out[d.Path] = d.SHA256 + " " + string(d.Status)
	}
	return out
}

// freshIngest is what a new store gets from ingesting dir once.
func freshIngest(t *testing.T, dir string) map[string]string {
	t.Helper()
	p, db, _ := testPipeline(t)
	if _, err := p.IngestFolder(context.Background(), os.DirFS(dir), FolderOptions{Owner: store.Shared, Root: dir}); err != nil {
		t.Fatal(err)
	}
	return snapshot(t, db)
}

// settle bounds how long a test waits for the index to follow the folder:
// far above the second or two it takes, so that a loaded machine does not
// fail the test (the latency is measured, not asserted: the tests log it).
const settle = 20 * time.Second

// eventually waits up to limit for the store to equal a fresh ingest of
// dir and reports how long it took.
func eventually(t *testing.T, db *store.DB, dir string, limit time.Duration, what string) time.Duration {
	t.Helper()
	want := freshIngest(t, dir)
	start := time.Now()
	for {
		got := snapshot(t, db)
		if maps.Equal(got, want) {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("%s: after %v the index is\n%v\nwant (a fresh ingest)\n%v", what, limit, sorted(got), sorted(want))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func sorted(m map[string]string) string {
	var lines []string
	for k, v := range m {
		lines = append(lines, k+" "+v)
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func write(t *testing.T, dir, rel, text string) {
	t.Helper()
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runWatch starts a watch of dir and stops it when the test ends (or
// when stop is called).
func runWatch(t *testing.T, p *Pipeline, dir string, polling bool) (w *Watch, stop func()) {
	w = p.NewWatch(WatchOptions{Owner: store.Shared, Dir: dir, Debounce: 300 * time.Millisecond, Poll: 200 * time.Millisecond, Polling: polling})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	return w, stop
}

func TestWatchKeepsTheIndexEqualToTheFolder(t *testing.T) {
	for _, mode := range []string{"inotify", "polling"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "a.md", "# A\n\nApples are red.\n")
			write(t, dir, "sub/b.txt", "Bananas are yellow.")
			p, db, lib := testPipeline(t)
			w, _ := runWatch(t, p, dir, mode == "polling")
			eventually(t, db, dir, settle, "start")
			if got := w.Status().Mode; got != mode {
				t.Errorf("mode %q", got)
			}

			write(t, dir, "sub/deeper/c.txt", "Cherries are dark.")
			t.Logf("create in a new folder: in the index after %v", eventually(t, db, dir, settle, "create in a new folder"))
			write(t, dir, "a.md", "# A\n\nApricots are orange.\n")
			t.Logf("modify: %v", eventually(t, db, dir, settle, "modify"))
			hits, _ := lib.Search(context.Background(), store.Viewer{UserID: 1}, retrieval.SearchRequest{Text: "apricots orange", TopK: 3})
			if len(hits) == 0 {
				t.Error("the changed text is not searchable")
			}
			if err := os.Rename(filepath.Join(dir, "sub/b.txt"), filepath.Join(dir, "sub/renamed.txt")); err != nil {
				t.Fatal(err)
			}
			t.Logf("rename: %v", eventually(t, db, dir, settle, "rename"))
			if err := os.Remove(filepath.Join(dir, "sub/deeper/c.txt")); err != nil {
				t.Fatal(err)
			}
			t.Logf("delete: %v", eventually(t, db, dir, settle, "delete"))
			write(t, dir, "drafts/x.txt", "A draft nobody should see.")
			write(t, dir, IgnoreFile, "drafts/\n*.log\n")
			write(t, dir, "debug.log", "noise")
			eventually(t, db, dir, settle, "ignore")
			if _, ok := snapshot(t, db)[filepath.Join(dir, "drafts/x.txt")]; ok {
				t.Error("an ignored file was indexed")
			}
			st := w.Status()
			if st.Files != 2 || st.Pending != 0 || st.Passes == 0 || st.LastSync.IsZero() {
				t.Errorf("status %+v", st)
			}
		})
	}
}

// A file still being written is not indexed until it has been quiet for
// the debounce time: no document ever holds a half-written version.
func TestWatchWaitsForHalfWrittenFiles(t *testing.T) {
	dir := t.TempDir()
	p, db, _ := testPipeline(t)
	runWatch(t, p, dir, false)
	path := filepath.Join(dir, "growing.txt")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 15 {
		fmt.Fprintf(f, "Line %d of a file that is still being copied.\n", i)
		time.Sleep(60 * time.Millisecond)
		if docs := snapshot(t, db); len(docs) > 0 {
			t.Fatalf("indexed while being written (after %d lines): %v", i+1, docs)
		}
	}
	f.Close()
	eventually(t, db, dir, settle, "after the copy")
}

// Changes made while the server is down are reconciled when it starts.
func TestWatchReconcilesAtStart(t *testing.T) {
	dir := t.TempDir()
	for i := range 5 {
		write(t, dir, fmt.Sprintf("f%d.txt", i), fmt.Sprintf("File number %d talks about topic %d.", i, i))
	}
	p, db, _ := testPipeline(t)
	_, stop := runWatch(t, p, dir, false)
	eventually(t, db, dir, settle, "first run")
	stop()
	os.Remove(filepath.Join(dir, "f0.txt"))
	write(t, dir, "f1.txt", "File number 1 was rewritten while docent was down.")
	os.Rename(filepath.Join(dir, "f2.txt"), filepath.Join(dir, "moved.txt"))
	write(t, dir, "new.txt", "A file added while docent was down.")
	runWatch(t, p, dir, false)
	eventually(t, db, dir, settle, "after the restart")
}

func TestIgnorePatterns(t *testing.T) {
	ig := ParseIgnore("# comment\n*.log\n!keep.log\n/build/\ndocs/**/draft?.md\nsecret*\n\\#literal\n[ab].tmp\n")
	tests := []struct {
		path string
		dir  bool
		want bool
	}{
		{"x.log", false, true},
		{"a/b/x.log", false, true},
		{"keep.log", false, false},
		{"build", true, true},
		{"build/out.txt", false, true},
		{"src/build", true, false}, // anchored
		{"build", false, false},    // directories only
		{"docs/draft1.md", false, true},
		{"docs/a/b/draft2.md", false, true},
		{"docs/draft10.md", false, false},
		{"secret.txt", false, true},
		{"secretdir/inside.txt", false, true},
		{"#literal", false, true},
		{"a.tmp", false, true},
		{"c.tmp", false, false},
		{"notes.md", false, false},
	}
	for _, tc := range tests {
		if got := ig.Match(tc.path, tc.dir); got != tc.want {
			t.Errorf("Match(%q, dir=%v) = %v, want %v", tc.path, tc.dir, got, tc.want)
		}
	}
	if (*Ignore)(nil).Match("x", false) {
		t.Error("a nil Ignore matched")
	}
}

func FuzzIgnore(f *testing.F) {
	f.Add("*.log\n!keep.log\n/build/\ndocs/**/draft?.md\n", "docs/a/draft1.md")
	f.Fuzz(func(t *testing.T, patterns, path string) {
		ig := ParseIgnore(patterns)
		done := make(chan bool, 1)
		go func() { done <- ig.Match(path, false) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("Match did not finish")
		}
	})
}
