package api

import (
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"docent/internal/llmtest"
)

// sourceUpload writes parts as `docent ingest --server` does: the folder,
// the file's path on the ingesting machine, then the file.
func sourceUpload(folder, path, name, text string) func(*multipart.Writer) {
	return func(mw *multipart.Writer) {
		if folder != "" {
			mw.WriteField("folder", folder)
		}
		mw.WriteField("path", path)
		w, _ := mw.CreateFormFile("file", name)
		w.Write([]byte(text))
	}
}

// A document's source path names folders of the server or of an admin's
// machine: its owner and admins see it in full, other readers of the shared
// library only relative to the ingested folder, and no other response
// carries it.
func TestOnlyOwnersAndAdminsSeeServerPaths(t *testing.T) {
	e := newTestEnv(t, Config{})
	admin := e.register("admin")
	bob := e.register("bob")
	const root = "/srv/acme-private/handbook"
	uploads := []struct {
		token, query string
		write        func(*multipart.Writer)
	}{
		{admin.Token, "wait=true&shared=true", sourceUpload(root, root+"/policies/leave.md", "leave.md",
			"# Leave\n\nEvery employee gets twenty-five days of paid leave a year.\n")},
		{admin.Token, "wait=true&shared=true", sourceUpload("", "/srv/acme-private/loose/travel.md", "travel.md",
			"# Travel\n\nBook trains for journeys under four hours.\n")},
		{bob.Token, "wait=true", sourceUpload("/home/bob/notes", "/home/bob/notes/trip.md", "trip.md",
			"# Trip\n\nThe leave request for the trip goes in before May.\n")},
	}
	for _, u := range uploads {
		expect(t, "upload", e.postMultipart(u.token, u.query, u.write), http.StatusCreated)
	}

	paths := func(token string) map[string]any {
		var docs []map[string]any
		e.do("GET", "/api/v1/documents", token, nil).JSON(t, &docs)
		out := map[string]any{}
		for _, d := range docs {
			out[d["filename"].(string)] = d["path"]
			var one map[string]any
			e.do("GET", sprintf("/api/v1/documents/%v", d["id"]), token, nil).JSON(t, &one)
			if one["path"] != d["path"] {
				t.Errorf("%s: the document says path %v, the list %v", d["filename"], one["path"], d["path"])
			}
		}
		return out
	}
	want := map[string]map[string]any{
		"admin": {"leave.md": root + "/policies/leave.md", "travel.md": "/srv/acme-private/loose/travel.md"},
		"bob":   {"leave.md": "policies/leave.md", "travel.md": nil, "trip.md": "/home/bob/notes/trip.md"},
	}
	for who, token := range map[string]string{"admin": admin.Token, "bob": bob.Token} {
		got := paths(token)
		for name, p := range want[who] {
			if got[name] != p {
				t.Errorf("%s sees %s at %v, want %v", who, name, got[name], p)
			}
		}
	}

	// Every other answer bob gets about the shared documents.
	var bodies []string
	record := func(r response) { bodies = append(bodies, string(r.Body)) }
	var docs []documentJSON
	e.do("GET", "/api/v1/documents", bob.Token, nil).JSON(t, &docs)
	for _, d := range docs {
		record(e.do("GET", sprintf("/api/v1/documents/%d/chunks", d.ID), bob.Token, nil))
		record(e.do("POST", sprintf("/api/v1/documents/%d/analyze", d.ID), bob.Token, nil))
	}
	record(e.do("POST", "/api/v1/search", bob.Token, map[string]any{"query": "paid leave days travel trains", "top_k": 10}))
	conv := e.conversation(bob.Token)
	record(e.do("POST", sprintf("/api/v1/conversations/%d/messages", conv), bob.Token, map[string]string{"content": "How many days of paid leave?"}))
	for _, ev := range e.streamQuestion(t.Context(), bob.Token, conv, "Trains or planes?", nil) {
		bodies = append(bodies, string(ev.Data))
	}
	record(e.do("GET", sprintf("/api/v1/conversations/%d", conv), bob.Token, nil))
	record(e.do("GET", "/api/v1/documents?limit=1000", bob.Token, nil))
	for _, b := range bodies {
		if strings.Contains(b, "/srv/") || strings.Contains(b, "acme-private") {
			t.Errorf("bob was shown a server path: %s", b)
		}
	}
	if len(bodies) < 8 {
		t.Fatalf("only %d answers checked", len(bodies))
	}
}

// A failing LLM server is described to admins with its address and what to
// check, to everyone else without either.
func TestLLMFailureDetailsAreForAdmins(t *testing.T) {
	fake := llmtest.NewOpenAI(t)
	fake.Status = http.StatusInternalServerError
	e := newLLMEnv(t, fake)
	admin := e.register("admin")
	bob := e.register("bob")
	expect(t, "shared upload", e.upload(admin.Token, "wait=true&shared=true", campingGuide), http.StatusCreated)
	host := strings.TrimPrefix(fake.URL, "http://")
	for who, token := range map[string]string{"admin": admin.Token, "bob": bob.Token} {
		conv := e.conversation(token)
		r := e.do("POST", sprintf("/api/v1/conversations/%d/messages", conv), token, map[string]string{"content": "How long should water boil?"})
		expect(t, who+"'s question", r, http.StatusBadGateway)
		events := e.streamQuestion(t.Context(), token, conv, "And at sea level?", nil)
		var streamed struct{ Detail string }
		json.Unmarshal(events[len(events)-1].Data, &streamed)
		for _, detail := range []string{r.Detail(), streamed.Detail} {
			if !strings.Contains(detail, "openai-compatible server") || !strings.Contains(detail, "500") {
				t.Errorf("%s: %q does not say which server failed and how", who, detail)
			}
			if shown := strings.Contains(detail, host); shown != (who == "admin") {
				t.Errorf("%s: %q shows the server's address: %v", who, detail, shown)
			}
		}
	}
}
