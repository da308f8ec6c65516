package api

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// teamWorld is alice's workspace "Research", shared with bob for reading
// and not with carol, holding alice's report; alice also keeps a private
// diary outside it.
type teamWorld struct {
	e                   *testEnv
	admin               account
	alice, bob, carol   account
	team                workspaceJSON
	report, diary, bobs documentJSON
}

const reportSecret = "The Kestrel project's launch code is amber-falcon-77."

func newTeamWorld(t *testing.T) *teamWorld {
	e := newTestEnv(t, Config{})
	w := &teamWorld{e: e, admin: e.register("admin"), alice: e.register("alice"), bob: e.register("bob"), carol: e.register("carol")}
	r := e.do("POST", "/api/v1/workspaces", w.alice.Token, map[string]string{"name": "Research", "visibility": "members"})
	expect(t, "create", r, http.StatusCreated)
	r.JSON(t, &w.team)
	if w.team.Name != "Research" || w.team.Visibility != "members" || w.team.OwnerID != w.alice.ID || w.team.Access != "write" || len(w.team.Documents) != 0 {
		t.Fatalf("created workspace: %+v", w.team)
	}
	r = e.upload(w.alice.Token, sprintf("wait=true&workspace=%d", w.team.ID), file{"kestrel.md", []byte("# Kestrel\n\n" + reportSecret + " It opens the hangar.\n")})
	expect(t, "upload into the workspace", r, http.StatusCreated)
	var docs []documentJSON
	r.JSON(t, &docs)
	w.report = docs[0]
	w.diary = e.ingest(w.alice.Token, file{"diary.md", []byte("# Diary\n\nThe kestrel nests by the hangar; the launch was fun.\n")})[0]
	w.bobs = e.ingest(w.bob.Token, file{"bob.md", []byte("# Bob\n\nBob's notes on ferns and watering.\n")})[0]
	expect(t, "bob joins", e.do("PUT", sprintf("/api/v1/workspaces/%d/members/%d", w.team.ID, w.bob.ID), w.alice.Token,
		map[string]string{"access": "read"}), 200)
	return w
}

// sourcesOf collects the document ids any body cites or finds.
func sourcesOf(t *testing.T, r response) []uint64 {
	t.Helper()
	var out []uint64
	var body struct {
		Results          []sourceJSON `json:"results"`
		Sources          []sourceJSON `json:"sources"`
		AssistantMessage struct {
			Sources []sourceJSON `json:"sources"`
		} `json:"assistant_message"`
	}
	r.JSON(t, &body)
	for _, s := range append(append(body.Results, body.Sources...), body.AssistantMessage.Sources...) {
		out = append(out, s.DocumentID)
	}
	return out
}

