package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"docent/store"
)

// docent serve --watch DIR=WORKSPACE keeps a folder indexed into a
// workspace: the files are its owner's documents, in the workspace from
// their first moment, so its members find them and nobody else does; the
// documents the folder gave its owner before are adopted at start.
func TestWatchIntoAWorkspace(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("old.md", "# Old\n\nThe lighthouse keeper logged the storm of 1911.\n")
	srv := startServer(t, data, "--registration", "open")
	register(t, srv, "admin")
	alice, bob, carol := register(t, srv, "alice"), register(t, srv, "bob"), register(t, srv, "carol")
	var team struct{ ID uint64 }
	if code := call(t, "POST", srv.URL+"/api/v1/workspaces", alice, map[string]string{"name": "Team", "visibility": "members"}, &team); code != 201 {
		t.Fatalf("create workspace: %d", code)
	}
	var bobID struct{ ID uint64 }
	call(t, "GET", srv.URL+"/api/v1/auth/me", bob, nil, &bobID)
	ws := srv.URL + "/api/v1/workspaces/" + fmt.Sprint(team.ID)
	if code := call(t, "PUT", ws+"/members/"+fmt.Sprint(bobID.ID), alice, map[string]string{"access": "read"}, nil); code != 200 {
		t.Fatalf("bob joins: %d", code)
	}
	srv.stop(t)
	srv = startServer(t, data, "--registration", "open", "--watch", dir+"=alice")
	waitFor(t, "alice's watched document", func() bool { return len(readyNames(t, srv.URL+"/api/v1/documents", alice)) == 1 })
	srv.stop(t)

	srv = startServer(t, data, "--registration", "open", "--watch", dir+"=Team")
	write("new.md", "# New\n\nThe keeper's daughter relit the lamp in 1923.\n")
	want := []string{"new.md", "old.md"}
	waitFor(t, "both documents in the workspace", func() bool {
		return slices.Equal(readyNames(t, srv.URL+"/api/v1/documents?workspace="+fmt.Sprint(team.ID), bob), want)
	})
	if got := readyNames(t, srv.URL+"/api/v1/documents", alice); !slices.Equal(got, want) {
		t.Errorf("alice's documents: %v, want %v (the workspace's documents are its owner's)", got, want)
	}
	var found struct{ Results []struct{ Filename string } }
	call(t, "POST", srv.URL+"/api/v1/search", bob, map[string]any{"query": "who relit the lamp", "workspace_id": team.ID}, &found)
	if len(found.Results) == 0 || found.Results[0].Filename != "new.md" {
		t.Errorf("bob's search in the workspace: %+v", found.Results)
	}
	found.Results = nil
	call(t, "POST", srv.URL+"/api/v1/search", carol, map[string]any{"query": "who relit the lamp"}, &found)
	if len(found.Results) != 0 || len(readyNames(t, srv.URL+"/api/v1/documents", carol)) != 0 {
		t.Errorf("carol, no member, finds the workspace's documents: %+v", found.Results)
	}
	var watches []struct {
		Folder      string
		WorkspaceID uint64 `json:"workspace_id"`
	}
	call(t, "GET", srv.URL+"/api/v1/watches", bob, nil, &watches)
	if len(watches) != 1 || watches[0].WorkspaceID != team.ID || watches[0].Folder != filepath.Base(dir) {
		t.Errorf("the watches a member sees: %+v", watches)
	}
	call(t, "GET", srv.URL+"/api/v1/watches", carol, nil, &watches)
	if len(watches) != 0 {
		t.Errorf("carol sees the workspace's watch: %+v", watches)
	}
}

// The TARGET of --watch DIR=TARGET: a user, a workspace named by one user
// only, OWNER:WORKSPACE when several have the name; anything else refuses
// to start with the reason.
func TestWatchTargets(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	users := map[string]uint64{}
	for _, name := range []string{"admin", "alice", "bob"} {
		u := store.User{Username: name, Email: name + "@example.com", Active: true}
		if err := db.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		users[name] = u.ID
	}
	spaces := map[string]uint64{}
	for _, w := range []struct{ owner, name string }{{"alice", "Team"}, {"alice", "Plans"}, {"bob", "Team"}} {
		ws := store.Workspace{Name: w.name, Visibility: store.VisibilityMembers, Owner: users[w.owner]}
		if err := db.CreateWorkspace(ctx, &ws); err != nil {
			t.Fatal(err)
		}
		spaces[w.owner+":"+w.name] = ws.ID
	}
	dir := t.TempDir()
	for _, c := range []struct {
		target           string
		owner, workspace uint64
		err              string
	}{
		{"", store.Shared, 0, ""},
		{"shared", store.Shared, 0, ""},
		{"bob", users["bob"], 0, ""},
		{"plans", users["alice"], spaces["alice:Plans"], ""},
		{"bob:Team", users["bob"], spaces["bob:Team"], ""},
		{"Team", 0, 0, "write OWNER:Team"},
		{"nobody", 0, 0, `no user or workspace "nobody"`},
		{"bob:Plans", 0, 0, `bob has no workspace "Plans"`},
		{"zed:Team", 0, 0, `no user "zed"`},
	} {
		v := dir
		if c.target != "" {
			v += "=" + c.target
		}
		got, err := parseWatches(ctx, db, []string{v})
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("--watch DIR=%s: %v, want an error saying %q", c.target, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("--watch DIR=%s: %v", c.target, err)
		case c.err == "" && (got[0].owner != c.owner || got[0].workspace != c.workspace):
			t.Errorf("--watch DIR=%s: owner %d, workspace %d; want %d, %d", c.target, got[0].owner, got[0].workspace, c.owner, c.workspace)
		}
	}
}

// readyNames lists the file names of the ready documents url answers.
func readyNames(t *testing.T, url, token string) []string {
	t.Helper()
	var docs []struct{ Filename, Status string }
	if code := call(t, "GET", url, token, nil, &docs); code != 200 {
		t.Fatalf("GET %s: %d", url, code)
	}
	var out []string
	for _, d := range docs {
		if d.Status == "ready" {
			out = append(out, d.Filename)
		}
	}
	slices.Sort(out)
	return out
}

// waitFor polls ok every 50 ms for up to 20 s.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 20 s for %s", what)
		}
	}
}
