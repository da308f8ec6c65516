package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/go-chi/chi/v5"
)

// The authorization matrix: every route of the router, enumerated with
// chi.Walk, against what each kind of caller may do with it. A route added
// later without an entry in authzRules fails TestAuthzRulesCoverEveryRoute,
// so nobody can forget to say who may call it.

// authzAccess says who may call a route.
type authzAccess int

const (
	authzPublic authzAccess = iota // anyone, without a token
	authzUser                      // any active user with a valid token
	authzAdmin                     // admins only; a plain user gets 403
	authzSocket                    // the WebSocket: checks the token itself before upgrading
)

// authzRule is what the matrix expects of one route.
type authzRule struct {
	access authzAccess
	// id names what the {id} segment is: "conversation", "document",
	// "key", "user" or "workspace" (and "workspace-document",
	// "workspace-member" for a workspace's documents and members, whose
	// {doc_id} and {user_id} the matrix fills); "" for routes without one.
	id   string
	body any // JSON body sent, nil for none
	// foreign is the status a plain user gets with another user's {id}
	// (admin routes: on the route at all).
	foreign int
	// shared is the status a plain user gets on a shared-library document,
	// or on a workspace shared with them for reading.
	shared int
	// own is the status of an allowed caller: the owner on their own {id},
	// an admin on admin routes, any user on routes without {id}. It is the
	// positive control showing that the refusals are not just a wrong path.
	own int
	// writes marks a route that changes or deletes: an API key of scope
	// read gets 403 there.
	writes bool
}