func TestWorkspaceSharedWithBobNotCarol(t *testing.T) {
	w := newTeamWorld(t)
	e := w.e
	const q = "What is the Kestrel launch code?"
	ws := sprintf("/api/v1/workspaces/%d", w.team.ID)

	// bob sees the workspace and its passages, everywhere.
	var got workspaceJSON
	e.do("GET", ws, w.bob.Token, nil).JSON(t, &got)
	if got.Access != "read" || !slices.Equal(got.Documents, []uint64{w.report.ID}) || got.Members != nil {
		t.Errorf("bob's view of the workspace: %+v", got)
	}
	for name, r := range map[string]response{
		"search":        e.do("POST", "/api/v1/search", w.bob.Token, map[string]any{"query": q}),
		"scoped search": e.do("POST", "/api/v1/search", w.bob.Token, map[string]any{"query": q, "workspace_id": w.team.ID}),
		"ask":           e.do("POST", "/api/v1/ask", w.bob.Token, map[string]any{"question": q, "workspace_id": w.team.ID}),
		"chat": e.do("POST", sprintf("/api/v1/conversations/%d/messages", e.conversation(w.bob.Token)), w.bob.Token,
			map[string]any{"content": q}),
		"/v1 docent":          e.do("POST", "/v1/chat/completions", w.bob.Token, ask(q, nil)),
		"/v1 docent/Research": e.do("POST", "/v1/chat/completions", w.bob.Token, ask(q, map[string]any{"model": "docent/Research"})),
	} {
		expect(t, "bob's "+name, r, statusOf2xx(r))
		if ids := sourcesOf(t, r); len(ids) == 0 || ids[0] != w.report.ID {
			t.Errorf("bob's %s does not find the workspace's report first: %v %s", name, ids, r.Body)
		}
		if slices.Contains(sourcesOf(t, r), w.diary.ID) {
			t.Errorf("bob's %s finds alice's private diary", name)
		}
	}
	expect(t, "bob reads the report", e.do("GET", sprintf("/api/v1/documents/%d", w.report.ID), w.bob.Token, nil), 200)
	expect(t, "bob reads the diary", e.do("GET", sprintf("/api/v1/documents/%d", w.diary.ID), w.bob.Token, nil), 404)
	var list []documentJSON
	e.do("GET", sprintf("/api/v1/documents?workspace=%d", w.team.ID), w.bob.Token, nil).JSON(t, &list)
	if len(list) != 1 || list[0].ID != w.report.ID {
		t.Errorf("bob lists the workspace's documents: %+v", list)
	}
	// A read member may not change it.
	expect(t, "bob adds his document", e.do("PUT", sprintf("%s/documents/%d", ws, w.bobs.ID), w.bob.Token, nil), 403)
	expect(t, "bob uploads into it", e.upload(w.bob.Token, sprintf("workspace=%d", w.team.ID), file{"x.txt", []byte("x\n")}), 403)
	expect(t, "bob deletes the report", e.do("DELETE", sprintf("/api/v1/documents/%d", w.report.ID), w.bob.Token, nil), 403)

	// carol: 404 on the workspace everywhere, and the report never reaches her.
	for _, c := range []struct{ method, path string }{
		{"GET", ws}, {"PATCH", ws}, {"DELETE", ws}, {"PUT", sprintf("%s/members/%d", ws, w.carol.ID)},
		{"PUT", sprintf("%s/documents/%d", ws, w.report.ID)}, {"GET", sprintf("/api/v1/documents?workspace=%d", w.team.ID)},
		{"GET", sprintf("/api/v1/documents/%d", w.report.ID)},
	} {
		r := e.do(c.method, c.path, w.carol.Token, map[string]any{"access": "write"})
		if c.method == "GET" {
			r = e.do(c.method, c.path, w.carol.Token, nil)
		}
		expect(t, "carol "+c.method+" "+c.path, r, http.StatusNotFound)
	}
	for name, r := range map[string]response{
		"scoped search": e.do("POST", "/api/v1/search", w.carol.Token, map[string]any{"query": q, "workspace_id": w.team.ID}),
		"scoped ask":    e.do("POST", "/api/v1/ask", w.carol.Token, map[string]any{"question": q, "workspace_id": w.team.ID}),
		"scoped conversation": e.do("POST", "/api/v1/conversations", w.carol.Token,
			map[string]any{"workspace_id": w.team.ID}),
		"upload into it": e.upload(w.carol.Token, sprintf("workspace=%d", w.team.ID), file{"x.txt", []byte("x\n")}),
	} {
		expect(t, "carol's "+name, r, http.StatusNotFound)
		if !strings.Contains(r.Detail(), "workspace not found") {
			t.Errorf("carol's %s: %q", name, r.Detail())
		}
	}
	r := e.do("POST", "/v1/chat/completions", w.carol.Token, ask(q, map[string]any{"model": "docent/Research"}))
	if r.Status != http.StatusNotFound || !strings.Contains(string(r.Body), "model_not_found") {
		t.Errorf("carol asks the workspace's model: %d %s", r.Status, r.Body)
	}
	var models struct{ Data []modelJSON }
	e.do("GET", "/v1/models", w.carol.Token, nil).JSON(t, &models)
	if len(models.Data) != 2 || models.Data[1].ID != "docent/shared" {
		t.Errorf("carol's models: %+v", models.Data)
	}
	var carolWS []workspaceJSON
	e.do("GET", "/api/v1/workspaces", w.carol.Token, nil).JSON(t, &carolWS)
	if len(carolWS) != 1 || carolWS[0].Name != "shared" {
		t.Errorf("carol's workspaces: %+v", carolWS)
	}
	conv := e.conversation(w.carol.Token)
	for name, r := range map[string]response{
		"search": e.do("POST", "/api/v1/search", w.carol.Token, map[string]any{"query": q, "top_k": 100}),
		"ask":    e.do("POST", "/api/v1/ask", w.carol.Token, map[string]any{"question": q}),
		"chat":   e.do("POST", sprintf("/api/v1/conversations/%d/messages", conv), w.carol.Token, map[string]any{"content": q}),
		"/v1":    e.do("POST", "/v1/chat/completions", w.carol.Token, ask(q, nil)),
	} {
		if strings.Contains(string(r.Body), "amber-falcon") || slices.Contains(sourcesOf(t, r), w.report.ID) {
			t.Errorf("carol's %s reaches the workspace's report: %s", name, r.Body)
		}
	}
	for _, ev := range e.streamQuestion(t.Context(), w.carol.Token, conv, q, nil) {
		if strings.Contains(string(ev.Data), "amber-falcon") {
			t.Errorf("carol's streamed answer holds the report: %s", ev.Data)
		}
	}

	// MCP: bob asks inside the workspace; carol is told it does not exist.
	for _, who := range []account{w.bob, w.carol} {
		cs, err := e.mcpSession(t.Context(), who.Token)
		if err != nil {
			t.Fatal(err)
		}
		scoped, text := callTool(t, cs, "ask", map[string]any{"question": q, "workspace": "Research"})
		_, all := callTool(t, cs, "search", map[string]any{"query": q, "top_k": 50})
		_, passage := callTool(t, cs, "get_passage", map[string]any{"document_id": w.report.ID, "chunk": 0})
		cs.Close()
		if who.ID == w.bob.ID && (scoped.IsError || !strings.Contains(text, "amber-falcon") || !strings.Contains(all+passage, "amber-falcon")) {
			t.Errorf("bob over MCP: %s / %s / %s", text, all, passage)
		}
		if who.ID == w.carol.ID && (!scoped.IsError || !strings.Contains(text, "workspace not found") || strings.Contains(text+all+passage, "amber-falcon")) {
			t.Errorf("carol over MCP: %s / %s / %s", text, all, passage)
		}
	}

	// Removing bob stops him at once.
	expect(t, "bob leaves", e.do("DELETE", sprintf("%s/members/%d", ws, w.bob.ID), w.alice.Token, nil), http.StatusOK)
	expect(t, "bob after leaving", e.do("GET", ws, w.bob.Token, nil), http.StatusNotFound)
	r = e.do("POST", "/api/v1/search", w.bob.Token, map[string]any{"query": q, "top_k": 100})
	if slices.Contains(sourcesOf(t, r), w.report.ID) {
		t.Errorf("bob still finds the report after leaving: %s", r.Body)
	}
}

