package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"docent/internal/testpdf"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// golden compares got with testdata/<name>, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		os.WriteFile(path, []byte(got), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// writeTree creates files (path → content) under a new temporary folder.
func writeTree(t *testing.T, files map[string][]byte) string {
	t.Helper()
	root := t.TempDir()
	for p, data := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestIngestFolderTwiceThenPrune(t *testing.T) {
	root := writeTree(t, map[string][]byte{
		"guide.md":             []byte("# Guide\n\n## Water\n\nBoil water for three minutes above 2000 metres.\n"),
		"notes/meeting.txt":    []byte("The meeting moved to Thursday at nine."),
		"notes/report.pdf":     testpdf.Pages([]string{"Revenue grew in every region."}, []string{"The Lisbon office opens in March."}),
		"notes/broken.pdf":     testpdf.Truncated(),
		"tool.exe":             append([]byte("MZ\x90\x00\x03"), make([]byte, 100)...),
		".git/config":          []byte("[core]"),
		"drafts/.swap.txt":     []byte("hidden"),
		"tables/prices.csv":    []byte("item,price\ntent,120\nstove,45\n"),
		"web/page.html":        []byte("<html><head><title>Page</title><script>x()</script></head><body><h1>Hello</h1><p>Visible words.</p></body></html>"),
		"excluded/private.txt": []byte("keep out"),
	})
	data := t.TempDir()
	out, stderr, code := docent(t, "", "ingest", root, "--data", data, "--exclude", "excluded/*")
	if code == 0 {
		t.Errorf("a failed file must make the exit code non-zero")
	}
	golden(t, "ingest/first-run", out)
	if !strings.Contains(stderr, "found 6 files") {
		t.Errorf("progress lines: %q", stderr)
	}

	os.Remove(filepath.Join(root, "notes", "broken.pdf"))
	out, _, code = docent(t, "", "ingest", root, "--data", data, "--exclude", "excluded/*", "--quiet")
	if code != 0 {
		t.Errorf("second run exit code %d", code)
	}
	golden(t, "ingest/second-run", out)

	os.WriteFile(filepath.Join(root, "guide.md"), []byte("# Guide\n\nBoats float.\n"), 0o644)
	os.Remove(filepath.Join(root, "notes", "meeting.txt"))
	out, _, _ = docent(t, "", "ingest", root, "--data", data, "--exclude", "excluded/*", "--prune", "-q")
	golden(t, "ingest/changed-and-pruned", out)

	out, _, _ = docent(t, "", "search", "Thursday meeting", "--data", data, "--json")
	if strings.Contains(out, "meeting.txt") {
		t.Errorf("a pruned file is still found: %s", out)
	}
	out, _, _ = docent(t, "", "search", "boats", "--data", data, "--json")
	var res struct{ Results []source }
	json.Unmarshal([]byte(out), &res)
	if len(res.Results) == 0 || res.Results[0].Filename != "guide.md" || strings.Contains(out, "three minutes") {
		t.Errorf("the changed file was not replaced: %s", out)
	}
}

func TestExtractPrintsPagesSeparatedByFormFeed(t *testing.T) {
	root := writeTree(t, map[string][]byte{"r.pdf": testpdf.Pages([]string{"First page."}, []string{"Second page."})})
	out, stderr, code := docent(t, "", "extract", filepath.Join(root, "r.pdf"))
	if code != 0 || out != "First page.\fSecond page.\n" {
		t.Errorf("extract: %d %q %q", code, out, stderr)
	}
	_, stderr, code = docent(t, "", "extract", filepath.Join(root, "missing.pdf"))
	if code == 0 || stderr == "" {
		t.Errorf("missing file: %d %q", code, stderr)
	}
}

func TestAskAnswersFromTheDataDirectory(t *testing.T) {
	root := writeTree(t, map[string][]byte{
		"policy.pdf": testpdf.Pages([]string{"Travel policy", "Book flights through the travel desk."},
			[]string{"Expenses", "Meal expenses are reimbursed up to 40 euros per day."}),
	})
	data := t.TempDir()
	if _, stderr, code := docent(t, "", "ingest", root, "--data", data, "-q"); code != 0 {
		t.Fatal(stderr)
	}
	out, stderr, code := docent(t, "", "ask", "How much are meals reimbursed per day?", "--data", data, "--json")
	var a answer
	if err := json.Unmarshal([]byte(out), &a); err != nil || code != 0 {
		t.Fatalf("ask --json: %d %q %q", code, out, stderr)
	}
	if a.Mode != "extractive" || !strings.Contains(a.Answer, "40 euros") || len(a.Sources) == 0 || a.Sources[0].Page != 2 {
		t.Errorf("answer: %+v", a)
	}
	out, _, _ = docent(t, "", "ask", "How much are meals reimbursed per day?", "--data", data)
	if !strings.Contains(out, "40 euros") || !strings.Contains(out, "Sources:\n[1] policy.pdf, page 2") {
		t.Errorf("streamed ask: %q", out)
	}
}

func TestIngestThroughServer(t *testing.T) {
	root := writeTree(t, map[string][]byte{
		"a.md":     []byte("# A\n\nAlpha particles are helium nuclei.\n"),
		"sub/b.md": []byte("# B\n\nBeta particles are electrons.\n"),
	})
	s := startServer(t, t.TempDir(), "--registration", "open")
	call(t, "POST", s.URL+"/api/v1/auth/register", "", map[string]string{"username": "root", "email": "root@example.com", "password": "a-long-password"}, nil)
	call(t, "POST", s.URL+"/api/v1/auth/register", "", map[string]string{"username": "ann", "email": "ann@example.com", "password": "a-long-password"}, nil)
	var admin, ann struct {
		AccessToken string `json:"access_token"`
	}
	call(t, "POST", s.URL+"/api/v1/auth/token", "", "username=root&password=a-long-password", &admin)
	call(t, "POST", s.URL+"/api/v1/auth/token", "", "username=ann&password=a-long-password", &ann)

	_, stderr, code := docent(t, "", "ingest", root, "--server", s.URL, "--token", ann.AccessToken, "-q")
	if code == 0 || !strings.Contains(stderr, "only an admin") {
		t.Errorf("a user filling the shared library: %d %q", code, stderr)
	}
	out, stderr, code := docent(t, "", "ingest", root, "--server", s.URL, "--token", admin.AccessToken, "-q")
	if code != 0 || !strings.HasPrefix(out, "added 2, updated 0, unchanged 0") {
		t.Fatalf("first upload: %d %q %q", code, out, stderr)
	}
	os.Remove(filepath.Join(root, "sub", "b.md"))
	out, _, code = docent(t, "", "ingest", root, "--server", s.URL, "--token", admin.AccessToken, "-q", "--prune")
	if code != 0 || !strings.HasPrefix(out, "added 0, updated 0, unchanged 1, failed 0, skipped 0, pruned 1") {
		t.Errorf("second upload: %q", out)
	}
	out, _, _ = docent(t, "", "search", "electrons", "--server", s.URL, "--token", ann.AccessToken, "--json")
	if strings.Contains(out, "Beta") {
		t.Errorf("pruned document still found: %s", out)
	}
	out, _, code = docent(t, "", "ask", "What are alpha particles?", "--server", s.URL, "--token", ann.AccessToken)
	if code != 0 || !strings.Contains(out, "helium nuclei") || !strings.Contains(out, "[1] a.md") {
		t.Errorf("ask through the server: %d %q", code, out)
	}
	// A one-shot question leaves no conversation behind; --save keeps one.
	var convs []map[string]any
	call(t, "GET", s.URL+"/api/v1/conversations", ann.AccessToken, nil, &convs)
	if len(convs) != 0 {
		t.Errorf("docent ask stored conversations: %v", convs)
	}
	out, stderr, code = docent(t, "", "ask", "What are alpha particles?", "--server", s.URL, "--token", ann.AccessToken, "--save", "--json")
	call(t, "GET", s.URL+"/api/v1/conversations", ann.AccessToken, nil, &convs)
	if code != 0 || !strings.Contains(out, "helium nuclei") || len(convs) != 1 || !strings.Contains(stderr, fmt.Sprintf("saved as conversation %v", convs[0]["id"])) {
		t.Errorf("ask --save: %d %q %q, conversations %v", code, out, stderr, convs)
	}
	if _, stderr, code := docent(t, "", "ask", "What are alpha particles?", "--save"); code == 0 || !strings.Contains(stderr, "--server") {
		t.Errorf("--save without --server: %d %q", code, stderr)
	}
}

// Commands refuse a missing or rejected token, and a data directory that a
// server holds, before they print anything else: no summary of nothing.
func TestCommandsCheckCredentialsAndLockFirst(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no credential kept by docent login
	root := writeTree(t, map[string][]byte{"a.md": []byte("# A\n\nAlpha particles are helium nuclei.\n")})
	data := t.TempDir()
	s := startServer(t, data)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"ingest --server without a token", []string{"ingest", root, "--server", s.URL}, "needs an access token"},
		{"ingest --server with a bad token", []string{"ingest", root, "--server", s.URL, "--token", "not-a-token"}, "refused the access token"},
		{"ingest beside the server", []string{"ingest", root, "--data", data}, "in use by another docent process"},
		{"ingest --user beside the server", []string{"ingest", root, "--data", data, "--user", "ann"}, "in use by another docent process"},
		{"search --server without a token", []string{"search", "alpha", "--server", s.URL}, "needs an access token"},
		{"ask --server with a bad token", []string{"ask", "alpha?", "--server", s.URL, "--token", "x.y.z"}, "refused the access token"},
		{"check --server without a token", []string{"check", "--server", s.URL}, "needs an access token"},
		{"backup --server without a token", []string{"backup", filepath.Join(t.TempDir(), "b.db"), "--server", s.URL}, "needs an access token"},
		{"user passwd --server without a token", []string{"user", "passwd", "ann", "--password-stdin", "--server", s.URL}, "needs an access token"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("DOCENT_TOKEN", "")
			out, stderr, code := docent(t, "long-enough-password\n", c.args...)
			if code == 0 || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want it to say %q", code, stderr, c.want)
			}
			if out != "" || strings.Contains(stderr, "done in") || strings.Contains(stderr, "found ") {
				t.Errorf("printed before refusing: stdout %q, stderr %q", out, stderr)
			}
		})
	}
}