// authzRules holds one rule per "METHOD pattern" of the router.
var authzRules = map[string]authzRule{
	"GET /":               {access: authzPublic},
	"GET /assets/{name}":  {access: authzPublic},
	"GET /health":         {access: authzPublic},
	"GET /ready":          {access: authzPublic},
	"GET /metrics":        {access: authzAdmin, foreign: 403, own: 200},
	"GET /openapi.json":   {access: authzPublic},
	"GET /docs":           {access: authzPublic},
	"GET /api/v1/ws":      {access: authzSocket},
	"GET /api/v1/auth/me": {access: authzUser, own: 200},
	"GET /api/v1/users":   {access: authzAdmin, foreign: 403, own: 200},
	// An empty change: anyone may send it, and it leaves the account as it is.
	"PATCH /api/v1/users/me": {access: authzUser, own: 200, body: map[string]string{}, writes: true},
	"GET /api/v1/users/me":   {access: authzUser, own: 200},
	"GET /api/v1/users/{id}": {access: authzAdmin, id: "user", foreign: 403, own: 200},
	"PATCH /api/v1/users/{id}": {access: authzAdmin, id: "user", foreign: 403, own: 200,
		body: map[string]any{"is_active": true}, writes: true},
	"DELETE /api/v1/users/{id}":     {access: authzUser, id: "user", foreign: 404, own: 204, writes: true},
	"GET /api/v1/admin/backup":      {access: authzAdmin, foreign: 403, own: 200},
	"GET /api/v1/admin/check":       {access: authzAdmin, foreign: 403, own: 200},
	"GET /debug/pprof/*":            {access: authzAdmin, foreign: 403, own: 404}, // 404: off unless serve --pprof
	"POST /api/v1/auth/register":    {access: authzPublic},
	"GET /api/v1/auth/registration": {access: authzPublic},
	"POST /api/v1/users": {access: authzAdmin, foreign: 403, own: 201, writes: true,
		body: map[string]string{"username": "added-by-admin", "email": "added@example.com", "password": "a-long-password"}},
	"POST /api/v1/invites":           {access: authzAdmin, foreign: 403, own: 201, writes: true},
	"GET /api/v1/invites":            {access: authzAdmin, foreign: 403, own: 200},
	"DELETE /api/v1/invites/{id}":    {access: authzAdmin, id: "invite", foreign: 403, own: 204, writes: true},
	"POST /api/v1/auth/token":        {access: authzPublic},
	"GET /api/v1/conversations":      {access: authzUser, own: 200},
	"POST /api/v1/conversations":     {access: authzUser, own: 201, body: map[string]string{"title": "new"}},
	"GET /api/v1/conversations/{id}": {access: authzUser, id: "conversation", foreign: 404, own: 200},
	"PUT /api/v1/conversations/{id}": {access: authzUser, id: "conversation", foreign: 404, own: 200,
		body: map[string]string{"title": "renamed by the caller"}, writes: true},
	"DELETE /api/v1/conversations/{id}":       {access: authzUser, id: "conversation", foreign: 404, own: 204, writes: true},
	"GET /api/v1/conversations/{id}/messages": {access: authzUser, id: "conversation", foreign: 404, own: 200},
	"POST /api/v1/conversations/{id}/messages": {access: authzUser, id: "conversation", foreign: 404, own: 201,
		body: map[string]string{"content": "What is the zorblax reactor access code?"}},
	"POST /api/v1/documents":              {access: authzUser, own: 201, writes: true},
	"GET /api/v1/documents":               {access: authzUser, own: 200},
	"GET /api/v1/watches":                 {access: authzUser, own: 200},
	"GET /api/v1/documents/{id}":          {access: authzUser, id: "document", foreign: 404, shared: 200, own: 200},
	"GET /api/v1/documents/{id}/chunks":   {access: authzUser, id: "document", foreign: 404, shared: 200, own: 200},
	"DELETE /api/v1/documents/{id}":       {access: authzUser, id: "document", foreign: 404, shared: 403, own: 204, writes: true},
	"POST /api/v1/documents/{id}/analyze": {access: authzUser, id: "document", foreign: 404, shared: 200, own: 200},
	"POST /api/v1/ask":                    {access: authzUser, own: 200, body: map[string]any{"question": "zorblax reactor access code"}},
	"POST /api/v1/search":                 {access: authzUser, own: 200, body: map[string]any{"query": "zorblax reactor access code"}},
	"POST /api/v1/keys":                   {access: authzUser, own: 201, body: map[string]any{"name": "made in the matrix"}, writes: true},
	"GET /api/v1/keys":                    {access: authzUser, own: 200},
	"DELETE /api/v1/keys/{id}":            {access: authzUser, id: "key", foreign: 404, own: 204, writes: true},
	"GET /v1/models":                      {access: authzUser, own: 200},
	"POST /v1/chat/completions": {access: authzUser, own: 200, body: map[string]any{"model": "docent",
		"messages": []map[string]string{{"role": "user", "content": "What is the zorblax reactor access code?"}}}},
	// MCP: an initialize request over streamable HTTP; stateless, so no
	// event stream (GET) and no session to end (DELETE).
	"POST /mcp":                   {access: authzUser, own: 200, body: mcpInitialize},
	"GET /mcp":                    {access: authzUser, own: 405},
	"DELETE /mcp":                 {access: authzUser, own: 405},
	"GET /api/v1/workspaces":      {access: authzUser, own: 200},
	"POST /api/v1/workspaces":     {access: authzUser, own: 201, body: map[string]any{"name": "made in the matrix"}, writes: true},
	"GET /api/v1/workspaces/{id}": {access: authzUser, id: "workspace", foreign: 404, shared: 200, own: 200},
	"PATCH /api/v1/workspaces/{id}": {access: authzUser, id: "workspace", foreign: 404, shared: 403, own: 200,
		body: map[string]any{"visibility": "private"}, writes: true},
	"DELETE /api/v1/workspaces/{id}": {access: authzUser, id: "workspace", foreign: 404, shared: 403, own: 204, writes: true},
	"PUT /api/v1/workspaces/{id}/documents/{doc_id}": {access: authzUser, id: "workspace-document", foreign: 404, shared: 403, own: 200,
		writes: true},
	"DELETE /api/v1/workspaces/{id}/documents/{doc_id}": {access: authzUser, id: "workspace-document", foreign: 404, shared: 403, own: 200,
		writes: true},
	"PUT /api/v1/workspaces/{id}/members/{user_id}": {access: authzUser, id: "workspace-member", foreign: 404, shared: 403, own: 200,
		body: map[string]any{"access": "read"}, writes: true},
	"DELETE /api/v1/workspaces/{id}/members/{user_id}": {access: authzUser, id: "workspace-member", foreign: 404, shared: 403, own: 200,
		writes: true},
}

