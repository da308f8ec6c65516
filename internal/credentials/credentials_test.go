package credentials

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCredentialsKeptPerServerInAPrivateFile(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	if _, ok, err := Get("http://127.0.0.1:8080"); ok || err != nil {
		t.Fatalf("an empty store: %v %v", ok, err)
	}
	if err := Put("http://127.0.0.1:8080/", Credential{Token: "dk_one", Username: "ann", KeyID: 3}); err != nil {
		t.Fatal(err)
	}
	if err := Put("https://Docs.Example.com", Credential{Token: "dk_two"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ server, token string }{
		{"http://127.0.0.1:8080", "dk_one"},
		{"HTTP://127.0.0.1:8080/", "dk_one"},
		{"https://docs.example.com", "dk_two"},
		{"http://docs.example.com", ""},
	} {
		c, ok, err := Get(tc.server)
		if err != nil || ok != (tc.token != "") || c.Token != tc.token {
			t.Errorf("Get(%s) = %+v %v %v", tc.server, c, ok, err)
		}
	}
	path, _ := Path()
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("credentials file %s: %v %v, want mode 0600", path, info, err)
	}
	if dir, _ := os.Stat(filepath.Dir(path)); dir.Mode().Perm() != 0o700 {
		t.Errorf("credentials folder mode %v, want 0700", dir.Mode().Perm())
	}
	c, ok, err := Delete("http://127.0.0.1:8080")
	if err != nil || !ok || c.KeyID != 3 {
		t.Errorf("Delete = %+v %v %v", c, ok, err)
	}
	if _, ok, _ := Get("http://127.0.0.1:8080"); ok {
		t.Error("a deleted credential is still kept")
	}
	if _, ok, _ := Delete("http://127.0.0.1:8080"); ok {
		t.Error("deleted twice")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("the folder holds %d files, want only %s", len(entries), FileName)
	}
	for _, bad := range []string{"", "127.0.0.1:8080", "ftp://x", "http://"} {
		if err := Put(bad, Credential{Token: "x"}); err == nil {
			t.Errorf("Put(%q) accepted", bad)
		}
	}
	os.WriteFile(path, []byte("{not json"), 0o600)
	if _, _, err := Get("https://docs.example.com"); err == nil {
		t.Error("a damaged file is read as empty")
	}
}