// statusOf2xx is the success status a response should have: 201 for a
// new message, 200 otherwise.
func statusOf2xx(r response) int {
	if r.Status == http.StatusCreated {
		return r.Status
	}
	return http.StatusOK
}

// A conversation remembers its scope; a message may name another.
func TestConversationRemembersItsWorkspace(t *testing.T) {
	w := newTeamWorld(t)
	e := w.e
	r := e.do("POST", "/api/v1/conversations", w.alice.Token, map[string]any{"title": "Launch", "workspace_id": w.team.ID})
	expect(t, "scoped conversation", r, http.StatusCreated)
	var c conversationJSON
	r.JSON(t, &c)
	if c.WorkspaceID == nil || *c.WorkspaceID != w.team.ID {
		t.Fatalf("the conversation does not remember its workspace: %+v", c)
	}
	msgs := sprintf("/api/v1/conversations/%d/messages", c.ID)
	const q = "Where does the kestrel nest near the hangar?" // the diary's words, outside the workspace
	if ids := sourcesOf(t, e.do("POST", msgs, w.alice.Token, map[string]any{"content": q})); slices.Contains(ids, w.diary.ID) {
		t.Errorf("a question in the workspace's conversation cites a document outside it: %v", ids)
	}
	ids := sourcesOf(t, e.do("POST", msgs, w.alice.Token, map[string]any{"content": q, "workspace_id": 0}))
	if len(ids) == 0 || ids[0] != w.diary.ID {
		t.Errorf("a message naming workspace 0 does not search everything: %v", ids)
	}
	var full conversationWithMessages
	e.do("GET", sprintf("/api/v1/conversations/%d", c.ID), w.alice.Token, nil).JSON(t, &full)
	if full.WorkspaceID == nil || *full.WorkspaceID != w.team.ID {
		t.Errorf("a message's own scope changed the conversation's: %+v", full.conversationJSON)
	}
	r = e.do("PUT", sprintf("/api/v1/conversations/%d", c.ID), w.alice.Token, map[string]any{"workspace_id": nil, "document_ids": []uint64{w.diary.ID}})
	expect(t, "widen to the diary", r, 200)
	r.JSON(t, &c)
	if c.WorkspaceID != nil || !slices.Equal(c.DocumentIDs, []uint64{w.diary.ID}) || c.Title != "Launch" {
		t.Errorf("after the change: %+v", c)
	}
	if ids := sourcesOf(t, e.do("POST", msgs, w.alice.Token, map[string]any{"content": reportSecret})); slices.Contains(ids, w.report.ID) {
		t.Errorf("a conversation limited to the diary cites the report: %v", ids)
	}
	expect(t, "bob scopes his conversation to alice's diary",
		e.do("POST", "/api/v1/conversations", w.bob.Token, map[string]any{"document_ids": []uint64{w.diary.ID}}), http.StatusNotFound)

	// Once bob loses the workspace, his conversation in it stops answering.
	r = e.do("POST", "/api/v1/conversations", w.bob.Token, map[string]any{"workspace_id": w.team.ID})
	expect(t, "bob's scoped conversation", r, http.StatusCreated)
	r.JSON(t, &c)
	e.do("DELETE", sprintf("/api/v1/workspaces/%d/members/%d", w.team.ID, w.bob.ID), w.alice.Token, nil)
	r = e.do("POST", sprintf("/api/v1/conversations/%d/messages", c.ID), w.bob.Token, map[string]any{"content": "What is the launch code?"})
	expect(t, "bob asks in a workspace he lost", r, http.StatusNotFound)
}