// routeKeys walks the router and returns its routes as "METHOD pattern",
// failing the test for any route without a rule and any rule without a route.
func routeKeys(t *testing.T, e *testEnv) []string {
	t.Helper()
	var keys []string
	chi.Walk(e.srv.Handler().(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		keys = append(keys, method+" "+route)
		return nil
	})
	for _, k := range keys {
		if _, ok := authzRules[k]; !ok {
			t.Errorf("%s is routed but has no entry in authzRules (api/authz_test.go): say who may call it", k)
		}
	}
	for k := range authzRules {
		if !slices.Contains(keys, k) {
			t.Errorf("authzRules has %s, which the router does not serve", k)
		}
	}
	if len(keys) < 20 {
		t.Fatalf("walked only %d routes", len(keys))
	}
	slices.Sort(keys)
	return keys
}

func TestAuthzRulesCoverEveryRoute(t *testing.T) {
	routeKeys(t, newTestEnv(t, Config{}))
}

// The markers are planted in ann's data; no body anyone else receives may
// contain one (compared case-insensitively).
const marker = "qxmk"

// authz is the state of the matrix: who exists, what they own, and every
// body a caller other than ann received.
type authz struct {
	t              *testing.T
	e              *testEnv
	admin, ann     account
	bob            account
	annConv        uint64 // ann's conversation with a question and an answer
	annSpareConv   uint64 // deleted by ann at the end
	annDoc         uint64 // ann's private document
	annSpareDoc    uint64
	sharedDoc      uint64 // the shared library's document
	bobConv        uint64
	bobDoc         uint64
	annWS          uint64     // ann's private workspace, named with the marker, holding annDoc
	annSpareWS     uint64     // deleted by ann at the end
	annTeam        uint64     // ann's workspace shared with bob for reading
	teamDoc        uint64     // ann's document in annTeam (no marker: bob may read it)
	annReadKey     newKeyJSON // named with the marker; it must survive bob
	annWriteKey    string
	annSpareKey    uint64 // revoked by ann at the end
	adminReadKey   string
	invite         uint64   // the admin's invite, withdrawn at the end
	strangerBodies []string // everything bob and anonymous callers were sent
	ownerBodies    []string // everything ann was sent
	uploads        int
}

// mcpInitialize is an MCP initialize request.
const mcpInitialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",` +
	`"capabilities":{},"clientInfo":{"name":"authz","version":"1"}}}`

// path fills a route pattern with an id. A workspace's {doc_id} is a
// document of it (ann's team workspace's for that one, ann's document for
// the others), its {user_id} bob.
func (a *authz) path(pattern string, id uint64) string {
	doc := a.annDoc
	if id == a.annTeam {
		doc = a.teamDoc
	}
	p := strings.ReplaceAll(pattern, "{id}", strconv.FormatUint(id, 10))
	p = strings.ReplaceAll(p, "{doc_id}", strconv.FormatUint(doc, 10))
	p = strings.ReplaceAll(p, "{user_id}", strconv.FormatUint(a.bob.ID, 10))
	return strings.ReplaceAll(p, "{name}", "app.0123456789.js")
}

// send calls a route as token (none if "") and records what came back.
func (a *authz) send(method, pattern string, rule authzRule, token string, id uint64, stranger bool) response {
	a.t.Helper()
	var r response
	if pattern == "/mcp" {
		var body io.Reader
		if method == "POST" {
			body = strings.NewReader(mcpInitialize)
		}
		req, _ := http.NewRequest(method, a.e.http.URL+pattern, body)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		r = a.e.send(req)
	} else if method == "POST" && pattern == "/api/v1/documents" {
		a.uploads++
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		w, _ := mw.CreateFormFile("file", sprintf("upload-%d.txt", a.uploads))
		w.Write([]byte(sprintf("Upload number %d of the authorization matrix, about ferns.\n", a.uploads)))
		mw.Close()
		req, _ := http.NewRequest(method, a.e.http.URL+pattern+"?wait=true", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		r = a.e.send(req)
	} else {
		r = a.e.do(method, a.path(pattern, id), token, rule.body)
	}
	if stranger {
		a.strangerBodies = append(a.strangerBodies, method+" "+pattern+" → "+string(r.Body))
	} else {
		a.ownerBodies = append(a.ownerBodies, string(r.Body))
	}
	return r
}

// problem decodes a problem body, failing unless the response is one
// (under /v1, OpenAI's error shape, read into a Problem).
func problemOf(t *testing.T, what string, r response) Problem {
	t.Helper()
	if strings.Contains(what, "/v1/") && !strings.Contains(what, "/api/v1/") {
		return openAIProblem(t, what, r)
	}
	var p Problem
	if r.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("%s: %d with content type %q, want application/problem+json", what, r.Status, r.Header.Get("Content-Type"))
	}
	if err := json.Unmarshal(r.Body, &p); err != nil || p.Status != r.Status || p.Detail == "" {
		t.Errorf("%s: not a problem body with status and detail: %s", what, r.Body)
	}
	p.RequestID = ""
	return p
}

