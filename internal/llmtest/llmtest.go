// Package llmtest provides fake Ollama and OpenAI-compatible servers for
// tests. They speak the real wire formats — Ollama's NDJSON /api/chat and
// /api/embed, OpenAI's SSE /v1/chat/completions and /v1/embeddings — so the
// real clients (langchaingo, or any hand-written one) run against them
// unchanged.
//
// A test starts a server, scripts it through its exported fields, points the
// code under test at Server.URL and afterwards inspects Server.Requests:
//
//	s := llmtest.NewOllama(t)
//	s.Reply = func(r llmtest.Request) string { return "Paris [1]." }
//	... call the code under test with base URL s.URL ...
//	if got := s.Requests()[0].Prompt(); !strings.Contains(got, "France") { ... }
//
// Set the fields before the requests that should see them; a server must not
// be reconfigured while a request is in flight.
package llmtest

import (
	"encoding/json"
	"hash/fnv"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
)

// DefaultReply is what a server answers when Server.Reply is nil.
const DefaultReply = "This is a reply from the fake model."

// Message is one chat message of a request, decoded.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Request is one request a fake server received, decoded.
type Request struct {
	Path     string
	Header   http.Header
	Body     []byte    // the raw request body
	Model    string    // the "model" field
	Messages []Message // chat requests: the messages, in order
	Stream   bool      // chat requests: whether the reply was streamed

	// IncludeUsage reports OpenAI's stream_options.include_usage.
	IncludeUsage bool
	// MaxTokens is Ollama's options.num_predict or OpenAI's
	// max_completion_tokens (or max_tokens); 0 when absent.
	MaxTokens int
	// NumCtx is Ollama's options.num_ctx; 0 when absent.
	NumCtx int
	// Input holds the texts of an embedding request.
	Input []string
}

// Prompt returns the contents of all messages, one per line, prefixed with
// their role ("system: ...", "user: ...").
func (r Request) Prompt() string {
	var b strings.Builder
	for _, m := range r.Messages {
		b.WriteString(m.Role)
		b.WriteString(": ")
		b.WriteString(m.Content)
		b.WriteByte('\n')
	}
	return b.String()
}

// LastUser returns the content of the last user message, or "".
func (r Request) LastUser() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i].Content
		}
	}
	return ""
}

// Server is a fake LLM server. The zero values of its fields give a healthy
// server that answers every chat request with DefaultReply, streamed token
// by token, and reports token usage.
type Server struct {
	// URL is the base URL to configure the client with: the server root for
	// Ollama, the root plus "/v1" for OpenAI.
	URL string

	// Reply computes the assistant's answer to a chat request.
	Reply func(Request) string
	// TokenDelay is the pause before each streamed token.
	TokenDelay time.Duration

	// Status, when non-zero, makes every request fail with this HTTP status
	// and an error body in the provider's format.
	Status int
	// ErrorMessage is the message of that error body; empty means a
	// realistic default for the status.
	ErrorMessage string
	// Hang makes the server accept requests and never answer: the handler
	// waits until the client goes away (or the test ends).
	Hang bool
	// StallAfter, when > 0, makes a streamed reply stop after that many
	// tokens and wait, silent, until the client goes away.
	StallAfter int
	// CloseAfter, when > 0, makes a streamed reply drop the connection after
	// that many tokens, without the final message.
	CloseAfter int

	// CutAtMaxTokens makes a reply longer than the request's token limit
	// stop there, with finish_reason "length" (OpenAI only), as real
	// servers do.
	CutAtMaxTokens bool

	// NoUsage omits token counts from replies (Ollama's prompt_eval_count
	// and eval_count, OpenAI's usage).
	NoUsage bool
	// PromptTokens is the prompt token count reported; 0 means the number
	// of whitespace-separated words in the messages. The completion count
	// reported is the number of streamed tokens.
	PromptTokens int

	// APIKey, when set on an OpenAI server, makes requests without the
	// header "Authorization: Bearer <APIKey>" fail with 401.
	APIKey string

	// Dim is the length of the vectors the embedding endpoints return;
	// 0 means 16.
	Dim int
	// Embed computes the vector of one text; nil means a deterministic
	// hashed bag of words, L2-normalised.
	Embed func(text string) []float32

	openai bool
	done   chan struct{}

	mu   sync.Mutex
	reqs []Request
}

