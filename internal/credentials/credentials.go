// Package credentials keeps the credentials `docent login` obtains, one per
// server, in the user's configuration directory ($XDG_CONFIG_HOME/docent
// or ~/.config/docent on Linux, ~/Library/Application Support/docent on
// macOS), in a file only its owner may read (0600, in a 0700 folder),
// replaced atomically. Commands given --server and no --token use the
// server's credential from there.
package credentials

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// FileName is the credentials file inside Dir().
const FileName = "credentials.json"

// Credential is what docent keeps for one server.
type Credential struct {
	// Token is the bearer credential: an API key (dk_…) or an access token.
	Token    string `json:"token"`
	Username string `json:"username,omitempty"`
	// KeyID is the id of the API key `docent login` made for this machine,
	// which `docent logout` revokes; 0 for a key the user gave.
	KeyID   uint64    `json:"key_id,omitempty"`
	SavedAt time.Time `json:"saved_at"`
}

// file is the credentials file: credentials by server URL.
type file struct {
	Servers map[string]Credential `json:"servers"`
}

// Dir returns the folder holding the credentials file.
func Dir() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no configuration folder for credentials: %w", err)
	}
	return filepath.Join(dir, "docent"), nil
}

// Path returns the credentials file's path.
func Path() (string, error) {
	dir, err := Dir()
	return filepath.Join(dir, FileName), err
}

// Server normalises a server URL into the key credentials are kept under:
// scheme and host in lower case, no trailing slash, no query.
func Server(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not a server URL (http://host:port)", raw)
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + strings.TrimRight(u.EscapedPath(), "/"), nil
}

// Get returns the credential kept for server, if any.
func Get(server string) (Credential, bool, error) {
	key, f, err := loadFor(server)
	if err != nil {
		return Credential{}, false, err
	}
	c, ok := f.Servers[key]
	return c, ok, nil
}

// Put keeps c for server, replacing what was kept.
func Put(server string, c Credential) error {
	key, f, err := loadFor(server)
	if err != nil {
		return err
	}
	if c.SavedAt.IsZero() {
		c.SavedAt = time.Now().UTC()
	}
	f.Servers[key] = c
	return save(f)
}

// Delete forgets the credential of server, returning it (ok false when
// there was none).
func Delete(server string) (Credential, bool, error) {
	key, f, err := loadFor(server)
	if err != nil {
		return Credential{}, false, err
	}
	c, ok := f.Servers[key]
	if !ok {
		return c, false, nil
	}
	delete(f.Servers, key)
	return c, true, save(f)
}

// loadFor normalises server into its key and reads the credentials file.
func loadFor(server string) (string, file, error) {
	key, err := Server(server)
	if err != nil {
		return "", file{}, err
	}
	f, err := load()
	return key, f, err
}

// load reads the credentials file; a missing one is empty.
func load() (file, error) {
	f := file{Servers: map[string]Credential{}}
	path, err := Path()
	if err != nil {
		return f, err
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("read credentials: %w", err)
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return f, fmt.Errorf("credentials file %s is damaged (delete it and run docent login again): %w", path, err)
	}
	if f.Servers == nil {
		f.Servers = map[string]Credential{}
	}
	return f, nil
}

// save writes f to a temporary file (0600) beside the credentials file
// and renames it over it, so the file is never half written or readable
// by others.
func save(f file) error {
	path, err := Path()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	raw, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), FileName+".*")
	if err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(raw, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write credentials: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	return nil
}