// openAIProblem decodes an error in OpenAI's shape, failing unless the
// response is one.
func openAIProblem(t *testing.T, what string, r response) Problem {
	t.Helper()
	var e openAIError
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: %d with content type %q, want OpenAI's JSON error", what, r.Status, ct)
	}
	if err := json.Unmarshal(r.Body, &e); err != nil || e.Error.Message == "" || e.Error.Type == "" || e.Error.Code == "" {
		t.Errorf("%s: not an OpenAI error with message, type and code: %s", what, r.Body)
	}
	return Problem{Status: r.Status, Detail: e.Error.Message, Title: e.Error.Type, Type: e.Error.Code}
}

func newAuthz(t *testing.T) *authz { return newAuthzOn(t, newTestEnv(t, Config{})) }

// newAuthzOn fills e with ann's, bob's and the admin's data.
func newAuthzOn(t *testing.T, e *testEnv) *authz {
	a := &authz{t: t, e: e}
	a.admin = e.register("admin")
	a.ann = e.register(marker + "ann")
	a.bob = e.register("bob")

	r := e.do("POST", "/api/v1/conversations", a.ann.Token, map[string]string{"title": marker + "-title: reactor plans"})
	expect(t, "ann's conversation", r, http.StatusCreated)
	var c conversationJSON
	r.JSON(t, &c)
	a.annConv = c.ID
	docs := e.ingest(a.ann.Token,
		file{marker + "-file.md", []byte("# Zorblax reactor\n\nThe zorblax reactor access code is " + marker + "content 4417. " +
			"Only ann knows the zorblax reactor access code.\n")},
		file{marker + "-spare.txt", []byte("Spare notes " + marker + "spare about the zorblax laboratory and its reactor.\n")})
	a.annDoc, a.annSpareDoc = docs[0].ID, docs[1].ID
	r = e.do("POST", sprintf("/api/v1/conversations/%d/messages", a.annConv), a.ann.Token,
		map[string]string{"content": "What is the zorblax reactor access code " + marker + "question?"})
	expect(t, "ann's question", r, http.StatusCreated)
	if !strings.Contains(string(r.Body), marker+"content") {
		t.Fatalf("ann's own answer does not cite her document: %s", r.Body)
	}
	a.annSpareConv = e.conversation(a.ann.Token)
	e.do("PUT", sprintf("/api/v1/conversations/%d", a.annSpareConv), a.ann.Token, map[string]string{"title": marker + "-spare"})

	r = e.upload(a.admin.Token, "shared=true&wait=true", file{"handbook-shared.md", []byte(
		"# Vacation policy\n\nEmployees receive fifteen vacation days per year. Vacation requests go to the office manager.\n")})
	expect(t, "shared upload", r, http.StatusCreated)
	r.JSON(t, &docs)
	a.sharedDoc = docs[0].ID

	e.do("POST", "/api/v1/keys", a.ann.Token, map[string]string{"name": marker + "-key", "scope": "read"}).JSON(t, &a.annReadKey)
	a.annWriteKey = e.newKey(a.ann.Token, "ann's write key", "write")
	var spare newKeyJSON
	e.do("POST", "/api/v1/keys", a.ann.Token, map[string]string{"name": "spare", "scope": "write"}).JSON(t, &spare)
	a.annSpareKey = spare.ID
	a.adminReadKey = e.newKey(a.admin.Token, "admin's read key", "read")
	var inv inviteJSON
	e.do("POST", "/api/v1/invites", a.admin.Token, nil).JSON(t, &inv)
	a.invite = inv.ID

	a.annWS = a.workspace(a.ann.Token, marker+"-ws", "private", a.annDoc)
	a.annSpareWS = a.workspace(a.ann.Token, "spare", "private")
	a.teamDoc = e.ingest(a.ann.Token, file{"team-notes.md", []byte("# Team notes\n\nThe team meets on Mondays to water the ferns.\n")})[0].ID
	a.annTeam = a.workspace(a.ann.Token, "team", "members", a.teamDoc)
	expect(t, "bob reads ann's team", e.do("PUT", sprintf("/api/v1/workspaces/%d/members/%d", a.annTeam, a.bob.ID), a.ann.Token,
		map[string]string{"access": "read"}), 200)

	a.bobConv = e.conversation(a.bob.Token)
	a.bobDoc = e.ingest(a.bob.Token, file{"bob-notes.md", []byte("# Bob's notes\n\nBob waters the fern on Tuesdays.\n")})[0].ID
	return a
}

