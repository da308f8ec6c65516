package api

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/openai"

	"docent/internal/llmtest"
)

// completionJSON is a chat completion or chunk as a client reads it.
type completionJSON struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index   int `json:"index"`
		Message *struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"message"`
		Delta *struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	} `json:"usage"`
	Sources []sourceJSON     `json:"sources"`
	Error   *openAIErrorBody `json:"error"`
}

// ask sends a chat completion with one user message.
func ask(question string, extra map[string]any) map[string]any {
	body := map[string]any{"model": "docent", "messages": []map[string]any{{"role": "user", "content": question}}}
	for k, v := range extra {
		body[k] = v
	}
	return body
}

// completionStream posts a streaming completion and returns each data
// payload, [DONE] included.
func (e *testEnv) completionStream(token string, body map[string]any) []string {
	e.t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", e.http.URL+"/v1/chat/completions", strings.NewReader(string(raw)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		e.t.Fatalf("stream answered %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var out []string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			out = append(out, data)
		} else if sc.Text() != "" {
			e.t.Errorf("a line that is no SSE data: %q", sc.Text())
		}
	}
	return out
}

func TestChatCompletionShape(t *testing.T) {
	e := newTestEnv(t, Config{})
	ann := e.register("ann")
	guide := e.ingest(ann.Token, campingGuide)[0]
	key := e.newKey(ann.Token, "client", "read")

	r := e.do("POST", "/v1/chat/completions", key, ask("How long should water boil above 2000 metres?", nil))
	expect(t, "completion", r, 200)
	var c completionJSON
	r.JSON(t, &c)
	if !strings.HasPrefix(c.ID, "chatcmpl-") || c.Object != "chat.completion" || c.Created == 0 || c.Model != "docent" || len(c.Choices) != 1 {
		t.Fatalf("completion: %s", r.Body)
	}
	ch := c.Choices[0]
	if ch.Message == nil || ch.Message.Role != "assistant" || !strings.Contains(ch.Message.Content, "three minutes") ||
		!strings.Contains(ch.Message.Content, "[1]") || ch.FinishReason == nil || *ch.FinishReason != "stop" {
		t.Errorf("choice: %s", r.Body)
	}
	if len(c.Sources) == 0 || c.Sources[0].DocumentID != guide.ID || !strings.Contains(c.Sources[0].Text, "three minutes") {
		t.Errorf("sources: %+v", c.Sources)
	}
	if u := c.Usage; u == nil || u.PromptTokens <= 0 || u.CompletionTokens <= 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage: %+v", c.Usage)
	}
	if !strings.Contains(string(r.Body), `"logprobs":null`) {
		t.Errorf("no logprobs: null: %s", r.Body)
	}

	// Streamed: a first chunk with the role and the sources, the deltas,
	// the finish reason, the usage when asked for, then [DONE].
	frames := e.completionStream(key, ask("How long should water boil above 2000 metres?",
		map[string]any{"stream": true, "stream_options": map[string]bool{"include_usage": true}}))
	if len(frames) < 4 || frames[len(frames)-1] != "[DONE]" {
		t.Fatalf("frames: %q", frames)
	}
	var text strings.Builder
	var finishes []string
	var usage, withSources int
	for i, f := range frames[:len(frames)-1] {
		var k completionJSON
		if err := json.Unmarshal([]byte(f), &k); err != nil {
			t.Fatalf("frame %d %q: %v", i, f, err)
		}
		if k.Object != "chat.completion.chunk" || k.ID != mustID(t, frames[0]) || k.Model != "docent" {
			t.Errorf("frame %d: %s", i, f)
		}
		if len(k.Sources) > 0 {
			withSources++
		}
		if k.Usage != nil {
			usage++
			if len(k.Choices) != 0 || k.Usage.TotalTokens <= 0 {
				t.Errorf("usage frame: %s", f)
			}
			continue
		}
		if i == 0 && (k.Choices[0].Delta == nil || k.Choices[0].Delta.Role != "assistant" || len(k.Sources) == 0) {
			t.Errorf("first frame: %s", f)
		}
		if d := k.Choices[0].Delta; d != nil {
			text.WriteString(d.Content)
		}
		if fr := k.Choices[0].FinishReason; fr != nil {
			finishes = append(finishes, *fr)
		}
	}
	if text.String() != ch.Message.Content {
		t.Errorf("streamed text %q differs from the answer %q", text.String(), ch.Message.Content)
	}
	if !slices.Equal(finishes, []string{"stop"}) || usage != 1 || withSources != 1 {
		t.Errorf("finish reasons %v, usage frames %d, frames with sources %d", finishes, usage, withSources)
	}
	// Nothing was stored.
	var convs []conversationJSON
	e.do("GET", "/api/v1/conversations", ann.Token, nil).JSON(t, &convs)
	if len(convs) != 0 {
		t.Errorf("a completion stored conversations: %+v", convs)
	}
}

func mustID(t *testing.T, frame string) string {
	var k completionJSON
	json.Unmarshal([]byte(frame), &k)
	return k.ID
}

func TestChatCompletionErrors(t *testing.T) {
	e := newTestEnv(t, Config{})
	ann := e.register("ann")
	bob := e.register("bob")
	r := e.do("POST", "/api/v1/workspaces", bob.Token, map[string]string{"name": "Bob's notes"})
	var bobs workspaceJSON
	r.JSON(t, &bobs)
	cases := []struct {
		name   string
		token  string
		body   any
		status int
		typ    string
		code   string
	}{
		{"no key", "", ask("q?", nil), 401, "authentication_error", "invalid_api_key"},
		{"bad key", "dk_nope", ask("q?", nil), 401, "authentication_error", "invalid_api_key"},
		{"not JSON", ann.Token, "{", 400, "invalid_request_error", "invalid_value"},
		{"no messages", ann.Token, map[string]any{"model": "docent", "messages": []any{}}, 400, "invalid_request_error", "invalid_value"},
		{"last is the assistant's", ann.Token, map[string]any{"model": "docent", "messages": []map[string]string{
			{"role": "user", "content": "q?"}, {"role": "assistant", "content": "a"}}}, 400, "invalid_request_error", "invalid_value"},
		{"empty question", ann.Token, ask("  ", nil), 400, "invalid_request_error", "invalid_value"},
		{"content of the wrong type", ann.Token, map[string]any{"model": "docent", "messages": []map[string]any{{"role": "user", "content": 7}}},
			400, "invalid_request_error", "invalid_value"},
		{"two choices", ann.Token, ask("q?", map[string]any{"n": 2}), 400, "invalid_request_error", "invalid_value"},
		{"temperature", ann.Token, ask("q?", map[string]any{"temperature": 3}), 400, "invalid_request_error", "invalid_value"},
		{"max_tokens", ann.Token, ask("q?", map[string]any{"max_tokens": 0}), 400, "invalid_request_error", "invalid_value"},
		{"unknown model", ann.Token, ask("q?", map[string]any{"model": "gpt-4o"}), 404, "invalid_request_error", "model_not_found"},
		{"another user's workspace", ann.Token, ask("q?", map[string]any{"model": "docent/Bob's notes"}), 404, "invalid_request_error", "model_not_found"},
		{"another user's workspace by id", ann.Token, ask("q?", map[string]any{"model": sprintf("docent/%d", bobs.ID)}), 404, "invalid_request_error", "model_not_found"},
	}
	for _, c := range cases {
		r := e.do("POST", "/v1/chat/completions", c.token, c.body)
		var body openAIError
		if err := json.Unmarshal(r.Body, &body); err != nil || r.Status != c.status || body.Error.Type != c.typ || body.Error.Code != c.code ||
			body.Error.Message == "" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
		}
	}
	for _, c := range []struct{ method, path string }{{"GET", "/v1/chat/completions"}, {"POST", "/v1/embeddings"}} {
		r := e.do(c.method, c.path, ann.Token, nil)
		var body openAIError
		if json.Unmarshal(r.Body, &body) != nil || body.Error.Message == "" || r.Status < 400 {
			t.Errorf("%s %s: %d %s", c.method, c.path, r.Status, r.Body)
		}
	}
	// Fields docent does not use are accepted, as OpenAI clients send them.
	r = e.do("POST", "/v1/chat/completions", ann.Token, ask("q?", map[string]any{"top_p": 1, "user": "x", "presence_penalty": 0,
		"messages": []map[string]any{{"role": "user", "content": []map[string]string{{"type": "text", "text": "How long to boil water?"}}, "name": "ann"}}}))
	expect(t, "extra fields and content parts", r, 200)
}

func TestModelsListWhatTheCallerCanAsk(t *testing.T) {
	e := newTestEnv(t, Config{})
	ann, bob := e.register("ann"), e.register("bob")
	for _, c := range []struct {
		token, name string
	}{{ann.Token, "Research"}, {bob.Token, "Research"}, {bob.Token, "Private"}} {
		expect(t, c.name, e.do("POST", "/api/v1/workspaces", c.token, map[string]string{"name": c.name, "visibility": "everyone"}), 201)
	}
	e.do("PATCH", "/api/v1/workspaces/4", bob.Token, map[string]string{"visibility": "private"})
	r := e.do("GET", "/v1/models", ann.Token, nil)
	expect(t, "models", r, 200)
	var list struct {
		Object string      `json:"object"`
		Data   []modelJSON `json:"data"`
	}
	r.JSON(t, &list)
	var ids []string
	for _, m := range list.Data {
		ids = append(ids, m.ID)
		if m.Object != "model" || m.OwnedBy == "" || m.Created == 0 {
			t.Errorf("model %+v", m)
		}
	}
	// ann's own Research is docent/Research; bob's (visible to everyone) is
	// told apart by its id; bob's private one is not listed.
	if list.Object != "list" || !slices.Equal(ids, []string{"docent", "docent/shared", "docent/Research", "docent/3"}) {
		t.Errorf("ann's models: %v", ids)
	}
	for _, model := range ids {
		expect(t, "ask "+model, e.do("POST", "/v1/chat/completions", ann.Token, ask("q?", map[string]any{"model": model})), 200)
	}
}

// With an LLM: the history, the system message and the limits reach it,
// and an answer cut at max_tokens finishes with "length".
func TestChatCompletionWithAnLLM(t *testing.T) {
	fake := llmtest.NewOpenAI(t)
	fake.CutAtMaxTokens = true
	fake.Reply = func(llmtest.Request) string { return "Boil it for three minutes at altitude [1]." }
	e := newLLMEnv(t, fake)
	ann := e.register("ann")
	e.ingest(ann.Token, campingGuide)
	body := map[string]any{"model": "docent", "temperature": 0.2, "max_tokens": 3, "messages": []map[string]string{
		{"role": "system", "content": "Answer like a pirate."},
		{"role": "user", "content": "We are camping in the Alps."},
		{"role": "assistant", "content": "Good choice."},
		{"role": "user", "content": "How long should water boil above 2000 metres?"},
	}}
	r := e.do("POST", "/v1/chat/completions", ann.Token, body)
	expect(t, "completion", r, 200)
	var c completionJSON
	r.JSON(t, &c)
	var answering llmtest.Request
	for _, req := range fake.Requests() {
		if strings.Contains(req.Prompt(), "Answer from the sources") {
			answering = req
		}
	}
	prompt := answering.Prompt()
	if !strings.Contains(prompt, "Answer like a pirate.") || !strings.Contains(prompt, "We are camping in the Alps.") ||
		!strings.Contains(prompt, "Good choice.") || answering.MaxTokens != 3 || !strings.Contains(string(answering.Body), `"temperature":0.2`) {
		t.Errorf("the model was asked %d tokens of: %s\n%s", answering.MaxTokens, prompt, answering.Body)
	}
	if ch := c.Choices[0]; ch.FinishReason == nil || *ch.FinishReason != "length" || ch.Message.Content == "" {
		t.Errorf("a cut answer: %s", r.Body)
	}
	if c.Usage == nil || c.Usage.CompletionTokens == 0 {
		t.Errorf("usage: %s", r.Body)
	}
}

// langchaingo's OpenAI client, unchanged, given the base URL and a key.
func TestLangchaingoOpenAIClient(t *testing.T) {
	e := newTestEnv(t, Config{})
	ann := e.register("ann")
	e.ingest(ann.Token, campingGuide)
	key := e.newKey(ann.Token, "langchaingo", "read")
	llm, err := openai.New(openai.WithBaseURL(e.http.URL+"/v1"), openai.WithToken(key), openai.WithModel("docent"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	msgs := []llms.MessageContent{
		llms.TextParts(llms.ChatMessageTypeSystem, "Be brief."),
		llms.TextParts(llms.ChatMessageTypeHuman, "How long should water boil above 2000 metres?"),
	}
	resp, err := llm.GenerateContent(ctx, msgs)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Choices) != 1 || !strings.Contains(resp.Choices[0].Content, "three minutes") || resp.Choices[0].StopReason != "stop" {
		t.Errorf("non-streaming: %+v", resp.Choices)
	}
	var streamed strings.Builder
	resp, err = llm.GenerateContent(ctx, msgs, llms.WithStreamingFunc(func(_ context.Context, chunk []byte) error {
		streamed.Write(chunk)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(streamed.String(), "three minutes") || resp.Choices[0].Content != streamed.String() {
		t.Errorf("streaming: %q, then %+v", streamed.String(), resp.Choices)
	}
	bad, _ := openai.New(openai.WithBaseURL(e.http.URL+"/v1"), openai.WithToken("dk_revoked"), openai.WithModel("docent"))
	if _, err := bad.GenerateContent(ctx, msgs); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("a bad key: %v", err)
	}
}

// The chat limits count OpenAI-compatible questions and MCP answers like
// any other: over the rate, 429 in OpenAI's shape with Retry-After, and a
// tool error the model can read.
func TestOpenAIAndMCPCountAgainstTheChatRate(t *testing.T) {
	e := newTestEnvChat(t, Config{ChatRate: 2}, nil)
	ann := e.register("ann")
	expect(t, "first", e.do("POST", "/v1/chat/completions", ann.Token, ask("q?", nil)), 200) // a burst of one
	r := e.do("POST", "/v1/chat/completions", ann.Token, ask("q?", nil))
	var body openAIError
	if json.Unmarshal(r.Body, &body) != nil || r.Status != http.StatusTooManyRequests || body.Error.Code != "rate_limit_exceeded" || r.Header.Get("Retry-After") == "" {
		t.Errorf("over the rate: %d %v %s", r.Status, r.Header, r.Body)
	}
	cs, err := e.mcpSession(t.Context(), ann.Token)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	res, text := callTool(t, cs, "ask", map[string]any{"question": "q?"})
	if !res.IsError || !strings.Contains(text, "too many questions") {
		t.Errorf("MCP ask over the rate: %v %s", res.IsError, text)
	}
}
