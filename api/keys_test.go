package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// newKey makes an API key for token's user and returns the key.
func (e *testEnv) newKey(token, name, scope string) string {
	e.t.Helper()
	r := e.do("POST", "/api/v1/keys", token, map[string]string{"name": name, "scope": scope})
	expect(e.t, "create key "+name, r, http.StatusCreated)
	var k newKeyJSON
	r.JSON(e.t, &k)
	return k.Key
}

func TestAPIKeyLifecycle(t *testing.T) {
	e := newTestEnv(t, Config{})
	admin := e.register("admin")
	ann := e.register("ann")
	e.ingest(ann.Token, campingGuide)

	r := e.do("POST", "/api/v1/keys", ann.Token, map[string]string{"name": "laptop", "scope": "read"})
	expect(t, "create", r, http.StatusCreated)
	var made newKeyJSON
	r.JSON(t, &made)
	if !strings.HasPrefix(made.Key, "dk_") || len(made.Key) < 3+22 || !strings.HasPrefix(made.Key, made.Prefix) ||
		made.Name != "laptop" || made.Scope != "read" || made.LastUsedAt != nil || made.UserID != ann.ID {
		t.Fatalf("created key: %+v", made)
	}
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Error("the answer holding a key may be cached")
	}

	// The key works wherever a token does.
	me := e.do("GET", "/api/v1/auth/me", made.Key, nil)
	expect(t, "me with the key", me, 200)
	var u userJSON
	me.JSON(t, &u)
	if u.ID != ann.ID {
		t.Errorf("the key answers as %+v", u)
	}
	res := e.do("POST", "/api/v1/search", made.Key, map[string]any{"query": "how long to boil water"})
	expect(t, "search with the key", res, 200)
	if !strings.Contains(string(res.Body), "boil") {
		t.Errorf("search with the key: %s", res.Body)
	}
	expect(t, "ask with the key", e.do("POST", "/api/v1/ask", made.Key, map[string]any{"question": "How heavy is the Osprey tent?"}), 200)

	// Listed without the key, with when it was last used.
	var keys []keyJSON
	list := e.do("GET", "/api/v1/keys", ann.Token, nil)
	list.JSON(t, &keys)
	if len(keys) != 1 || keys[0].LastUsedAt == nil || time.Since(*keys[0].LastUsedAt) > time.Minute || keys[0].Prefix != made.Prefix {
		t.Errorf("ann's keys: %+v", keys)
	}
	if strings.Contains(string(list.Body), made.Key) || strings.Contains(string(list.Body), `"key"`) || strings.Contains(string(list.Body), "hash") {
		t.Errorf("the list shows the key or its hash: %s", list.Body)
	}

	// Only admins list everyone's; the list never holds a key.
	expect(t, "ann lists all keys", e.do("GET", "/api/v1/keys?all=true", ann.Token, nil), http.StatusForbidden)
	all := e.do("GET", "/api/v1/keys?all=true", admin.Token, nil)
	expect(t, "admin lists all keys", all, 200)
	if !strings.Contains(string(all.Body), made.Prefix) || strings.Contains(string(all.Body), made.Key) {
		t.Errorf("admin's list of every key: %s", all.Body)
	}
	if body := string(e.do("GET", "/api/v1/keys", admin.Token, nil).Body); strings.Contains(body, made.Prefix) {
		t.Errorf("admin's own list holds ann's key: %s", body)
	}

	// Revoked: 401 at once, everywhere.
	expect(t, "revoke", e.do("DELETE", sprintf("/api/v1/keys/%d", made.ID), ann.Token, nil), http.StatusNoContent)
	for _, path := range []string{"/api/v1/auth/me", "/api/v1/documents", "/api/v1/keys"} {
		expect(t, path+" with the revoked key", e.do("GET", path, made.Key, nil), http.StatusUnauthorized)
	}
	expect(t, "revoking again", e.do("DELETE", sprintf("/api/v1/keys/%d", made.ID), ann.Token, nil), http.StatusNotFound)
}

func TestAPIKeyStopsWithItsUser(t *testing.T) {
	e := newTestEnv(t, Config{})
	admin := e.register("admin")
	cases := []struct {
		name   string
		revoke func(u account)
	}{
		{"deactivated", func(u account) {
			expect(t, "deactivate", e.do("PATCH", sprintf("/api/v1/users/%d", u.ID), admin.Token, map[string]any{"is_active": false}), 200)
		}},
		{"deactivated and reactivated", func(u account) {
			e.do("PATCH", sprintf("/api/v1/users/%d", u.ID), admin.Token, map[string]any{"is_active": false})
			expect(t, "reactivate", e.do("PATCH", sprintf("/api/v1/users/%d", u.ID), admin.Token, map[string]any{"is_active": true}), 200)
		}},
		{"password changed", func(u account) {
			expect(t, "new password", e.do("PATCH", "/api/v1/users/me", u.Token,
				map[string]string{"password": "a-brand-new-password", "current_password": "password-" + u.Name}), 200)
		}},
		{"deleted", func(u account) {
			expect(t, "delete", e.do("DELETE", sprintf("/api/v1/users/%d", u.ID), admin.Token, nil), http.StatusNoContent)
		}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := e.register(sprintf("user%d", i))
			key := e.newKey(u.Token, "script", "write")
			expect(t, "before", e.do("GET", "/api/v1/auth/me", key, nil), 200)
			c.revoke(u)
			expect(t, "after", e.do("GET", "/api/v1/auth/me", key, nil), http.StatusUnauthorized)
			_, resp, err := e.wsDial(t.Context(), key, "query")
			if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("WebSocket with the key after: %v %v", err, resp)
			}
		})
	}
}