// workspace makes a workspace for token holding docs and returns its id.
func (a *authz) workspace(token, name, visibility string, docs ...uint64) uint64 {
	a.t.Helper()
	r := a.e.do("POST", "/api/v1/workspaces", token, map[string]string{"name": name, "visibility": visibility})
	expect(a.t, "workspace "+name, r, http.StatusCreated)
	var ws workspaceJSON
	r.JSON(a.t, &ws)
	for _, d := range docs {
		expect(a.t, "into "+name, a.e.do("PUT", sprintf("/api/v1/workspaces/%d/documents/%d", ws.ID, d), token, nil), 200)
	}
	return ws.ID
}

// annID is ann's id of the kind a route's {id} names.
func (a *authz) annID(kind string) uint64 {
	switch kind {
	case "conversation":
		return a.annConv
	case "document":
		return a.annDoc
	case "user":
		return a.ann.ID
	case "key":
		return a.annReadKey.ID
	case "invite":
		return a.invite
	case "workspace", "workspace-document", "workspace-member":
		return a.annWS
	}
	return 0
}

func TestAuthzMatrix(t *testing.T) { testAuthzMatrix(t, newAuthz(t)) }

// testAuthzMatrix calls every route as nobody, as a stranger to ann's
// data, with read keys and as the owner, over a's server.
func testAuthzMatrix(t *testing.T, a *authz) {
	e := a.e
	keys := routeKeys(t, e)
	const missing = 987654

	for _, key := range keys {
		rule := authzRules[key]
		method, pattern, _ := strings.Cut(key, " ")
		id := a.annID(rule.id)

		// Nobody: 401 on every route that is not public, with or without a broken token.
		for _, tok := range []string{"", "x.y.z"} {
			r := a.send(method, pattern, rule, tok, id, true)
			what := sprintf("%s with token %q", key, tok)
			switch rule.access {
			case authzPublic:
				if r.Status == http.StatusUnauthorized || r.Status >= 500 {
					t.Errorf("%s: public route answered %d", what, r.Status)
				}
			default:
				want(t, what, r, http.StatusUnauthorized)
				problemOf(t, what, r)
				if r.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("%s: 401 without WWW-Authenticate", what)
				}
			}
		}

		// Bob, a plain user.
		switch rule.access {
		case authzPublic:
			if r := a.send(method, pattern, rule, a.bob.Token, id, true); r.Status >= 500 {
				t.Errorf("%s as bob: %d", key, r.Status)
			}
		case authzAdmin:
			r := a.send(method, pattern, rule, a.bob.Token, id, true)
			want(t, key+" as a plain user", r, rule.foreign)
			problemOf(t, key+" as a plain user", r)
		case authzUser:
			if rule.id == "" {
				r := a.send(method, pattern, rule, a.bob.Token, 0, true)
				want(t, key+" as bob", r, rule.own)
				continue
			}
			foreign := a.send(method, pattern, rule, a.bob.Token, id, true)
			want(t, key+" with ann's id as bob", foreign, rule.foreign)
			// The refusal must not tell ann's ids from ids that do not exist.
			absent := a.send(method, pattern, rule, a.bob.Token, missing, true)
			pf, pa := problemOf(t, key+" foreign", foreign), problemOf(t, key+" missing", absent)
			if foreign.Status != absent.Status || !equalProblems(pf, pa) {
				t.Errorf("%s tells ann's id (%d %s) from a missing one (%d %s)", key, foreign.Status, foreign.Body, absent.Status, absent.Body)
			}
			if rule.id == "document" {
				r := a.send(method, pattern, rule, a.bob.Token, a.sharedDoc, true)
				want(t, key+" on the shared library as bob", r, rule.shared)
			}
			if strings.HasPrefix(rule.id, "workspace") {
				r := a.send(method, pattern, rule, a.bob.Token, a.annTeam, true)
				want(t, key+" on a workspace shared with bob for reading", r, rule.shared)
			}
		}
	}
	a.socketAsBob()
	a.mcpAsBob()
	a.annIsIntact(2)
	a.bobSeesOnlyHisOwnAndShared()
	a.searchAndChatNeverCiteAnn()

	for _, b := range a.strangerBodies {
		if strings.Contains(strings.ToLower(b), marker) {
			t.Errorf("a caller other than ann received ann's data: %.600s", b)
		}
	}

	a.readKeysOnlyRead(keys)
	a.annIsIntact(4) // the read key asked one question more
	a.ownersMayUseEveryRoute(keys)
	for _, m := range []string{"ann", "-title", "content", "question", "-file", "-key", "-ws"} {
		if !slices.ContainsFunc(a.ownerBodies, func(b string) bool { return strings.Contains(b, marker+m) }) {
			t.Errorf("ann never saw her own %q marker: the leak check proves nothing about it", marker+m)
		}
	}
}

