package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"docent/internal/pgtest"
)

// Replicas answer who a caller is and what they may search from a cache
// (store/postgres, cache.go); these tests take credentials and access away
// on one replica and check that the other stops honouring them, and the
// one that made the change at once.

// refusedOnBoth checks that credential is refused with 401 by the replica
// that revoked it at once, and by the other once the change reached it.
func refusedOnBoth(t *testing.T, what string, changed, other *testEnv, credential string) {
	t.Helper()
	expect(t, what+": at once on the replica that made the change", changed.do("GET", "/api/v1/auth/me", credential, nil), http.StatusUnauthorized)
	took := eventually(t, what+" on the other replica", func() bool {
		return other.do("GET", "/api/v1/auth/me", credential, nil).Status == http.StatusUnauthorized
	})
	t.Logf("%s: refused on the other replica %v after the change", what, took)
}

// accepted checks that every replica accepts credential (and so holds it
// in its cache).
func accepted(t *testing.T, what, credential string, replicas ...*testEnv) {
	t.Helper()
	for _, e := range replicas {
		for range 2 {
			expect(t, what, e.do("GET", "/api/v1/auth/me", credential, nil), http.StatusOK)
		}
	}
}

// TestReplicasRevokeCredentials: deactivating a user, changing a
// password, revoking an API key and deleting a user on replica A end what
// they revoke on A at once and on B within the propagation bound; the
// revoked user's other credentials are refused too, an untouched user's
// still work, and a reactivated user may log in again.
func TestReplicasRevokeCredentials(t *testing.T) {
	url := pgtest.URL(t)
	a, b := newReplica(t, url, Config{}), newReplica(t, url, Config{})
	admin := a.register("admin")
	bob, carl := a.register("bob"), a.register("carl")
	bobKey := a.newKey(bob.Token, "laptop", "read")
	carlKey := b.newKey(carl.Token, "ci", "write")
	accepted(t, "before any change", bob.Token, a, b)
	accepted(t, "before any change", bobKey, a, b)
	accepted(t, "before any change", carlKey, a, b)

	// An API key revoked on A.
	var keys []keyJSON
	a.do("GET", "/api/v1/keys", bob.Token, nil).JSON(t, &keys)
	expect(t, "revoke", a.do("DELETE", sprintf("/api/v1/keys/%d", keys[0].ID), bob.Token, nil), http.StatusNoContent)
	refusedOnBoth(t, "a revoked key", a, b, bobKey)
	accepted(t, "bob's token after revoking his key", bob.Token, a, b)

	// A user deactivated on B: their token and key refused everywhere.
	bobKey = a.newKey(bob.Token, "laptop-2", "read")
	accepted(t, "a new key", bobKey, a, b)
	expect(t, "deactivate", b.do("PATCH", sprintf("/api/v1/users/%d", bob.ID), admin.Token, map[string]any{"is_active": false}), http.StatusOK)
	refusedOnBoth(t, "a deactivated user's token", b, a, bob.Token)
	refusedOnBoth(t, "a deactivated user's key", b, a, bobKey)
	accepted(t, "another user's key", carlKey, a, b)
	expect(t, "reactivate", a.do("PATCH", sprintf("/api/v1/users/%d", bob.ID), admin.Token, map[string]any{"is_active": true}), http.StatusOK)
	bob.Token = b.login("bob", "password-bob")
	accepted(t, "a reactivated user's new token", bob.Token, a, b)

	// A password changed on A: earlier tokens refused, the new one works.
	old := bob.Token
	r := a.do("PATCH", "/api/v1/users/me", bob.Token, map[string]string{"password": "a-brand-new-password", "current_password": "password-bob"})
	expect(t, "change password", r, http.StatusOK)
	refusedOnBoth(t, "a token from before a password change", a, b, old)
	accepted(t, "a token after the change", b.login("bob", "a-brand-new-password"), a, b)

	// A user deleted on B.
	accepted(t, "carl before his deletion", carl.Token, a, b)
	expect(t, "delete", b.do("DELETE", sprintf("/api/v1/users/%d", carl.ID), admin.Token, nil), http.StatusNoContent)
	refusedOnBoth(t, "a deleted user's token", b, a, carl.Token)
	refusedOnBoth(t, "a deleted user's key", b, a, carlKey)
}

