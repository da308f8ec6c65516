package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"docent/internal/pgtest"
)

// binary is the docent executable built once for the tests that run it as
// users do.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "docent-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "docent")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build docent: %v\n%s", err, out)
		os.Exit(1)
	}
	code := pgtest.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// docent runs the binary to completion with stdin, returning its output and exit code.
func docent(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "DOCENT_LOG_LEVEL=warn")
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// server is a running "docent serve".
type server struct {
	URL string
	cmd *exec.Cmd
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// startServer runs "docent serve" on a free port over dataDir and waits
// until it reports its address.
func startServer(t testing.TB, dataDir string, extra ...string) *server {
	t.Helper()
	args := append([]string{"serve", "--data", dataDir, "--addr", "127.0.0.1:0"}, extra...)
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "DOCENT_LOG_LEVEL=warn")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd}
	t.Cleanup(func() { s.stop(t) })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		close(found)
	}()
	select {
	case url, ok := <-found:
		if !ok {
			t.Fatal("docent serve exited before listening")
		}
		s.URL = url
	case <-time.After(30 * time.Second):
		t.Fatal("docent serve did not report its address in 30s")
	}
	waitReady(t, s.URL)
	return s
}

func waitReady(t testing.TB, url string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("server never became ready")
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop(t testing.TB) {
	if s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("docent serve exited badly after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		t.Error("docent serve did not stop within 20s of SIGTERM")
	}
}

// call makes one JSON request and decodes the answer into out (if non-nil).
func call(t testing.TB, method, url, token string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if s, ok := body.(string); ok {
		rd = strings.NewReader(s)
	} else if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequestWithContext(context.Background(), method, url, rd)
	if body != nil {
		if _, ok := body.(string); ok {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, url, raw, err)
		}
	}
	return resp.StatusCode
}