// want reports, without stopping the test, a response whose status is not status.
func want(t *testing.T, what string, r response, status int) bool {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: status %d, want %d; body %.300s", what, r.Status, status, r.Body)
		return false
	}
	return true
}

func equalProblems(a, b Problem) bool {
	return a.Status == b.Status && a.Detail == b.Detail && a.Title == b.Title && a.Type == b.Type && slices.Equal(a.Errors, b.Errors)
}

// socketAsBob: bob's WebSocket refuses ann's conversation as not found and
// his own answers never cite ann's documents.
func (a *authz) socketAsBob() {
	t := a.t
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	c, _, err := a.e.wsDial(ctx, a.bob.Token, "header")
	if err != nil {
		t.Fatalf("bob's WebSocket: %v", err)
	}
	defer c.CloseNow()
	read := func() wsFrameIn {
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		a.strangerBodies = append(a.strangerBodies, "ws → "+string(data))
		var f wsFrameIn
		json.Unmarshal(data, &f)
		return f
	}
	wsjson.Write(ctx, c, map[string]any{"type": "chat", "conversation_id": a.annConv, "content": "What is the zorblax reactor access code?"})
	if f := read(); f.Type != "error" || f.Detail != "conversation not found" {
		t.Errorf("bob chats in ann's conversation over the WebSocket: %+v", f)
	}
	wsjson.Write(ctx, c, map[string]any{"type": "chat", "conversation_id": a.bobConv, "content": "What is the zorblax reactor access code?",
		"document_ids": []uint64{a.annDoc}})
	if f := read(); f.Type != "error" || f.Detail != "document not found" {
		t.Errorf("bob restricts a WebSocket question to ann's document: %+v", f)
	}
	for _, q := range []string{"What is the zorblax reactor access code?", "How many vacation days do employees get?"} {
		wsjson.Write(ctx, c, map[string]any{"type": "chat", "conversation_id": a.bobConv, "content": q})
		for {
			f := read()
			for _, s := range f.Sources {
				if s.DocumentID == a.annDoc || s.DocumentID == a.annSpareDoc {
					t.Errorf("bob's WebSocket answer cites ann's document: %+v", s)
				}
			}
			if f.Type == "chat_response" || f.Type == "error" {
				if f.Type == "error" {
					t.Errorf("WebSocket question %q: %+v", q, f)
				}
				break
			}
		}
	}
	c.Close(websocket.StatusNormalClosure, "")
}

// annIsIntact: nothing bob (or a read key) tried changed ann's data; her
// conversation holds messages messages.
func (a *authz) annIsIntact(messages int) {
	t, e := a.t, a.e
	var full conversationWithMessages
	e.do("GET", sprintf("/api/v1/conversations/%d", a.annConv), a.ann.Token, nil).JSON(t, &full)
	if full.Title != marker+"-title: reactor plans" || len(full.Messages) != messages {
		t.Errorf("bob's attempts changed ann's conversation: %+v", full)
	}
	for _, id := range []uint64{a.annDoc, a.annSpareDoc} {
		want(t, "ann's document after bob", e.do("GET", sprintf("/api/v1/documents/%d", id), a.ann.Token, nil), 200)
	}
	want(t, "ann's token after bob", e.do("GET", "/api/v1/auth/me", a.ann.Token, nil), 200)
	want(t, "shared document after bob", e.do("GET", sprintf("/api/v1/documents/%d", a.sharedDoc), a.ann.Token, nil), 200)
}

