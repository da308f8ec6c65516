package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// repoRoot is the repository's top folder, seen from this package.
var repoRoot = filepath.Join("..", "..")

// readmeBlock returns the first ```sh block under the README heading.
func readmeBlock(t *testing.T, heading string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no %q", heading)
	}
	if next := strings.Index(section, "\n## "); next >= 0 {
		section = section[:next]
	}
	_, block, ok := strings.Cut(section, "```sh\n")
	if !ok {
		t.Fatalf("README.md's %q has no sh block", heading)
	}
	block, _, _ = strings.Cut(block, "```")
	return block
}

// The quick start is two commands: the service on its defaults, the tests.
func TestReadmeQuickStart(t *testing.T) {
	var cmds []string
	for _, line := range strings.Split(readmeBlock(t, "## Quick start"), "\n") {
		if cmd, _, _ := strings.Cut(line, "#"); strings.TrimSpace(cmd) != "" {
			cmds = append(cmds, strings.Join(strings.Fields(cmd), " "))
		}
	}
	if strings.Join(cmds, "; ") != "go run ./cmd/docent serve; go test -race ./..." {
		t.Errorf("the quick start is %q", cmds)
	}
	raw, _ := os.ReadFile(filepath.Join(repoRoot, ".ci", "run"))
	if !strings.Contains(string(raw), "\ngo test -race ./...\n") {
		t.Error(".ci/run does not run the README's test command")
	}
}

// The walk-through runs as written: in a fresh copy of the repository,
// against a fresh docent serve, every command must succeed and the answers
// must come from the sample documents.
func TestReadmeWalkthroughRunsAsWritten(t *testing.T) {
	block := readmeBlock(t, "## Walk-through")
	first := ""
	for _, line := range strings.Split(block, "\n") {
		if cmd, _, _ := strings.Cut(line, "#"); strings.TrimSpace(cmd) != "" {
			first = strings.Join(strings.Fields(cmd), " ")
			break
		}
	}
	if first != "go build -o docent ./cmd/docent" {
		t.Errorf("the walk-through starts with %q, not by building the binary it calls", first)
	}
	for _, opts := range regexp.MustCompile(`curl -\w+`).FindAllString(block, -1) {
		if !strings.Contains(opts, "f") {
			t.Errorf("%q: every curl of the walk-through fails visibly (-f)", opts)
		}
	}
	for pattern, why := range map[string]string{
		`/(conversations|documents|users)/[0-9]`: "ids are taken from answers, never assumed",
		`\.\./shared`:                            "it names nothing outside the repository",
	} {
		if m := regexp.MustCompile(pattern).FindString(block); m != "" {
			t.Errorf("walk-through: %s (%q)", why, m)
		}
	}

	for _, tool := range []string{"bash", "curl", "sed", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the walk-through needs %s on PATH (.ci/run installs it)", tool)
		}
	}
	work := t.TempDir()
	if err := copyRepo(repoRoot, work); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, t.TempDir())
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	config := t.TempDir()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", block)
	cmd.Dir = work
	// -trimpath keeps the copy's folder out of the build cache's keys, so
	// the walk-through's go build reuses the last run's packages.
	cmd.Env = append(os.Environ(), "DOCENT_SERVER="+s.URL, "DOCENT_TOKEN=", "DOCENT_LOG_LEVEL=warn",
		"GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -trimpath"),
		"XDG_CONFIG_HOME="+config) // docent login's credentials file

	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("the walk-through failed: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		`"username":"ann"`,                              // registered, and /auth/me answers
		`"filename":"camping-guide.pdf"`,                // uploaded
		"added 5, updated 0, unchanged 2",               // the folder through the server, the two uploads recognised
		`"title":"Camping trip"`,                        // renamed
		"48 hours before departure [1]",                 // docent ask's cited answer
		"[1] Planning a club trip — trip-planning.docx", // and its source, titled
		`"object":"chat.completion"`,                    // the OpenAI-compatible answer, with an API key
		"logged in to " + s.URL + " as ann",
		"logged out of " + s.URL + " (its API key is revoked)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the walk-through's output lacks %q:\n%s", want, out.String())
		}
	}
	// The JSON answer and the streamed follow-up answer from water.md.
	answers := map[string]string{}
	lines := strings.Split(out.String(), "\n")
	for i, line := range lines {
		switch {
		case strings.HasPrefix(line, `{"assistant_message":`):
			answers["JSON"] = line
		case line == "event: done" && i+1 < len(lines):
			answers["streamed"] = strings.TrimPrefix(lines[i+1], "data: ")
		}
	}
	for kind, want := range map[string]string{"JSON": "three minutes", "streamed": "one minute"} { // and docent ask after login says three minutes too
		var a struct {
			AssistantMessage struct {
				Content string
				Sources []source
			} `json:"assistant_message"`
		}
		json.Unmarshal([]byte(answers[kind]), &a)
		m := a.AssistantMessage
		if !strings.Contains(m.Content, want) || len(m.Sources) == 0 || m.Sources[0].Filename != "water.md" {
			t.Errorf("the %s answer %q does not say %q from water.md (%s)", kind, m.Content, want, answers[kind])
		}
	}
	// docent login names the client's own credentials file; any other
	// folder would be the server's.
	if shown := strings.ReplaceAll(out.String(), config, "CONFIG"); strings.Contains(shown, "/tmp/") || strings.Contains(shown, work) {
		t.Errorf("the walk-through shows a server path:\n%s", out.String())
	}
}

// copyRepo copies the repository's sources and sample documents to dst,
// leaving out version control, build output and dependencies.
func copyRepo(src, dst string) error {
	skip := map[string]bool{".git": true, ".ci": true, "node_modules": true, "docent-data": true, "fuzz": true}
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() && skip[d.Name()] || rel == "docent" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, raw, 0o644)
	})
}