func TestWorkspaceManagement(t *testing.T) {
	w := newTeamWorld(t)
	e := w.e
	ws := sprintf("/api/v1/workspaces/%d", w.team.ID)
	for name, body := range map[string]any{
		"no name":        map[string]string{"visibility": "private"},
		"long name":      map[string]string{"name": strings.Repeat("n", 101)},
		"control":        map[string]string{"name": "a\x00b"},
		"bad visibility": map[string]string{"name": "x", "visibility": "public"},
		"shared":         map[string]string{"name": "Shared"},
	} {
		expect(t, name, e.do("POST", "/api/v1/workspaces", w.alice.Token, body), http.StatusUnprocessableEntity)
	}
	expect(t, "a second Research", e.do("POST", "/api/v1/workspaces", w.alice.Token, map[string]string{"name": "research"}), http.StatusConflict)
	expect(t, "bob's own Research", e.do("POST", "/api/v1/workspaces", w.bob.Token, map[string]string{"name": "Research"}), http.StatusCreated)

	// Writers add what they can read; the owner manages.
	expect(t, "bob made a writer", e.do("PUT", sprintf("%s/members/%d", ws, w.bob.ID), w.alice.Token, map[string]string{"access": "write"}), 200)
	expect(t, "bob adds his notes", e.do("PUT", sprintf("%s/documents/%d", ws, w.bobs.ID), w.bob.Token, nil), 200)
	expect(t, "bob adds alice's diary", e.do("PUT", sprintf("%s/documents/%d", ws, w.diary.ID), w.bob.Token, nil), http.StatusNotFound)
	expect(t, "bob renames", e.do("PATCH", ws, w.bob.Token, map[string]string{"name": "Bob's"}), http.StatusForbidden)
	expect(t, "bob adds carol", e.do("PUT", sprintf("%s/members/%d", ws, w.carol.ID), w.bob.Token, map[string]string{"access": "read"}), http.StatusForbidden)
	r := e.upload(w.bob.Token, sprintf("wait=true&workspace=%d", w.team.ID), file{"bob-upload.md", []byte("# Upload\n\nBob's upload into Research.\n")})
	expect(t, "a writer uploads", r, http.StatusCreated)
	var team workspaceJSON
	e.do("GET", ws, w.alice.Token, nil).JSON(t, &team)
	if len(team.Documents) != 3 || len(team.Members) != 1 || team.Members[0].Username != "bob" || team.Members[0].Access != "write" {
		t.Errorf("the workspace after bob's additions: %+v", team)
	}
	expect(t, "bad access", e.do("PUT", sprintf("%s/members/%d", ws, w.carol.ID), w.alice.Token, map[string]string{"access": "admin"}), 422)
	expect(t, "carol by name", e.do("PUT", ws+"/members/Carol", w.alice.Token, map[string]string{"access": "read"}), 200)
	expect(t, "carol reads", e.do("GET", ws, w.carol.Token, nil), 200)
	expect(t, "carol out by name", e.do("DELETE", ws+"/members/carol", w.alice.Token, nil), http.StatusOK)
	expect(t, "no such name", e.do("PUT", ws+"/members/nobody", w.alice.Token, map[string]string{"access": "read"}), 404)
	expect(t, "no such user", e.do("PUT", sprintf("%s/members/%d", ws, 9999), w.alice.Token, map[string]string{"access": "read"}), 404)
	expect(t, "the owner as member", e.do("PUT", sprintf("%s/members/%d", ws, w.alice.ID), w.alice.Token, map[string]string{"access": "read"}), 422)

	// Everyone sees a workspace shared with everyone; private hides it from members.
	expect(t, "to everyone", e.do("PATCH", ws, w.alice.Token, map[string]string{"visibility": "everyone"}), 200)
	expect(t, "carol reads", e.do("GET", sprintf("/api/v1/documents/%d", w.report.ID), w.carol.Token, nil), 200)
	expect(t, "private", e.do("PATCH", ws, w.alice.Token, map[string]string{"visibility": "private", "name": "Secret research"}), 200)
	expect(t, "carol after private", e.do("GET", sprintf("/api/v1/documents/%d", w.report.ID), w.carol.Token, nil), 404)
	expect(t, "bob after private", e.do("GET", ws, w.bob.Token, nil), 404)

	// Taking a document out, then deleting the workspace, leaves the documents.
	expect(t, "report out", e.do("DELETE", sprintf("%s/documents/%d", ws, w.report.ID), w.alice.Token, nil), http.StatusOK)
	expect(t, "report out again", e.do("DELETE", sprintf("%s/documents/%d", ws, w.report.ID), w.alice.Token, nil), http.StatusNotFound)
	expect(t, "delete", e.do("DELETE", ws, w.alice.Token, nil), http.StatusNoContent)
	expect(t, "the report stays", e.do("GET", sprintf("/api/v1/documents/%d", w.report.ID), w.alice.Token, nil), 200)
	expect(t, "gone", e.do("GET", ws, w.alice.Token, nil), http.StatusNotFound)
}