func TestReadKeyCannotWrite(t *testing.T) {
	e := newTestEnv(t, Config{})
	ann := e.register("ann")
	doc := e.ingest(ann.Token, campingGuide)[0]
	conv := e.conversation(ann.Token)
	read, write := e.newKey(ann.Token, "reader", "read"), e.newKey(ann.Token, "writer", "write")

	r := e.upload(read, "wait=true", file{"notes.txt", []byte("Notes about ferns.\n")})
	expect(t, "upload with a read key", r, http.StatusForbidden)
	if !strings.Contains(r.Detail(), "scope") {
		t.Errorf("the refusal does not say why: %q", r.Detail())
	}
	expect(t, "delete with a read key", e.do("DELETE", sprintf("/api/v1/documents/%d", doc.ID), read, nil), http.StatusForbidden)
	expect(t, "new key with a read key", e.do("POST", "/api/v1/keys", read, map[string]string{"name": "more"}), http.StatusForbidden)
	expect(t, "rename with a read key", e.do("PUT", sprintf("/api/v1/conversations/%d", conv), read, map[string]string{"title": "x"}), http.StatusForbidden)
	expect(t, "password with a read key", e.do("PATCH", "/api/v1/users/me", read, map[string]string{"email": "x@example.com"}), http.StatusForbidden)
	expect(t, "the document is still there", e.do("GET", sprintf("/api/v1/documents/%d", doc.ID), ann.Token, nil), 200)

	// Reading and asking are what a read key is for, in a conversation too.
	expect(t, "list with a read key", e.do("GET", "/api/v1/documents", read, nil), 200)
	expect(t, "ask in a conversation with a read key", e.do("POST", sprintf("/api/v1/conversations/%d/messages", conv), read,
		map[string]string{"content": "How heavy is the Osprey tent?"}), http.StatusCreated)

	r = e.upload(write, "wait=true", file{"notes.txt", []byte("Notes about ferns.\n")})
	expect(t, "upload with a write key", r, http.StatusCreated)
	expect(t, "delete with a write key", e.do("DELETE", sprintf("/api/v1/documents/%d", doc.ID), write, nil), http.StatusNoContent)
}

func TestKeyValidationAndOwnership(t *testing.T) {
	e := newTestEnv(t, Config{})
	admin := e.register("admin")
	ann, bob := e.register("ann"), e.register("bob")
	for name, body := range map[string]any{
		"no name":     map[string]string{"scope": "read"},
		"blank name":  map[string]string{"name": "  "},
		"long name":   map[string]string{"name": strings.Repeat("k", 101)},
		"bad scope":   map[string]string{"name": "k", "scope": "admin"},
		"extra field": map[string]string{"name": "k", "key": "dk_chosen"},
	} {
		if r := e.do("POST", "/api/v1/keys", ann.Token, body); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	var k newKeyJSON
	e.do("POST", "/api/v1/keys", ann.Token, map[string]string{"name": "default scope"}).JSON(t, &k)
	if k.Scope != "read" {
		t.Errorf("a key made without a scope has scope %q, want read", k.Scope)
	}
	expect(t, "bob revokes ann's key", e.do("DELETE", sprintf("/api/v1/keys/%d", k.ID), bob.Token, nil), http.StatusNotFound)
	expect(t, "ann's key still works", e.do("GET", "/api/v1/auth/me", k.Key, nil), 200)
	expect(t, "admin revokes ann's key", e.do("DELETE", sprintf("/api/v1/keys/%d", k.ID), admin.Token, nil), http.StatusNoContent)
	expect(t, "ann's key after the admin", e.do("GET", "/api/v1/auth/me", k.Key, nil), http.StatusUnauthorized)
	for _, forged := range []string{"dk_", "dk_" + strings.Repeat("0", 43), k.Key + "x", strings.ToUpper(k.Key)} {
		expect(t, "forged key "+forged, e.do("GET", "/api/v1/auth/me", forged, nil), http.StatusUnauthorized)
	}
}

// A key revoked while its WebSocket is open stops the next question.
func TestRevokedKeyStopsAnOpenWebSocket(t *testing.T) {
	e := newTestEnv(t, Config{})
	ann := e.register("ann")
	conv := e.conversation(ann.Token)
	var k newKeyJSON
	e.do("POST", "/api/v1/keys", ann.Token, map[string]string{"name": "socket"}).JSON(t, &k)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, _, err := e.wsDial(ctx, k.Key, "subprotocol")
	if err != nil {
		t.Fatalf("WebSocket with a key: %v", err)
	}
	defer c.CloseNow()
	expect(t, "revoke", e.do("DELETE", sprintf("/api/v1/keys/%d", k.ID), ann.Token, nil), http.StatusNoContent)
	wsjson.Write(ctx, c, map[string]any{"type": "chat", "conversation_id": conv, "content": "still there?"})
	var f wsFrameIn
	if err := wsjson.Read(ctx, c, &f); err == nil && (f.Type != "error" || !strings.Contains(f.Detail, "not authenticated")) {
		t.Errorf("after revocation the open socket answered %+v", f)
	}
	c.Close(websocket.StatusNormalClosure, "")
}