// bobSeesOnlyHisOwnAndShared: bob's lists, with any paging, hold only his
// things and the shared library.
func (a *authz) bobSeesOnlyHisOwnAndShared() {
	t := a.t
	annConvs := []uint64{a.annConv, a.annSpareConv}
	annDocs := []uint64{a.annDoc, a.annSpareDoc}
	for _, q := range []string{"", "?limit=1000", "?skip=0&limit=1", "?skip=1"} {
		r := a.send("GET", "/api/v1/conversations"+q, authzRule{}, a.bob.Token, 0, true)
		var convs []conversationJSON
		r.JSON(t, &convs)
		for _, c := range convs {
			if slices.Contains(annConvs, c.ID) {
				t.Errorf("bob's conversations%s list ann's %d", q, c.ID)
			}
		}
		r = a.send("GET", "/api/v1/documents"+q, authzRule{}, a.bob.Token, 0, true)
		var docs []documentJSON
		r.JSON(t, &docs)
		for _, d := range docs {
			if slices.Contains(annDocs, d.ID) {
				t.Errorf("bob's documents%s list ann's %d", q, d.ID)
			}
		}
	}
	var docs []documentJSON
	a.send("GET", "/api/v1/documents", authzRule{}, a.bob.Token, 0, true).JSON(t, &docs)
	ids := []uint64{}
	for _, d := range docs {
		ids = append(ids, d.ID)
	}
	if !slices.Contains(ids, a.bobDoc) || !slices.Contains(ids, a.sharedDoc) {
		t.Errorf("bob's documents %v lack his own %d or the shared %d", ids, a.bobDoc, a.sharedDoc)
	}
	var msgs []messageJSON
	a.send("GET", sprintf("/api/v1/conversations/%d/messages", a.bobConv), authzRule{}, a.bob.Token, 0, true).JSON(t, &msgs)
	for _, m := range msgs {
		if m.ConversationID != a.bobConv {
			t.Errorf("bob's messages hold another conversation's message: %+v", m)
		}
	}
	want(t, "bob lists users", a.send("GET", "/api/v1/users", authzRule{}, a.bob.Token, 0, true), http.StatusForbidden)
}

// searchAndChatNeverCiteAnn: bob's searches (every mode) and answers (JSON
// and streamed) never come from ann's documents but do from the shared
// library; naming ann's document is 404, naming the shared one works.
func (a *authz) searchAndChatNeverCiteAnn() {
	t, e := a.t, a.e
	annDocs := []uint64{a.annDoc, a.annSpareDoc}
	search := func(body map[string]any) []sourceJSON {
		r := a.send("POST", "/api/v1/search", authzRule{body: body}, a.bob.Token, 0, true)
		want(t, sprintf("search %v", body), r, 200)
		var res struct{ Results []sourceJSON }
		r.JSON(t, &res)
		for _, s := range res.Results {
			if slices.Contains(annDocs, s.DocumentID) {
				t.Errorf("bob's search %v finds ann's document: %+v", body, s)
			}
		}
		return res.Results
	}
	for _, mode := range []string{"", "hybrid", "vector", "keyword"} {
		search(map[string]any{"query": "zorblax reactor access code laboratory", "mode": mode, "top_k": 100})
		res := search(map[string]any{"query": "how many vacation days per year", "mode": mode})
		if len(res) == 0 || res[0].DocumentID != a.sharedDoc {
			t.Errorf("bob's %q search misses the shared library: %+v", mode, res)
		}
	}
	res := search(map[string]any{"query": "vacation days", "document_ids": []uint64{a.sharedDoc}})
	if len(res) == 0 {
		t.Error("bob's search restricted to the shared document finds nothing")
	}
	for _, id := range annDocs {
		r := a.send("POST", "/api/v1/search", authzRule{body: map[string]any{"query": "zorblax", "document_ids": []uint64{a.sharedDoc, id}}}, a.bob.Token, 0, true)
		want(t, "bob's search restricted to ann's document", r, http.StatusNotFound)
	}

	path := sprintf("/api/v1/conversations/%d/messages", a.bobConv)
	ask := func(body map[string]any) messageJSON {
		r := a.send("POST", path, authzRule{body: body}, a.bob.Token, 0, true)
		want(t, sprintf("bob asks %v", body), r, http.StatusCreated)
		var x struct {
			AssistantMessage messageJSON `json:"assistant_message"`
		}
		r.JSON(t, &x)
		for _, s := range *x.AssistantMessage.Sources {
			if slices.Contains(annDocs, s.DocumentID) {
				t.Errorf("bob's answer cites ann's document: %+v", s)
			}
		}
		return x.AssistantMessage
	}
	ask(map[string]any{"content": "What is the zorblax reactor access code?", "top_k": 100})
	m := ask(map[string]any{"content": "How many vacation days do employees get per year?"})
	if len(*m.Sources) == 0 || (*m.Sources)[0].DocumentID != a.sharedDoc {
		t.Errorf("bob's answer does not cite the shared library: %+v", m)
	}
	r := a.send("POST", path, authzRule{body: map[string]any{"content": "zorblax?", "document_ids": []uint64{a.annDoc}}}, a.bob.Token, 0, true)
	want(t, "bob asks about ann's document", r, http.StatusNotFound)

	for _, ev := range e.streamQuestion(t.Context(), a.bob.Token, a.bobConv, "Tell me the zorblax reactor access code", nil) {
		a.strangerBodies = append(a.strangerBodies, "sse "+ev.Name+" → "+string(ev.Data))
		if ev.Name == "error" {
			t.Errorf("bob's streamed question: %s", ev.Data)
		}
	}
}

