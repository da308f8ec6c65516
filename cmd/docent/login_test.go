package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// register makes an account on s and returns an access token for it.
func register(t *testing.T, s *server, name string) string {
	t.Helper()
	if code := call(t, "POST", s.URL+"/api/v1/auth/register", "", map[string]string{
		"username": name, "email": name + "@example.com", "password": "password-" + name}, nil); code != 201 {
		t.Fatalf("register %s: %d", name, code)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if code := call(t, "POST", s.URL+"/api/v1/auth/token", "", "username="+name+"&password=password-"+name, &tok); code != 200 {
		t.Fatalf("token %s: %d", name, code)
	}
	return tok.AccessToken
}

// Log in once, then every --server command works without --token; log out
// and the key is revoked and forgotten.
func TestLoginThenServerCommandsNeedNoToken(t *testing.T) {
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	t.Setenv("DOCENT_TOKEN", "")
	t.Setenv("DOCENT_SERVER", "")
	s := startServer(t, t.TempDir())
	register(t, s, "ann")
	root := writeTree(t, map[string][]byte{"water.md": []byte("# Water\n\nBoil water for three minutes above 2000 metres.\n")})

	if _, stderr, code := docent(t, "wrong-password\n", "login", "--server", s.URL, "--username", "ann", "--password-stdin"); code == 0 ||
		!strings.Contains(stderr, "incorrect username or password") {
		t.Fatalf("a wrong password: exit %d, %s", code, stderr)
	}
	out, stderr, code := docent(t, "password-ann\n", "login", "--server", s.URL+"/", "--username", "ann", "--password-stdin")
	if code != 0 || !strings.Contains(out, "logged in to "+s.URL+" as ann") {
		t.Fatalf("login: exit %d, %s %s", code, out, stderr)
	}
	path := filepath.Join(config, "docent", "credentials.json")
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", info, err)
	}
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), "password-ann") || !strings.Contains(string(raw), `"dk_`) {
		t.Errorf("the credentials file holds %s", raw)
	}

	if out, stderr, code := docent(t, "", "ingest", root, "--server", s.URL); code != 0 {
		t.Fatalf("ingest --server after login: exit %d, %s %s", code, out, stderr)
	}
	out, stderr, code = docent(t, "", "search", "boil water altitude", "--server", s.URL, "--json")
	if code != 0 || !strings.Contains(out, "three minutes") {
		t.Fatalf("search --server after login: exit %d, %s %s", code, out, stderr)
	}
	out, _, code = docent(t, "", "ask", "How long should water boil above 2000 metres?", "--server", s.URL, "--json")
	var ans answer
	if code != 0 || json.Unmarshal([]byte(out), &ans) != nil || !strings.Contains(ans.Answer, "three minutes") {
		t.Fatalf("ask --server after login: exit %d, %s", code, out)
	}
	if out, stderr, code := docent(t, "", "check", "--server", s.URL); code != 0 { // ann, the first user, is the admin
		t.Errorf("check --server after login: exit %d, %s %s", code, out, stderr)
	}
	if _, stderr, code := docent(t, "", "backup", filepath.Join(t.TempDir(), "b.db"), "--server", s.URL); code != 0 {
		t.Errorf("backup --server after login: exit %d, %s", code, stderr)
	}

	// Logging in again replaces (and revokes) the key of the first login.
	var first struct {
		Servers map[string]struct{ Token string } `json:"servers"`
	}
	json.Unmarshal(raw, &first)
	firstKey := first.Servers[s.URL].Token
	if _, _, code := docent(t, "password-ann\n", "login", "--server", s.URL, "--username", "ann", "--password-stdin"); code != 0 {
		t.Fatal("second login")
	}
	if code := call(t, "GET", s.URL+"/api/v1/auth/me", firstKey, nil, nil); code != 401 {
		t.Errorf("the first login's key still works after the second login: %d", code)
	}
	raw, _ = os.ReadFile(path)
	json.Unmarshal(raw, &first)
	secondKey := first.Servers[s.URL].Token

	out, _, code = docent(t, "", "logout", "--server", s.URL)
	if code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("logout: exit %d, %s", code, out)
	}
	if code := call(t, "GET", s.URL+"/api/v1/auth/me", secondKey, nil, nil); code != 401 {
		t.Errorf("the key still works after logout: %d", code)
	}
	if _, stderr, code := docent(t, "", "search", "water", "--server", s.URL); code == 0 || !strings.Contains(stderr, "docent login") {
		t.Errorf("search --server after logout: exit %d, %s", code, stderr)
	}
	if out, _, _ := docent(t, "", "logout", "--server", s.URL); !strings.Contains(out, "not logged in") {
		t.Errorf("a second logout: %s", out)
	}
}

// A key made in the web page can be kept instead of a password; logout
// then only forgets it.
func TestLoginWithAnAPIKey(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("DOCENT_TOKEN", "")
	s := startServer(t, t.TempDir())
	token := register(t, s, "bob")
	var key struct{ Key string }
	if code := call(t, "POST", s.URL+"/api/v1/keys", token, map[string]string{"name": "laptop", "scope": "read"}, &key); code != 201 {
		t.Fatalf("key: %d", code)
	}
	if _, stderr, code := docent(t, "", "login", "--server", s.URL, "--api-key", "dk_not_a_key"); code == 0 || !strings.Contains(stderr, "refused") {
		t.Errorf("a bad key: exit %d, %s", code, stderr)
	}
	if out, stderr, code := docent(t, "", "login", "--server", s.URL, "--api-key", key.Key); code != 0 || !strings.Contains(out, "as bob") {
		t.Fatalf("login --api-key: exit %d, %s %s", code, out, stderr)
	}
	if out, stderr, code := docent(t, "", "search", "anything", "--server", s.URL); code != 0 {
		t.Errorf("search with the kept key: exit %d, %s %s", code, out, stderr)
	}
	if out, _, code := docent(t, "", "logout", "--server", s.URL); code != 0 || strings.Contains(out, "revoked") {
		t.Errorf("logout of a given key: %s", out)
	}
	if code := call(t, "GET", s.URL+"/api/v1/auth/me", key.Key, nil, nil); code != 200 {
		t.Errorf("logout revoked a key it did not make: %d", code)
	}
}
