package api

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"docent/chat"
	"docent/internal/llmtest"
	"docent/internal/testpdf"
)

// sseEvent is one Server-Sent Event.
type sseEvent struct {
	Name string
	Data json.RawMessage
}

// streamQuestion posts a streaming question and reads every event until the
// stream ends (or stop returns true, which cancels the request).
func (e *testEnv) streamQuestion(ctx context.Context, token string, conv uint64, question string, stop func(sseEvent) bool) []sseEvent {
	e.t.Helper()
	return e.streamPost(ctx, token, sprintf("/api/v1/conversations/%d/messages", conv), sprintf(`{"content":%q,"stream":true}`, question), stop)
}

// streamPost posts body to path and reads every Server-Sent Event until the
// stream ends (or stop returns true, which cancels the request).
func (e *testEnv) streamPost(ctx context.Context, token, path, body string, stop func(sseEvent) bool) []sseEvent {
	e.t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", e.http.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		e.t.Fatalf("stream answered %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var events []sseEvent
	var cur sseEvent
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			cur.Name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.Data = json.RawMessage(strings.TrimPrefix(line, "data: "))
		case line == "" && cur.Name != "":
			events = append(events, cur)
			if stop != nil && stop(cur) {
				return events
			}
			cur = sseEvent{}
		}
	}
	return events
}

func TestExtractiveAnswerCitesTheRightDocumentAndPage(t *testing.T) {
	e := newTestEnv(t, Config{})
	ann := e.register("ann")
	docs := e.ingest(ann.Token, campingGuide, file{"policy.pdf", testpdf.Pages(
		[]string{"Travel policy", "Employees book flights through the travel desk."},
		[]string{"Expenses", "Meal expenses are reimbursed up to 40 euros per day."})})
	conv := e.conversation(ann.Token)

	r := e.do("POST", sprintf("/api/v1/conversations/%d/messages", conv), ann.Token,
		map[string]string{"content": "How much are meal expenses reimbursed per day?"})
	expect(t, "ask", r, http.StatusCreated)
	var ex struct {
		User      messageJSON `json:"user_message"`
		Assistant messageJSON `json:"assistant_message"`
	}
	r.JSON(t, &ex)
	a := ex.Assistant
	if a.Mode != "extractive" || a.Role != "assistant" || ex.User.Content == "" {
		t.Fatalf("exchange: %s", r.Body)
	}
	if !strings.Contains(a.Content, "Meal expenses are reimbursed up to 40 euros per day") || strings.Contains(a.Content, "Expenses Meal") {
		t.Errorf("answer lacks the answering sentence: %q", a.Content)
	}
	cited := chat.Citations(a.Content)
	if len(cited) == 0 || a.Sources == nil || cited[0] > len(*a.Sources) {
		t.Fatalf("citations %v against sources %v", cited, a.Sources)
	}
	src := (*a.Sources)[cited[0]-1]
	if src.DocumentID != docs[1].ID || src.Page != 2 {
		t.Errorf("cited %+v, want policy.pdf page 2", src)
	}

	var conversation conversationWithMessages
	e.do("GET", sprintf("/api/v1/conversations/%d", conv), ann.Token, nil).JSON(t, &conversation)
	if len(conversation.Messages) != 2 || conversation.Messages[1].Sources == nil || len(*conversation.Messages[1].Sources) == 0 {
		t.Errorf("stored conversation lacks the cited answer: %+v", conversation.Messages)
	}
	if conversation.Title == "" {
		t.Error("the first exchange did not title the conversation")
	}
}

func TestNotInTheDocuments(t *testing.T) {
	e := newTestEnv(t, Config{})
	ann := e.register("ann")
	e.ingest(ann.Token, campingGuide)
	conv := e.conversation(ann.Token)
	r := e.do("POST", sprintf("/api/v1/conversations/%d/messages", conv), ann.Token,
		map[string]string{"content": "What is the capital of Mongolia?"})
	var ex struct {
		Assistant messageJSON `json:"assistant_message"`
	}
	r.JSON(t, &ex)
	if !strings.Contains(ex.Assistant.Content, "do not contain") || ex.Assistant.Sources == nil || len(*ex.Assistant.Sources) != 0 {
		t.Errorf("off-topic question answered from noise: %s", r.Body)
	}
}