// readKeysOnlyRead: an API key of scope read gets 403 on every route that
// changes or deletes, before anything happens, and what a token gets on
// every other route (ann's own ids; admin routes with the admin's key).
func (a *authz) readKeysOnlyRead(keys []string) {
	t := a.t
	for _, key := range keys {
		rule := authzRules[key]
		method, pattern, _ := strings.Cut(key, " ")
		if rule.access == authzPublic || rule.access == authzSocket {
			continue
		}
		token, id := a.annReadKey.Key, a.annID(rule.id)
		if rule.access == authzAdmin {
			token, id = a.adminReadKey, a.bob.ID
		}
		status := rule.own
		if rule.writes {
			status = http.StatusForbidden
		}
		r := a.send(method, pattern, rule, token, id, false)
		if want(t, key+" with a read key", r, status) && rule.writes {
			if p := problemOf(t, key+" with a read key", r); !strings.Contains(p.Detail, "scope") {
				t.Errorf("%s with a read key: the refusal %q does not name the scope", key, p.Detail)
			}
		}
	}
}

// ownersMayUseEveryRoute is the positive control: ann on her own ids, the
// admin on admin routes, get what the rules say; deletions come last.
func (a *authz) ownersMayUseEveryRoute(keys []string) {
	t := a.t
	var deletes []string
	for _, key := range keys {
		rule := authzRules[key]
		method, pattern, _ := strings.Cut(key, " ")
		switch {
		case rule.access == authzPublic || rule.access == authzSocket:
			continue
		case method == "DELETE":
			deletes = append(deletes, key)
			continue
		}
		// ann's calls alternate her token and her write key: each works everywhere.
		token, id := a.ann.Token, a.annID(rule.id)
		if len(deletes)%2 == 1 {
			token = a.annWriteKey
		}
		if rule.access == authzAdmin {
			token, id = a.admin.Token, a.bob.ID
		}
		want(t, key+" by its owner", a.send(method, pattern, rule, token, id, false), rule.own)
	}
	c, _, err := a.e.wsDial(t.Context(), a.ann.Token, "subprotocol")
	if err != nil {
		t.Errorf("ann's WebSocket: %v", err)
	} else {
		c.Close(websocket.StatusNormalClosure, "")
	}
	// A workspace's documents and members before the workspace, and
	// everything before the account itself.
	order := func(k string) string {
		if id := authzRules[k].id; id != "user" {
			return "0 " + strings.TrimPrefix(strings.TrimPrefix(id, "workspace-"), "workspace")
		}
		return "1"
	}
	slices.SortFunc(deletes, func(x, y string) int { return strings.Compare(order(x), order(y)) })
	for _, key := range deletes {
		rule := authzRules[key]
		_, pattern, _ := strings.Cut(key, " ")
		id := map[string]uint64{"conversation": a.annSpareConv, "document": a.annSpareDoc, "key": a.annSpareKey, "user": a.ann.ID,
			"invite": a.invite, "workspace": a.annSpareWS, "workspace-document": a.annWS, "workspace-member": a.annWS}[rule.id]
		token := a.ann.Token
		if rule.access == authzAdmin {
			token = a.admin.Token
		}
		want(t, key+" by its owner", a.send("DELETE", pattern, rule, token, id, false), rule.own)
	}
}
