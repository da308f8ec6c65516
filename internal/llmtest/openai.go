package llmtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// openaiChatRequest is the body of POST /v1/chat/completions.
type openaiChatRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"` // a string or an array of parts
	} `json:"messages"`
	Stream        bool `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	MaxTokens           int `json:"max_tokens"`
	MaxCompletionTokens int `json:"max_completion_tokens"`
}

type openaiUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

type openaiChoice struct {
	Index        int      `json:"index"`
	Message      *Message `json:"message,omitempty"`
	Delta        *Message `json:"delta,omitempty"`
	FinishReason *string  `json:"finish_reason"`
}

// openaiCompletion is a chat.completion, or one chat.completion.chunk.
type openaiCompletion struct {
	ID      string         `json:"id"`
	Object  string         `json:"object"`
	Created int64          `json:"created"`
	Model   string         `json:"model"`
	Choices []openaiChoice `json:"choices"`
	Usage   *openaiUsage   `json:"usage,omitempty"`
}

func (s *Server) openaiChat(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var in openaiChatRequest
	if err := json.Unmarshal(body, &in); err != nil {
		s.openaiError(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
		return
	}
	req := Request{
		Path: r.URL.Path, Header: r.Header.Clone(), Body: body,
		Model: in.Model, Stream: in.Stream,
		IncludeUsage: in.StreamOptions != nil && in.StreamOptions.IncludeUsage,
		MaxTokens:    max(in.MaxCompletionTokens, in.MaxTokens),
	}
	for _, m := range in.Messages {
		req.Messages = append(req.Messages, Message{Role: m.Role, Content: partsText(m.Content)})
	}
	s.record(req)
	if s.fail(w, r, req) {
		return
	}
	tokens := Tokens(s.reply(req))
	finish := "stop"
	if s.CutAtMaxTokens && req.MaxTokens > 0 && len(tokens) > req.MaxTokens {
		tokens, finish = tokens[:req.MaxTokens], "length"
	}
	var usage *openaiUsage
	if !s.NoUsage {
		p := s.promptTokens(req)
		usage = &openaiUsage{PromptTokens: p, CompletionTokens: len(tokens), TotalTokens: p + len(tokens)}
	}
	base := openaiCompletion{ID: "chatcmpl-fake", Created: time.Now().Unix(), Model: in.Model}
	if !in.Stream {
		base.Object = "chat.completion"
		base.Choices = []openaiChoice{{Message: &Message{Role: "assistant", Content: strings.Join(tokens, "")}, FinishReason: ptr(finish)}}
		base.Usage = usage
		writeJSON(w, http.StatusOK, base)
		return
	}
	s.openaiStream(w, r, base, tokens, finish, req.IncludeUsage, usage)
}

// openaiStream writes the reply as server-sent events: a role chunk, one
// chunk per token, a finish chunk, the usage chunk when asked for, [DONE].
func (s *Server) openaiStream(w http.ResponseWriter, r *http.Request, base openaiCompletion, tokens []string, finish string, includeUsage bool, usage *openaiUsage) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	base.Object = "chat.completion.chunk"
	event := func(choices []openaiChoice, u *openaiUsage) {
		c := base
		c.Choices, c.Usage = choices, u
		b, _ := json.Marshal(c)
		fmt.Fprintf(w, "data: %s\n\n", b)
	}
	event([]openaiChoice{{Delta: &Message{Role: "assistant"}}}, nil)
	ok := s.streamTokens(w, r, tokens, func(tok string) {
		event([]openaiChoice{{Delta: &Message{Content: tok}}}, nil)
	})
	if !ok {
		return
	}
	event([]openaiChoice{{Delta: &Message{}, FinishReason: ptr(finish)}}, nil)
	if includeUsage && usage != nil {
		event([]openaiChoice{}, usage)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
}

func (s *Server) openaiEmbed(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var in struct {
		Model      string          `json:"model"`
		Input      json.RawMessage `json:"input"`
		Dimensions int             `json:"dimensions"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		s.openaiError(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
		return
	}
	req := Request{Path: r.URL.Path, Header: r.Header.Clone(), Body: body, Model: in.Model, Input: texts(in.Input)}
	s.record(req)
	if s.fail(w, r, req) {
		return
	}
	type item struct {
		Object    string    `json:"object"`
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	}
	data := make([]item, len(req.Input))
	words := 0
	for i, t := range req.Input {
		data[i] = item{Object: "embedding", Index: i, Embedding: s.vector(t)}
		words += len(strings.Fields(t))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"object": "list", "data": data, "model": in.Model,
		"usage": map[string]int{"prompt_tokens": words, "total_tokens": words},
	})
}

// openaiError writes OpenAI's error body: {"error": {"message", "type", "code"}}.
func (s *Server) openaiError(w http.ResponseWriter, status int, msg string) {
	typ, code := "invalid_request_error", ""
	switch {
	case status == http.StatusUnauthorized:
		code = "invalid_api_key"
		if msg == "" {
			msg = "Incorrect API key provided."
		}
	case status == http.StatusNotFound && msg == "":
		msg, code = "The model does not exist or you do not have access to it.", "model_not_found"
	case status == http.StatusTooManyRequests:
		typ, code = "requests", "rate_limit_exceeded"
	case status >= 500:
		typ = "server_error"
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"message": msg, "type": typ, "param": nil, "code": code,
	}})
}

// partsText decodes a message content: a string, or an array of parts of
// which the text ones are joined.
func partsText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	_ = json.Unmarshal(raw, &parts)
	var b strings.Builder
	for _, p := range parts {
		if p.Type == "text" {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

func ptr[T any](v T) *T { return &v }
