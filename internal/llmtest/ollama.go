package llmtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ollamaChatRequest is the body of POST /api/chat.
type ollamaChatRequest struct {
	Model    string         `json:"model"`
	Messages []Message      `json:"messages"`
	Stream   *bool          `json:"stream"` // absent means true, as in Ollama
	Options  map[string]any `json:"options"`
}

// ollamaChatChunk is one line of the /api/chat answer (or the whole answer
// when not streaming).
type ollamaChatChunk struct {
	Model           string  `json:"model"`
	CreatedAt       string  `json:"created_at"`
	Message         Message `json:"message"`
	Done            bool    `json:"done"`
	DoneReason      string  `json:"done_reason,omitempty"`
	TotalDuration   int64   `json:"total_duration,omitempty"`
	PromptEvalCount int     `json:"prompt_eval_count,omitempty"`
	EvalCount       int     `json:"eval_count,omitempty"`
	EvalDuration    int64   `json:"eval_duration,omitempty"`
}

func (s *Server) ollamaChat(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var in ollamaChatRequest
	if err := json.Unmarshal(body, &in); err != nil {
		s.ollamaError(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
		return
	}
	req := Request{
		Path: r.URL.Path, Header: r.Header.Clone(), Body: body,
		Model: in.Model, Messages: in.Messages,
		Stream:    in.Stream == nil || *in.Stream,
		MaxTokens: intOption(in.Options, "num_predict"),
		NumCtx:    intOption(in.Options, "num_ctx"),
	}
	s.record(req)
	if s.fail(w, r, req) {
		return
	}
	tokens := Tokens(s.reply(req))
	final := ollamaChatChunk{
		Model: in.Model, CreatedAt: now(),
		Message: Message{Role: "assistant"}, Done: true, DoneReason: "stop",
		TotalDuration: int64(time.Millisecond), EvalDuration: int64(time.Millisecond),
	}
	if !s.NoUsage {
		final.PromptEvalCount = s.promptTokens(req)
		final.EvalCount = len(tokens)
	}
	if !req.Stream {
		for _, t := range tokens {
			final.Message.Content += t
		}
		writeJSON(w, http.StatusOK, final)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w) // one JSON value per line
	ok := s.streamTokens(w, r, tokens, func(tok string) {
		_ = enc.Encode(ollamaChatChunk{
			Model: in.Model, CreatedAt: now(),
			Message: Message{Role: "assistant", Content: tok},
		})
	})
	if ok {
		_ = enc.Encode(final)
	}
}

func (s *Server) ollamaEmbed(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var in struct {
		Model  string          `json:"model"`
		Input  json.RawMessage `json:"input"`  // /api/embed
		Prompt string          `json:"prompt"` // legacy /api/embeddings
	}
	if err := json.Unmarshal(body, &in); err != nil {
		s.ollamaError(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
		return
	}
	legacy := r.URL.Path == "/api/embeddings"
	input := []string{in.Prompt}
	if !legacy {
		input = texts(in.Input)
	}
	req := Request{Path: r.URL.Path, Header: r.Header.Clone(), Body: body, Model: in.Model, Input: input}
	s.record(req)
	if s.fail(w, r, req) {
		return
	}
	if legacy {
		writeJSON(w, http.StatusOK, map[string]any{"embedding": s.vector(in.Prompt)})
		return
	}
	vecs := make([][]float32, len(input))
	for i, t := range input {
		vecs[i] = s.vector(t)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"model": in.Model, "embeddings": vecs, "prompt_eval_count": len(input),
	})
}

// fail applies the failure modes that act before any answer is written.
// It reports whether the request has been dealt with.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, req Request) bool {
	switch {
	case s.Hang:
		s.wait(r)
		return true
	case s.openai && s.APIKey != "" && r.Header.Get("Authorization") != "Bearer "+s.APIKey:
		s.openaiError(w, http.StatusUnauthorized, "")
		return true
	case s.Status != 0 && s.openai:
		s.openaiError(w, s.Status, s.ErrorMessage)
		return true
	case s.Status != 0:
		msg := s.ErrorMessage
		if msg == "" && s.Status == http.StatusNotFound {
			msg = fmt.Sprintf("model %q not found, try pulling it first", req.Model)
		}
		s.ollamaError(w, s.Status, msg)
		return true
	}
	return false
}

// ollamaError writes Ollama's error body: {"error": "..."}.
func (s *Server) ollamaError(w http.ResponseWriter, status int, msg string) {
	if msg == "" {
		msg = http.StatusText(status)
	}
	writeJSON(w, status, map[string]string{"error": msg})
}

func intOption(opts map[string]any, key string) int {
	if f, ok := opts[key].(float64); ok {
		return int(f)
	}
	return 0
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }
