package llmtest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func post(t *testing.T, url, body string) *http.Response {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"Paris is nice.", []string{"Paris", " is", " nice."}},
		{"  two  spaces", []string{"  two", "  spaces"}},
		{"年假15天。", []string{"年", "假", "15", "天", "。"}},
		{"see [1]\nnext", []string{"see", " [1]", "\nnext"}},
	}
	for _, tt := range tests {
		got := Tokens(tt.in)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("Tokens(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if strings.Join(got, "") != tt.in {
			t.Errorf("Tokens(%q) does not concatenate back", tt.in)
		}
	}
}

func TestOllamaChatStream(t *testing.T) {
	s := NewOllama(t)
	s.Reply = func(r Request) string { return "echo: " + r.LastUser() }
	resp := post(t, s.URL+"/api/chat", `{"model":"m","messages":[{"role":"system","content":"sys"},{"role":"user","content":"hi there"}],"options":{"num_ctx":4096,"num_predict":9}}`)
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Fatalf("content type %q", ct)
	}
	var text string
	var last ollamaChatChunk
	sc := bufio.NewScanner(resp.Body)
	lines := 0
	for sc.Scan() {
		lines++
		if err := json.Unmarshal(sc.Bytes(), &last); err != nil {
			t.Fatalf("line %d: %v", lines, err)
		}
		text += last.Message.Content
	}
	if text != "echo: hi there" || !last.Done || lines != 3+1 {
		t.Fatalf("text %q, done %v, lines %d", text, last.Done, lines)
	}
	if last.PromptEvalCount != 3 || last.EvalCount != 3 {
		t.Errorf("counts %d/%d, want 3/3", last.PromptEvalCount, last.EvalCount)
	}
	reqs := s.Requests()
	if len(reqs) != 1 || !reqs[0].Stream || reqs[0].NumCtx != 4096 || reqs[0].MaxTokens != 9 || reqs[0].Messages[0].Content != "sys" {
		t.Errorf("recorded %+v", reqs)
	}
}

func TestOllamaChatNoStream(t *testing.T) {
	s := NewOllama(t)
	s.NoUsage = true
	resp := post(t, s.URL+"/api/chat", `{"model":"m","stream":false,"messages":[{"role":"user","content":"q"}]}`)
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	msg, _ := out["message"].(map[string]any)
	if msg["content"] != DefaultReply || out["done"] != true {
		t.Errorf("got %v", out)
	}
	if _, ok := out["eval_count"]; ok {
		t.Errorf("NoUsage still reports eval_count: %v", out)
	}
}

func TestOpenAIChatStream(t *testing.T) {
	for _, usage := range []bool{false, true} {
		s := NewOpenAI(t)
		s.Reply = func(Request) string { return "a b c" }
		body := `{"model":"gpt","stream":true,"messages":[{"role":"user","content":[{"type":"text","text":"one two"}]}]}`
		if usage {
			body = strings.Replace(body, `"stream":true`, `"stream":true,"stream_options":{"include_usage":true}`, 1)
		}
		resp := post(t, s.URL+"/chat/completions", body)
		raw, _ := io.ReadAll(resp.Body)
		events := strings.Split(strings.TrimSpace(string(raw)), "\n\n")
		if events[len(events)-1] != "data: [DONE]" {
			t.Fatalf("last event %q", events[len(events)-1])
		}
		var text string
		var got *openaiUsage
		for _, e := range events[:len(events)-1] {
			var c openaiCompletion
			if err := json.Unmarshal([]byte(strings.TrimPrefix(e, "data: ")), &c); err != nil {
				t.Fatalf("event %q: %v", e, err)
			}
			if len(c.Choices) > 0 && c.Choices[0].Delta != nil {
				text += c.Choices[0].Delta.Content
			}
			if c.Usage != nil {
				got = c.Usage
			}
		}
		if text != "a b c" {
			t.Errorf("text %q", text)
		}
		if usage != (got != nil) || (got != nil && (got.PromptTokens != 2 || got.CompletionTokens != 3)) {
			t.Errorf("include_usage=%v: usage %+v", usage, got)
		}
		if r := s.Requests()[0]; r.Messages[0].Content != "one two" || r.IncludeUsage != usage {
			t.Errorf("recorded %+v", r)
		}
	}
}

