package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// A one-shot question is answered from the caller's documents, as JSON or
// streamed, and leaves no conversation behind.
func TestAskAnswersWithoutStoringAConversation(t *testing.T) {
	e := newTestEnv(t, Config{})
	ann := e.register("ann")
	bob := e.register("bob")
	e.ingest(ann.Token, campingGuide)
	const question = "How long should water boil at high altitude?"

	r := e.do("POST", "/api/v1/ask", ann.Token, map[string]any{"question": question, "top_k": 3})
	expect(t, "ask", r, http.StatusOK)
	var a answerJSON
	r.JSON(t, &a)
	if a.Mode != "extractive" || !strings.Contains(a.Content, "three minutes") || len(a.Sources) == 0 || a.Sources[0].Filename != "guide.md" {
		t.Errorf("answer: %+v", a)
	}

	events := e.streamPost(t.Context(), ann.Token, "/api/v1/ask", sprintf(`{"question":%q,"stream":true}`, question), nil)
	var names []string
	for _, ev := range events {
		if len(names) == 0 || names[len(names)-1] != ev.Name {
			names = append(names, ev.Name)
		}
	}
	if strings.Join(names, ",") != "sources,delta,done" {
		t.Fatalf("events %v", names)
	}
	var done struct{ Answer answerJSON }
	json.Unmarshal(events[len(events)-1].Data, &done)
	if done.Answer.Content != a.Content {
		t.Errorf("streamed %q, JSON %q", done.Answer.Content, a.Content)
	}

	// Bob reads none of ann's documents through it.
	r = e.do("POST", "/api/v1/ask", bob.Token, map[string]any{"question": question})
	expect(t, "bob asks", r, http.StatusOK)
	var b answerJSON
	r.JSON(t, &b)
	if len(b.Sources) != 0 || strings.Contains(b.Content, "three minutes") {
		t.Errorf("bob's answer used ann's document: %+v", b)
	}
	docs := e.ingest(ann.Token, handbookZH)
	expect(t, "bob names ann's document", e.do("POST", "/api/v1/ask", bob.Token,
		map[string]any{"question": question, "document_ids": []uint64{docs[0].ID}}), http.StatusNotFound)
	expect(t, "no question", e.do("POST", "/api/v1/ask", ann.Token, map[string]any{"question": " "}), http.StatusUnprocessableEntity)

	for _, tok := range []string{ann.Token, bob.Token} {
		var convs []conversationJSON
		e.do("GET", "/api/v1/conversations", tok, nil).JSON(t, &convs)
		if len(convs) != 0 {
			t.Errorf("asking stored conversations: %+v", convs)
		}
	}
}