// NewOllama starts a fake Ollama server that lives as long as the test.
// It serves POST /api/chat, /api/embed and the older /api/embeddings.
func NewOllama(t testing.TB) *Server {
	t.Helper()
	s := &Server{done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/chat", s.ollamaChat)
	mux.HandleFunc("POST /api/embed", s.ollamaEmbed)
	mux.HandleFunc("POST /api/embeddings", s.ollamaEmbed)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.ollamaError(w, http.StatusNotFound, "404 page not found")
	})
	s.start(t, mux, "")
	return s
}

// NewOpenAI starts a fake OpenAI-compatible server that lives as long as
// the test. It serves POST /v1/chat/completions and /v1/embeddings; its URL
// ends in "/v1", like OPENAI_BASE_URL.
func NewOpenAI(t testing.TB) *Server {
	t.Helper()
	s := &Server{done: make(chan struct{}), openai: true}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.openaiChat)
	mux.HandleFunc("POST /v1/embeddings", s.openaiEmbed)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.openaiError(w, http.StatusNotFound, "")
	})
	s.start(t, mux, "/v1")
	return s
}

func (s *Server) start(t testing.TB, h http.Handler, suffix string) {
	srv := httptest.NewServer(h)
	s.URL = srv.URL + suffix
	t.Cleanup(func() {
		close(s.done) // release hanging handlers first: Close waits for them
		srv.Close()
	})
}

// Requests returns a copy of the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// ChatRequests returns the chat requests received so far, oldest first.
func (s *Server) ChatRequests() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if strings.HasSuffix(r.Path, "/chat") || strings.HasSuffix(r.Path, "/completions") {
			out = append(out, r)
		}
	}
	return out
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	s.reqs = append(s.reqs, r)
	s.mu.Unlock()
}

// wait blocks until the client goes away or the test ends.
func (s *Server) wait(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.done:
	}
}

// pause sleeps for d; it reports false when the client went away meanwhile.
func (s *Server) pause(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return r.Context().Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.done:
		return false
	}
}

func (s *Server) reply(req Request) string {
	if s.Reply == nil {
		return DefaultReply
	}
	return s.Reply(req)
}

func (s *Server) promptTokens(req Request) int {
	if s.PromptTokens > 0 {
		return s.PromptTokens
	}
	n := 0
	for _, m := range req.Messages {
		n += len(strings.Fields(m.Content))
	}
	return n
}

// streamTokens writes each token with send, honouring TokenDelay,
// StallAfter and CloseAfter. It reports false when the reply must stop.
func (s *Server) streamTokens(w http.ResponseWriter, r *http.Request, tokens []string, send func(string)) bool {
	rc := http.NewResponseController(w)
	for i, tok := range tokens {
		if s.StallAfter > 0 && i == s.StallAfter {
			s.wait(r)
			return false
		}
		if s.CloseAfter > 0 && i == s.CloseAfter {
			panic(http.ErrAbortHandler) // drops the connection, mid-body
		}
		if !s.pause(r, s.TokenDelay) {
			return false
		}
		send(tok)
		if err := rc.Flush(); err != nil {
			return false
		}
	}
	return true
}

// Tokens splits a reply the way the fake servers stream it: each token is
// a word with the whitespace before it, or a single CJK character.
// Concatenating the tokens gives back the reply.
func Tokens(reply string) []string {
	var out []string
	start := 0
	prev := rune(-1)
	for i, r := range reply {
		if i > start && boundary(prev, r) {
			out = append(out, reply[start:i])
			start = i
		}
		prev = r
	}
	if start < len(reply) {
		out = append(out, reply[start:])
	}
	return out
}

// boundary reports whether a token starts at r, given the rune before it.
func boundary(prev, r rune) bool {
	switch {
	case unicode.IsSpace(r):
		return !unicode.IsSpace(prev) // whitespace opens the next token
	case unicode.IsSpace(prev):
		return false // a word stays with the whitespace before it
	default:
		return isCJK(r) || isCJK(prev)
	}
}

func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// vector returns the embedding of text.
func (s *Server) vector(text string) []float32 {
	if s.Embed != nil {
		return s.Embed(text)
	}
	dim := s.Dim
	if dim <= 0 {
		dim = 16
	}
	v := make([]float32, dim)
	for _, w := range strings.Fields(strings.ToLower(text)) {
		h := fnv.New32a()
		h.Write([]byte(w))
		v[h.Sum32()%uint32(dim)]++
	}
	var norm float64
	for _, x := range v {
		norm += float64(x) * float64(x)
	}
	if norm == 0 {
		v[0] = 1
		return v
	}
	for i := range v {
		v[i] = float32(float64(v[i]) / math.Sqrt(norm))
	}
	return v
}

// texts decodes an embedding input: a string or an array of strings.
func texts(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