// The shared library is the workspace "shared": visible to everyone,
// managed by admins, never deleted or renamed.
func TestLibraryIsTheSharedWorkspace(t *testing.T) {
	e := newTestEnv(t, Config{})
	admin, ann := e.register("admin"), e.register("ann")
	r := e.upload(admin.Token, "shared=true&wait=true", campingGuide)
	expect(t, "shared upload", r, http.StatusCreated)
	var docs []documentJSON
	r.JSON(t, &docs)
	var list []workspaceJSON
	e.do("GET", "/api/v1/workspaces", ann.Token, nil).JSON(t, &list)
	if len(list) != 1 || list[0].Name != "shared" || list[0].Visibility != "everyone" || !list[0].Library || list[0].Access != "read" ||
		!slices.Equal(list[0].Documents, []uint64{docs[0].ID}) || list[0].OwnerID != 0 {
		t.Fatalf("ann's workspaces: %+v", list)
	}
	lib := sprintf("/api/v1/workspaces/%d", list[0].ID)
	expect(t, "admin deletes the library", e.do("DELETE", lib, admin.Token, nil), http.StatusForbidden)
	expect(t, "admin renames it", e.do("PATCH", lib, admin.Token, map[string]string{"name": "library"}), 422)
	expect(t, "ann renames it", e.do("PATCH", lib, ann.Token, map[string]string{"name": "library"}), http.StatusForbidden)
	expect(t, "a shared document taken out", e.do("DELETE", sprintf("%s/documents/%d", lib, docs[0].ID), admin.Token, nil), http.StatusForbidden)
	res := e.do("POST", "/api/v1/search", ann.Token, map[string]any{"query": "boil water altitude", "workspace_id": list[0].ID})
	if ids := sourcesOf(t, res); len(ids) == 0 || ids[0] != docs[0].ID {
		t.Errorf("a search in the library's workspace: %s", res.Body)
	}
	own := e.ingest(ann.Token, file{"own.md", []byte("# Own\n\nAnn's own notes about boiling water at altitude.\n")})[0]
	if ids := sourcesOf(t, e.do("POST", "/api/v1/search", ann.Token, map[string]any{"query": "boiling water altitude", "workspace_id": list[0].ID, "top_k": 20})); slices.Contains(ids, own.ID) {
		t.Errorf("a search in the library's workspace finds ann's private document: %v", ids)
	}
	expect(t, "admin puts ann's document in the library", e.do("PUT", sprintf("%s/documents/%d", lib, own.ID), admin.Token, nil), http.StatusNotFound)
}

