package api

import (
	"net/http"
	"strings"
	"testing"
)

func TestConversationCRUD(t *testing.T) {
	e := newTestEnv(t, Config{})
	ann := e.register("ann")

	r := e.do("POST", "/api/v1/conversations", ann.Token, map[string]string{"title": "Taxes"})
	expect(t, "create", r, http.StatusCreated)
	var taxes conversationJSON
	r.JSON(t, &taxes)
	r = e.do("POST", "/api/v1/conversations", ann.Token, nil)
	expect(t, "create without body", r, http.StatusCreated)
	var untitled conversationJSON
	r.JSON(t, &untitled)

	expect(t, "too long title", e.do("POST", "/api/v1/conversations", ann.Token, map[string]string{"title": strings.Repeat("x", 201)}), 422)

	base := sprintf("/api/v1/conversations/%d", taxes.ID)
	expect(t, "empty content", e.do("POST", base+"/messages", ann.Token, map[string]string{"content": "  "}), 422)
	for _, q := range []string{"first question", "second question"} {
		r := e.do("POST", base+"/messages", ann.Token, map[string]string{"content": q})
		if r.Status >= 500 && r.Status != http.StatusNotImplemented {
			t.Fatalf("post message: %d %s", r.Status, r.Body)
		}
	}
	r = e.do("GET", "/api/v1/conversations", ann.Token, nil)
	var list []conversationJSON
	r.JSON(t, &list)
	if len(list) != 2 || list[0].ID != taxes.ID {
		t.Errorf("list not most recently active first: %+v", list)
	}
	r = e.do("GET", "/api/v1/conversations?skip=1&limit=1", ann.Token, nil)
	r.JSON(t, &list)
	if len(list) != 1 || list[0].ID != untitled.ID {
		t.Errorf("skip/limit: %+v", list)
	}

	r = e.do("GET", base+"/messages", ann.Token, nil)
	expect(t, "messages", r, 200)
	var msgs []messageJSON
	r.JSON(t, &msgs)
	if len(msgs) < 2 || msgs[0].Content != "first question" || msgs[0].Role != "user" {
		t.Fatalf("messages oldest first: %s", r.Body)
	}
	r = e.do("GET", base+"/messages?skip=1&limit=1", ann.Token, nil)
	r.JSON(t, &msgs)
	if len(msgs) != 1 || msgs[0].Content == "first question" {
		t.Errorf("message paging: %s", r.Body)
	}

	r = e.do("GET", base, ann.Token, nil)
	expect(t, "get", r, 200)
	var full conversationWithMessages
	r.JSON(t, &full)
	if full.Title != "Taxes" || len(full.Messages) < 2 {
		t.Errorf("conversation with messages: %s", r.Body)
	}

	r = e.do("PUT", base, ann.Token, map[string]string{"title": "Tax 2025"})
	expect(t, "rename", r, 200)
	var renamed conversationJSON
	r.JSON(t, &renamed)
	if renamed.Title != "Tax 2025" || !renamed.UpdatedAt.After(taxes.UpdatedAt) {
		t.Errorf("rename: %+v", renamed)
	}
	expect(t, "rename to empty", e.do("PUT", base, ann.Token, map[string]string{"title": ""}), 422)

	expect(t, "delete", e.do("DELETE", base, ann.Token, nil), http.StatusNoContent)
	expect(t, "get deleted", e.do("GET", base, ann.Token, nil), 404)
	expect(t, "messages of deleted", e.do("GET", base+"/messages", ann.Token, nil), 404)
	expect(t, "malformed id", e.do("GET", "/api/v1/conversations/abc", ann.Token, nil), 404)
}

func TestForeignConversationIs404OnEveryRoute(t *testing.T) {
	e := newTestEnv(t, Config{})
	ann := e.register("ann")
	bob := e.register("bob")
	r := e.do("POST", "/api/v1/conversations", ann.Token, map[string]string{"title": "private plans"})
	var c conversationJSON
	r.JSON(t, &c)
	e.do("POST", sprintf("/api/v1/conversations/%d/messages", c.ID), ann.Token, map[string]string{"content": "my secret question"})

	path := sprintf("/api/v1/conversations/%d", c.ID)
	routes := []struct {
		method, path string
		body         any
	}{
		{"GET", path, nil},
		{"PUT", path, map[string]string{"title": "stolen"}},
		{"DELETE", path, nil},
		{"GET", path + "/messages", nil},
		{"POST", path + "/messages", map[string]string{"content": "hi"}},
	}
	for _, rt := range routes {
		r := e.do(rt.method, rt.path, bob.Token, rt.body)
		expect(t, rt.method+" "+rt.path, r, http.StatusNotFound)
		if strings.Contains(string(r.Body), "secret") || strings.Contains(string(r.Body), "private") {
			t.Errorf("%s %s leaks ann's data: %s", rt.method, rt.path, r.Body)
		}
	}
	r = e.do("GET", "/api/v1/conversations", bob.Token, nil)
	if strings.TrimSpace(string(r.Body)) != "[]" {
		t.Errorf("bob's list shows ann's conversation: %s", r.Body)
	}
	r = e.do("GET", path, ann.Token, nil)
	var full conversationWithMessages
	r.JSON(t, &full)
	if full.Title != "private plans" || len(full.Messages) != 2 {
		t.Errorf("bob's attempts changed ann's conversation: %s", r.Body)
	}
}

func TestDeletingUserDeletesConversations(t *testing.T) {
	e := newTestEnv(t, Config{})
	e.register("admin")
	bob := e.register("bob")
	r := e.do("POST", "/api/v1/conversations", bob.Token, map[string]string{"title": "t"})
	var c conversationJSON
	r.JSON(t, &c)
	e.do("POST", sprintf("/api/v1/conversations/%d/messages", c.ID), bob.Token, map[string]string{"content": "q"})
	expect(t, "delete self", e.do("DELETE", sprintf("/api/v1/users/%d", bob.ID), bob.Token, nil), http.StatusNoContent)
	if _, err := e.db.Messages(t.Context(), bob.ID, c.ID, 0, 0); err == nil {
		t.Error("conversation of a deleted user still readable in the store")
	}
}