func TestStreamedAnswerEventsInOrder(t *testing.T) {
	e := newTestEnv(t, Config{})
	ann := e.register("ann")
	e.ingest(ann.Token, campingGuide)
	conv := e.conversation(ann.Token)
	events := e.streamQuestion(t.Context(), ann.Token, conv, "How long should water boil at high altitude?", nil)
	if len(events) < 3 || events[0].Name != "sources" || events[len(events)-1].Name != "done" {
		t.Fatalf("events: %+v", events)
	}
	if !strings.Contains(string(events[0].Data), `"mode":"extractive"`) {
		t.Errorf("the sources event does not say the mode: %s", events[0].Data)
	}
	var text strings.Builder
	for _, ev := range events[1 : len(events)-1] {
		if ev.Name != "delta" {
			t.Fatalf("unexpected %s between sources and done", ev.Name)
		}
		var d struct{ Content string }
		json.Unmarshal(ev.Data, &d)
		text.WriteString(d.Content)
	}
	var done struct {
		AssistantMessage messageJSON `json:"assistant_message"`
	}
	json.Unmarshal(events[len(events)-1].Data, &done)
	if done.AssistantMessage.ID == 0 || done.AssistantMessage.Content != text.String() {
		t.Errorf("done %q does not match the deltas %q", done.AssistantMessage.Content, text.String())
	}
	if !strings.Contains(text.String(), "three minutes") {
		t.Errorf("streamed answer: %q", text.String())
	}
	var msgs []messageJSON
	e.do("GET", sprintf("/api/v1/conversations/%d/messages", conv), ann.Token, nil).JSON(t, &msgs)
	if len(msgs) != 2 || msgs[1].ID != done.AssistantMessage.ID {
		t.Errorf("stored: %+v", msgs)
	}
}

// newLLMEnv is a test env answering through a fake OpenAI-compatible server.
func newLLMEnv(t *testing.T, fake *llmtest.Server) *testEnv { return newLLMEnvTB(t, fake) }

