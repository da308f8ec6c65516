package main

import (
	"strings"
	"testing"
)

// login returns an access token for username, or "" when refused.
func login(t *testing.T, base, username, password string) string {
	t.Helper()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if code := call(t, "POST", base+"/api/v1/auth/token", "", map[string]string{"username": username, "password": password}, &tok); code != 200 {
		return ""
	}
	return tok.AccessToken
}

// docent user passwd sets a forgotten password, offline or through a
// running server, and the account's earlier tokens stop working.
func TestUserPasswd(t *testing.T) {
	data := t.TempDir()
	for _, u := range []string{"root", "bob"} {
		if _, stderr, code := docent(t, "password-"+u+"\n", "user", "add", u, "--email", u+"@example.com", "--password-stdin", "--data", data); code != 0 {
			t.Fatalf("user add %s: %s", u, stderr)
		}
	}
	for _, c := range []struct {
		name, stdin, user, want string
	}{
		{"a short password", "short\n", "bob", "at least 8 characters and at most 72 bytes"},
		{"no such user", "long-enough-password\n", "nobody", `no user "nobody"`},
		{"no password", "", "bob", "no password on standard input"},
	} {
		if _, stderr, code := docent(t, c.stdin, "user", "passwd", c.user, "--password-stdin", "--data", data); code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q, want it to say %q", c.name, code, stderr, c.want)
		}
	}
	out, stderr, code := docent(t, "bobs-new-password\n", "user", "passwd", "BOB@example.com", "--password-stdin", "--data", data)
	if code != 0 || !strings.Contains(out, "password of bob changed") {
		t.Fatalf("passwd: %d %q %q", code, out, stderr)
	}

	s := startServer(t, data)
	if login(t, s.URL, "bob", "password-bob") != "" {
		t.Error("the old password still logs in")
	}
	bobToken := login(t, s.URL, "bob", "bobs-new-password")
	if bobToken == "" {
		t.Fatal("the new password does not log in")
	}
	// The server holds the data directory: said before any password is read.
	if _, stderr, code := docent(t, "", "user", "passwd", "bob", "--password-stdin", "--data", data); code == 0 || !strings.Contains(stderr, "in use") || !strings.Contains(stderr, "--server") {
		t.Errorf("passwd beside a running server: %d %q", code, stderr)
	}
	// Through the server, with an admin's token.
	if _, stderr, code := docent(t, "set-by-the-server\n", "user", "passwd", "bob", "--password-stdin", "--server", s.URL, "--token", bobToken); code == 0 || !strings.Contains(stderr, "admin") {
		t.Errorf("passwd --server with a non-admin's token: %d %q", code, stderr)
	}
	rootToken := login(t, s.URL, "root", "password-root")
	if out, stderr, code := docent(t, "set-by-the-server\n", "user", "passwd", "bob", "--password-stdin", "--server", s.URL, "--token", rootToken); code != 0 || !strings.Contains(out, "password of bob changed") {
		t.Fatalf("passwd --server: %d %q %q", code, out, stderr)
	}
	if code := call(t, "GET", s.URL+"/api/v1/auth/me", bobToken, nil, nil); code != 401 {
		t.Errorf("bob's token after the reset: %d, want 401", code)
	}
	if login(t, s.URL, "bob", "set-by-the-server") == "" {
		t.Error("the password set through the server does not log in")
	}
}

// docent user add names every invalid field at once, before it asks for a
// password or touches the data directory.
func TestUserAddNamesEveryInvalidField(t *testing.T) {
	data := t.TempDir()
	_, stderr, code := docent(t, "long-enough-password\n", "user", "add", "x", "--email", "not-an-address", "--password-stdin", "--data", data)
	if code == 0 {
		t.Fatal("user add accepted an invalid username and email")
	}
	for _, want := range []string{"username: must be 3 to 50 characters", "email: is not a valid email address"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q does not say %q", stderr, want)
		}
	}
}