func TestServeWalkthroughAndRestartKeepsTokens(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data)

	var user map[string]any
	if code := call(t, "POST", s.URL+"/api/v1/auth/register", "", map[string]string{
		"username": "ann", "email": "ann@example.com", "password": "a-long-password"}, &user); code != 201 {
		t.Fatalf("register: %d %v", code, user)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if code := call(t, "POST", s.URL+"/api/v1/auth/token", "", "username=ann&password=a-long-password", &tok); code != 200 {
		t.Fatalf("token: %d", code)
	}
	var me map[string]any
	if code := call(t, "GET", s.URL+"/api/v1/auth/me", tok.AccessToken, nil, &me); code != 200 || me["username"] != "ann" {
		t.Fatalf("me: %d %v", code, me)
	}
	var conv struct {
		ID    int    `json:"id"`
		Title string `json:"title"`
	}
	if code := call(t, "POST", s.URL+"/api/v1/conversations", tok.AccessToken, map[string]string{"title": "first"}, &conv); code != 201 {
		t.Fatalf("create conversation: %d", code)
	}
	convURL := fmt.Sprintf("%s/api/v1/conversations/%d", s.URL, conv.ID)
	if code := call(t, "PUT", convURL, tok.AccessToken, map[string]string{"title": "renamed"}, &conv); code != 200 || conv.Title != "renamed" {
		t.Fatalf("rename: %d %+v", code, conv)
	}
	var list []map[string]any
	if code := call(t, "GET", s.URL+"/api/v1/conversations", tok.AccessToken, nil, &list); code != 200 || len(list) != 1 {
		t.Fatalf("list: %d %v", code, list)
	}

	// The store is locked while the server runs.
	start := time.Now()
	_, stderr, code := docent(t, "", "user", "list", "--data", data)
	if code == 0 || !strings.Contains(stderr, "is in use by another docent process") {
		t.Errorf("second docent on a held data dir: code %d, stderr %q", code, stderr)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("second docent waited %v for the lock", time.Since(start))
	}

	s.stop(t)
	s = startServer(t, data)
	convURL = fmt.Sprintf("%s/api/v1/conversations/%d", s.URL, conv.ID)
	if code := call(t, "GET", convURL, tok.AccessToken, nil, &conv); code != 200 || conv.Title != "renamed" {
		t.Fatalf("after restart the old token or the data is gone: %d %+v", code, conv)
	}
	if code := call(t, "DELETE", convURL, tok.AccessToken, nil, nil); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if code := call(t, "GET", convURL, tok.AccessToken, nil, nil); code != 404 {
		t.Fatalf("deleted conversation: %d", code)
	}
	info, err := os.Stat(filepath.Join(data, "secret.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("secret file: %v %v", info, err)
	}
}

func TestUserAddFromStdin(t *testing.T) {
	data := t.TempDir()
	out, stderr, code := docent(t, "first-password\n", "user", "add", "root", "--email", "root@example.com", "--password-stdin", "--data", data)
	if code != 0 || !strings.Contains(out, "added root <root@example.com>") || !strings.Contains(out, "admin") {
		t.Fatalf("user add: %d %q %q", code, out, stderr)
	}
	out, _, code = docent(t, "second-password\n", "user", "add", "bob", "--email", "bob@example.com", "--password-stdin", "--data", data)
	if code != 0 || !strings.Contains(out, "(id 2, user)") {
		t.Fatalf("second user: %d %q", code, out)
	}
	_, stderr, code = docent(t, "third-password\n", "user", "add", "BOB", "--email", "b2@example.com", "--password-stdin", "--data", data)
	if code == 0 || !strings.Contains(stderr, "username is already taken") {
		t.Errorf("duplicate user: %d %q", code, stderr)
	}
	_, stderr, code = docent(t, "short\n", "user", "add", "carl", "--email", "c@example.com", "--password-stdin", "--data", data)
	if code == 0 || !strings.Contains(stderr, "password") {
		t.Errorf("short password: %d %q", code, stderr)
	}
	_, _, code = docent(t, "", "user", "deactivate", "bob", "--data", data)
	out, _, _ = docent(t, "", "user", "list", "--data", data)
	if code != 0 || !regexp.MustCompile(`bob\s+bob@example.com\s+user\s+false`).MatchString(out) {
		t.Errorf("deactivate: %d\n%s", code, out)
	}

	s := startServer(t, data)
	if code := call(t, "POST", s.URL+"/api/v1/auth/token", "", "username=root&password=first-password", nil); code != 200 {
		t.Errorf("CLI-made user cannot log in: %d", code)
	}
	if code := call(t, "POST", s.URL+"/api/v1/auth/token", "", "username=bob&password=second-password", nil); code != 401 {
		t.Errorf("deactivated user logs in: %d", code)
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	data := t.TempDir()
	envData := t.TempDir()
	cmd := exec.Command(binary, "user", "add", "ann", "--email", "a@example.com", "--password-stdin", "--data", data)
	cmd.Env = append(os.Environ(), "DOCENT_DATA="+envData)
	cmd.Stdin = strings.NewReader("password1\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if _, err := os.Stat(filepath.Join(data, "docent.db")); err != nil {
		t.Error("--data was not used")
	}
	if _, err := os.Stat(filepath.Join(envData, "docent.db")); err == nil {
		t.Error("DOCENT_DATA won over --data")
	}
	cmd = exec.Command(binary, "user", "list")
	cmd.Env = append(os.Environ(), "DOCENT_DATA="+data)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "a@example.com") {
		t.Errorf("DOCENT_DATA not used without --data: %v %s", err, out)
	}
}

func TestVersionAndHelp(t *testing.T) {
	out, _, code := docent(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "docent ") {
		t.Errorf("version: %d %q", code, out)
	}
	out, _, code = docent(t, "", "serve", "--help")
	for _, flag := range []string{"--addr", "--data", "DOCENT_ADDR", "--cors-origins"} {
		if code != 0 || !strings.Contains(out, flag) {
			t.Errorf("serve --help lacks %s", flag)
		}
	}
	_, stderr, code := docent(t, "", "no-such-command")
	if code == 0 || stderr == "" {
		t.Errorf("unknown command: %d %q", code, stderr)
	}
}

func TestBackupWhileServingThenRestore(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data)
	call(t, "POST", s.URL+"/api/v1/auth/register", "", map[string]string{
		"username": "root", "email": "root@example.com", "password": "a-long-password"}, nil)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	call(t, "POST", s.URL+"/api/v1/auth/token", "", "username=root&password=a-long-password", &tok)
	call(t, "POST", s.URL+"/api/v1/conversations", tok.AccessToken, map[string]string{"title": "kept"}, nil)

	snap := filepath.Join(t.TempDir(), "snap.db")
	_, stderr, code := docent(t, "", "backup", snap, "--data", data)
	if code == 0 || !strings.Contains(stderr, "--server") {
		t.Errorf("direct backup of a held data dir: %d %q", code, stderr)
	}
	_, stderr, code = docent(t, "", "backup", snap, "--server", s.URL, "--token", tok.AccessToken)
	if code != 0 {
		t.Fatalf("backup through the server: %q", stderr)
	}
	call(t, "POST", s.URL+"/api/v1/conversations", tok.AccessToken, map[string]string{"title": "after backup"}, nil)
	_, stderr, code = docent(t, "", "restore", snap, "--data", data)
	if code == 0 || !strings.Contains(stderr, "in use") {
		t.Errorf("restore under a running server: %d %q", code, stderr)
	}
	s.stop(t)
	if _, stderr, code = docent(t, "", "restore", snap, "--data", data); code != 0 {
		t.Fatalf("restore: %q", stderr)
	}
	s = startServer(t, data)
	var list []map[string]any
	call(t, "GET", s.URL+"/api/v1/conversations", tok.AccessToken, nil, &list)
	if len(list) != 1 || list[0]["title"] != "kept" {
		t.Errorf("after restore: %v", list)
	}
}