// A document uploaded into someone else's workspace is its uploader's:
// it counts against the uploader's quota, not the workspace owner's, and
// an upload the uploader's quota cannot take adds nothing to the workspace.
func TestWorkspaceUploadsCountAgainstTheUploader(t *testing.T) {
	e := newTestEnv(t, Config{Quota: quotaOf(1, 0, 0)})
	e.register("admin")
	alice, bob := e.register("alice"), e.register("bob")
	var team workspaceJSON
	e.do("POST", "/api/v1/workspaces", alice.Token, map[string]string{"name": "Team", "visibility": "members"}).JSON(t, &team)
	ws := sprintf("/api/v1/workspaces/%d", team.ID)
	expect(t, "bob writes", e.do("PUT", sprintf("%s/members/%d", ws, bob.ID), alice.Token, map[string]string{"access": "write"}), 200)
	into := sprintf("wait=true&workspace=%d", team.ID)
	expect(t, "bob's first upload", e.upload(bob.Token, into, file{"one.md", []byte("# One\n\nThe first note of bob.\n")}), http.StatusCreated)
	if a, b := e.usage(alice.Token).Usage.Documents, e.usage(bob.Token).Usage.Documents; a != 0 || b != 1 {
		t.Errorf("usage after bob's upload into alice's workspace: alice %d, bob %d; want 0 and 1", a, b)
	}
	r := e.upload(bob.Token, into, file{"two.md", []byte("# Two\n\nThe second note of bob.\n")})
	expect(t, "bob's second upload, over his quota", r, http.StatusTooManyRequests)
	if !strings.Contains(r.Detail(), "document quota") {
		t.Errorf("the refusal %q does not name the quota", r.Detail())
	}
	e.do("GET", ws, alice.Token, nil).JSON(t, &team)
	if len(team.Documents) != 1 {
		t.Errorf("the workspace holds %v after the refused upload, want bob's first document only", team.Documents)
	}
	expect(t, "alice's own quota is untouched", e.upload(alice.Token, into, file{"plan.md", []byte("# Plan\n\nAlice's plan.\n")}), http.StatusCreated)
}