// TestReplicasRevokeWorkspaceAccess: a member removed from a workspace on
// A stops finding its documents on B (and on A at once); a document added
// to a workspace on B is found by its members on A.
func TestReplicasRevokeWorkspaceAccess(t *testing.T) {
	url := pgtest.URL(t)
	a, b := newReplica(t, url, Config{}), newReplica(t, url, Config{})
	a.register("admin")
	alice, bob := a.register("alice"), a.register("bob")
	var ws workspaceJSON
	r := a.do("POST", "/api/v1/workspaces", alice.Token, map[string]string{"name": "Research", "visibility": "members"})
	expect(t, "create workspace", r, http.StatusCreated)
	r.JSON(t, &ws)
	doc := a.ingest(alice.Token, file{"kestrel.md", []byte("# Kestrel\n\nThe kestrel nests by the old hangar roof.\n")})[0]
	expect(t, "bob joins", a.do("PUT", sprintf("/api/v1/workspaces/%d/members/%d", ws.ID, bob.ID), alice.Token,
		map[string]string{"access": "read"}), http.StatusOK)
	const q = "where does the kestrel nest"
	if found(b.searchTexts(bob.Token, q), "hangar") {
		t.Fatal("bob finds alice's document before it is in a workspace he sees")
	}
	expect(t, "add to workspace", b.do("PUT", sprintf("/api/v1/workspaces/%d/documents/%d", ws.ID, doc.ID), alice.Token, nil), http.StatusOK)
	if !found(b.searchTexts(bob.Token, q), "hangar") {
		t.Fatal("the document added on B is not found at once on B")
	}
	took := eventually(t, "the document added on B found on A", func() bool { return found(a.searchTexts(bob.Token, q), "hangar") })
	t.Logf("a document added to a workspace on B was found on A %v later", took)

	expect(t, "bob leaves", a.do("DELETE", sprintf("/api/v1/workspaces/%d/members/%d", ws.ID, bob.ID), alice.Token, nil), http.StatusOK)
	if found(a.searchTexts(bob.Token, q), "hangar") {
		t.Fatal("A still lets bob find a workspace's document after removing him")
	}
	took = eventually(t, "bob's access gone on B", func() bool {
		inWS := b.do("POST", "/api/v1/search", bob.Token, map[string]any{"query": q, "workspace_id": ws.ID})
		return !found(b.searchTexts(bob.Token, q), "hangar") && inWS.Status == http.StatusNotFound
	})
	t.Logf("a member removed on A lost access on B %v later", took)
}

// TestReplicasCloseSockets: a WebSocket open on replica B closes with 1008
// (policy violation) within a few seconds when its user is deactivated,
// deleted, or its API key revoked on replica A; a socket of a user nobody
// touched stays open.
func TestReplicasCloseSockets(t *testing.T) {
	url := pgtest.URL(t)
	a, b := newReplica(t, url, Config{}), newReplica(t, url, Config{})
	admin := a.register("admin")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	// open dials B with credential and returns a channel that receives how
	// the socket ended.
	open := func(credential string) (*websocket.Conn, chan error) {
		ws, _, err := b.wsDial(ctx, credential, "header")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.CloseNow() })
		ended := make(chan error, 1)
		go func() {
			_, _, err := ws.Read(ctx)
			ended <- err
		}()
		return ws, ended
	}
	bystander := a.register("bystander")
	_, stays := open(bystander.Token)
	for _, c := range []struct {
		name   string
		key    bool
		revoke func(u account, key uint64) response
	}{
		{"deactivated", false, func(u account, _ uint64) response {
			return a.do("PATCH", sprintf("/api/v1/users/%d", u.ID), admin.Token, map[string]bool{"is_active": false})
		}},
		{"deleted", false, func(u account, _ uint64) response {
			return a.do("DELETE", sprintf("/api/v1/users/%d", u.ID), admin.Token, nil)
		}},
		{"key revoked", true, func(u account, key uint64) response {
			return a.do("DELETE", sprintf("/api/v1/keys/%d", key), u.Token, nil)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := a.register("u" + strings.ReplaceAll(c.name, " ", ""))
			cred, keyID := u.Token, uint64(0)
			if c.key {
				var k newKeyJSON
				a.do("POST", "/api/v1/keys", u.Token, map[string]string{"name": "socket", "scope": "read"}).JSON(t, &k)
				cred, keyID = k.Key, k.ID
			}
			_, ended := open(cred)
			start := time.Now()
			if r := c.revoke(u, keyID); r.Status >= 300 {
				t.Fatalf("revoke on A: %d %s", r.Status, r.Body)
			}
			select {
			case err := <-ended:
				if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
					t.Errorf("the socket on B ended with %v, want close status 1008", err)
				}
				t.Logf("closed on B %v after the change on A", time.Since(start))
			case <-time.After(10 * time.Second):
				t.Error("the socket on B is still open 10 s after its credentials stopped on A")
			}
		})
	}
	select {
	case err := <-stays:
		t.Errorf("an untouched user's socket ended: %v", err)
	default:
	}
}