// newLLMEnvTB is newLLMEnv for tests and benchmarks.
func newLLMEnvTB(t testing.TB, fake *llmtest.Server) *testEnv {
	engine, err := chat.New(chat.Config{Provider: chat.ProviderOpenAI, OpenAIBaseURL: fake.URL, Model: "fake-gpt", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return newTestEnvChat(t, Config{}, engine)
}

func TestLLMAnswerGetsSourcesAndHistoryAndStreams(t *testing.T) {
	fake := llmtest.NewOpenAI(t)
	fake.Reply = func(r llmtest.Request) string { return "Boil it for three minutes [1]." }
	e := newLLMEnv(t, fake)
	ann := e.register("ann")
	e.ingest(ann.Token, campingGuide)
	conv := e.conversation(ann.Token)
	e.do("POST", sprintf("/api/v1/conversations/%d/messages", conv), ann.Token, map[string]string{"content": "Tell me about tents."})

	events := e.streamQuestion(t.Context(), ann.Token, conv, "How long should water boil at high altitude?", nil)
	var done struct {
		AssistantMessage messageJSON `json:"assistant_message"`
	}
	last := events[len(events)-1]
	if last.Name != "done" {
		t.Fatalf("last event %s %s", last.Name, last.Data)
	}
	json.Unmarshal(last.Data, &done)
	m := done.AssistantMessage
	if m.Mode != "llm" || m.Model != "fake-gpt" || m.TokensUsed == 0 || m.Content != "Boil it for three minutes [1]." {
		t.Errorf("assistant message: %+v", m)
	}
	deltas := 0
	for _, ev := range events {
		if ev.Name == "delta" {
			deltas++
		}
	}
	if deltas < 3 {
		t.Errorf("%d deltas: the answer was not streamed token by token", deltas)
	}
	// The answering request (the conversation's title is asked for in the
	// background and may come last).
	var prompt string
	for _, r := range fake.ChatRequests() {
		if len(r.Messages) > 0 && r.Messages[0].Content == chat.DefaultSystemPrompt {
			prompt = r.Prompt()
		}
	}
	for _, want := range []string{"At altitudes above 2000 metres", "Tell me about tents.", "How long should water boil"} {
		if !strings.Contains(prompt, want) {
			t.Errorf("the prompt lacks %q", want)
		}
	}
}

func TestLLMDownKeepsTheQuestion(t *testing.T) {
	fake := llmtest.NewOpenAI(t)
	fake.Status = http.StatusInternalServerError
	e := newLLMEnv(t, fake)
	ann := e.register("ann")
	e.ingest(ann.Token, campingGuide)
	conv := e.conversation(ann.Token)

	r := e.do("POST", sprintf("/api/v1/conversations/%d/messages", conv), ann.Token, map[string]string{"content": "How long should water boil?"})
	expect(t, "LLM down", r, http.StatusBadGateway)
	if !strings.Contains(r.Detail(), "openai-compatible server") {
		t.Errorf("detail does not name the provider: %q", r.Detail())
	}
	events := e.streamQuestion(t.Context(), ann.Token, conv, "And at sea level?", nil)
	if last := events[len(events)-1]; last.Name != "error" || !strings.Contains(string(last.Data), "openai-compatible") {
		t.Errorf("stream ended with %s %s", last.Name, last.Data)
	}
	var msgs []messageJSON
	e.do("GET", sprintf("/api/v1/conversations/%d/messages", conv), ann.Token, nil).JSON(t, &msgs)
	if len(msgs) != 2 || msgs[0].Role != "user" || msgs[1].Role != "user" {
		t.Errorf("after two failures the store holds %+v; want both questions and no answer", msgs)
	}
}

func TestClientDisconnectMidStreamStoresPartialAnswer(t *testing.T) {
	fake := llmtest.NewOpenAI(t)
	fake.Reply = func(llmtest.Request) string { return strings.Repeat("word ", 200) }
	fake.TokenDelay = 5 * time.Millisecond
	e := newLLMEnv(t, fake)
	ann := e.register("ann")
	e.ingest(ann.Token, campingGuide)
	conv := e.conversation(ann.Token)

	deltas := 0
	e.streamQuestion(t.Context(), ann.Token, conv, "How long should water boil?", func(ev sseEvent) bool {
		if ev.Name == "delta" {
			deltas++
		}
		return deltas == 3
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		var msgs []messageJSON
		e.do("GET", sprintf("/api/v1/conversations/%d/messages", conv), ann.Token, nil).JSON(t, &msgs)
		if len(msgs) == 2 {
			a := msgs[1]
			if !a.Partial || a.Content == "" || len(a.Content) >= len(strings.Repeat("word ", 200)) {
				t.Errorf("partial answer: %+v", a)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no partial answer stored: %+v", msgs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestChatValidation(t *testing.T) {
	e := newTestEnv(t, Config{})
	ann := e.register("ann")
	conv := e.conversation(ann.Token)
	path := sprintf("/api/v1/conversations/%d/messages", conv)
	cases := map[string]any{
		"empty":        map[string]any{"content": ""},
		"top_k zero":   map[string]any{"content": "q", "top_k": 0},
		"top_k 101":    map[string]any{"content": "q", "top_k": 101},
		"unknown doc":  map[string]any{"content": "q", "document_ids": []int{999}},
		"wrong type":   map[string]any{"content": 5},
		"extra field":  map[string]any{"content": "q", "temperature": 2},
		"huge content": map[string]any{"content": strings.Repeat("x", 5000)},
	}
	for name, body := range cases {
		r := e.do("POST", path, ann.Token, body)
		if r.Status < 400 || r.Status >= 500 {
			t.Errorf("%s: %d", name, r.Status)
		}
	}
	var msgs []messageJSON
	e.do("GET", path, ann.Token, nil).JSON(t, &msgs)
	if len(msgs) != 0 {
		t.Errorf("invalid questions were stored: %+v", msgs)
	}
}