func TestOpenAIChatNoStream(t *testing.T) {
	s := NewOpenAI(t)
	resp := post(t, s.URL+"/chat/completions", `{"model":"gpt","messages":[{"role":"user","content":"x"}]}`)
	var c openaiCompletion
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	if c.Choices[0].Message.Content != DefaultReply || c.Usage == nil || c.Usage.TotalTokens == 0 {
		t.Errorf("got %+v", c)
	}
}

func TestFailures(t *testing.T) {
	tests := []struct {
		name   string
		openai bool
		setup  func(*Server)
		status int
		body   string
	}{
		{"ollama 500", false, func(s *Server) { s.Status = 500 }, 500, `{"error":"Internal Server Error"}`},
		{"ollama 404", false, func(s *Server) { s.Status = 404 }, 404, `{"error":"model \"m\" not found, try pulling it first"}`},
		{"openai 503", true, func(s *Server) { s.Status = 503; s.ErrorMessage = "busy" }, 503, `"message":"busy"`},
		{"openai key", true, func(s *Server) { s.APIKey = "sk-1" }, 401, `"code":"invalid_api_key"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, path := NewOllama(t), "/api/chat"
			if tt.openai {
				s, path = NewOpenAI(t), "/chat/completions"
			}
			tt.setup(s)
			resp := post(t, s.URL+path, `{"model":"m","messages":[{"role":"user","content":"x"}]}`)
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.body) {
				t.Errorf("got %d %s", resp.StatusCode, b)
			}
		})
	}
}

func TestHangAndStall(t *testing.T) {
	for _, mode := range []string{"hang", "stall"} {
		s := NewOllama(t)
		s.Hang = mode == "hang"
		s.StallAfter = 1
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		req, _ := http.NewRequestWithContext(ctx, "POST", s.URL+"/api/chat", strings.NewReader(`{"model":"m","messages":[]}`))
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
			t.Errorf("%s: err %v after %v", mode, err, time.Since(start))
		}
	}
}

func TestCloseAfter(t *testing.T) {
	s := NewOpenAI(t)
	s.CloseAfter = 2
	resp := post(t, s.URL+"/chat/completions", `{"model":"m","stream":true,"messages":[]}`)
	raw, err := io.ReadAll(resp.Body)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read error %v, want unexpected EOF", err)
	}
	if strings.Contains(string(raw), "[DONE]") || !strings.Contains(string(raw), `"content":" is"`) {
		t.Errorf("body %s", raw)
	}
}

func TestEmbeddings(t *testing.T) {
	o, a := NewOllama(t), NewOpenAI(t)
	a.Dim = 8
	var oe struct{ Embeddings [][]float32 }
	json.NewDecoder(post(t, o.URL+"/api/embed", `{"model":"e","input":["a b","c"]}`).Body).Decode(&oe)
	var legacy struct{ Embedding []float32 }
	json.NewDecoder(post(t, o.URL+"/api/embeddings", `{"model":"e","prompt":"a b"}`).Body).Decode(&legacy)
	var ae struct {
		Data []struct{ Embedding []float32 }
	}
	json.NewDecoder(post(t, a.URL+"/embeddings", `{"model":"e","input":"a b"}`).Body).Decode(&ae)
	if len(oe.Embeddings) != 2 || len(oe.Embeddings[0]) != 16 || len(ae.Data) != 1 || len(ae.Data[0].Embedding) != 8 {
		t.Fatalf("shapes: %d %d", len(oe.Embeddings), len(ae.Data))
	}
	for i := range oe.Embeddings[0] {
		if oe.Embeddings[0][i] != legacy.Embedding[i] {
			t.Fatal("same text embeds differently on /api/embed and /api/embeddings")
		}
	}
	if got := o.Requests()[0].Input; len(got) != 2 || got[1] != "c" {
		t.Errorf("recorded input %q", got)
	}
}
