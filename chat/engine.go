package chat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tmc/langchaingo/llms"
)

// Providers accepted in Config.Provider.
const (
	ProviderNone   = "none"   // no LLM: extractive answers
	ProviderOllama = "ollama" // an Ollama server
	ProviderOpenAI = "openai" // any OpenAI-compatible server
)

// Answer modes, as reported in Answer.Mode and Summary.Mode.
const (
	ModeLLM        = "llm"
	ModeExtractive = "extractive"
)

// Event kinds, as sent to the emit function of Engine.Answer.
const (
	EventSources = "sources"
	EventDelta   = "delta"
)

// Defaults applied by New to a zero Config.
const (
	DefaultOllamaHost    = "http://127.0.0.1:11434"
	DefaultOllamaModel   = "llama3.2"
	DefaultOpenAIBaseURL = "https://api.openai.com/v1"
	DefaultOpenAIModel   = "gpt-4o-mini"
	DefaultTimeout       = 120 * time.Second
	DefaultContextTokens = 4096
	DefaultTopK          = 5
	maxTopK              = 50

	maxDefaultAnswerTokens = 2048
)

// ErrEmptyQuestion is returned by Engine.Answer for a blank question.
var ErrEmptyQuestion = errors.New("chat: empty question")

// Passage is one retrieved chunk of a document. Its JSON form is the
// Source object of the HTTP API.
type Passage struct {
	DocumentID uint64  `json:"document_id"`
	Filename   string  `json:"filename"`
	Title      string  `json:"title,omitempty"` // the document's title
	ChunkIndex int     `json:"chunk_index"`
	Page       int     `json:"page,omitempty"`     // 1-based; 0 when unknown
	EndPage    int     `json:"end_page,omitempty"` // where a passage spanning pages ends
	Score      float64 `json:"score"`
	Text       string  `json:"text"`
	// BelowFloor marks a passage the retriever ranked under its relevance
	// floor: returned for completeness, too weak to answer from.
	BelowFloor bool `json:"-"`
}

// Retriever finds the passages that best match a query, best first. The
// caller's implementation already restricts the search to what the user may
// read (and to the documents they picked).
type Retriever interface {
	Retrieve(ctx context.Context, query string, topK int) ([]Passage, error)
}

// RetrieverFunc adapts a function to the Retriever interface.
type RetrieverFunc func(ctx context.Context, query string, topK int) ([]Passage, error)

// Retrieve calls f.
func (f RetrieverFunc) Retrieve(ctx context.Context, query string, topK int) ([]Passage, error) {
	return f(ctx, query, topK)
}

// Turn is one earlier message of a conversation.
type Turn struct {
	Role    string // "user" or "assistant"
	Content string
}

// Request is a question to answer.
type Request struct {
	Question string
	History  []Turn // earlier turns, oldest first, without this question (a trailing copy of it is ignored)
	TopK     int    // passages to retrieve; 0 means DefaultTopK
	// Instructions, from the application asking (an OpenAI client's system
	// message), are added to the system prompt; the rules about sources
	// and citations still apply. Extractive answers ignore them.
	Instructions string
	// MaxTokens bounds the answer's length (0: Config.AnswerTokens) and
	// Temperature, when set, is passed to the model; both apply only to
	// an LLM.
	MaxTokens   int
	Temperature *float64
}

// Event is one step of a streamed answer: first the sources, then the
// answer text in deltas whose concatenation is Answer.Content.
type Event struct {
	Kind    string    // EventSources or EventDelta
	Sources []Passage // for EventSources; possibly empty
	// Mode and Model, for EventSources, say what writes the answer: the
	// Answer's Mode and Model (ModeExtractive when the LLM is not called).
	Mode, Model string
	Delta       string // for EventDelta
}

// Answer is the outcome of Engine.Answer.
type Answer struct {
	Content string
	// Sources are the passages the answer was built from; a citation [n]
	// in Content refers to Sources[n-1].
	Sources    []Passage
	Mode       string // ModeLLM or ModeExtractive
	Model      string // the LLM's name in ModeLLM
	Query      string // the search query used (the question, condensed)
	TokensUsed int    // LLM tokens, prompt plus completion, over all calls
	// Partial reports an answer cut short, after its sources were
	// emitted, by cancellation, a failing server or a failing emit:
	// Content holds what was produced until then, possibly nothing.
	Partial bool
	// NotFound reports that no passage was relevant enough: Content says
	// so plainly instead of quoting noise.
	NotFound bool
	// Truncated reports an LLM answer cut at its token limit.
	Truncated bool
}

// Config configures an Engine. The zero value gives extractive answers.
type Config struct {
	Provider string // ProviderNone (or ""), ProviderOllama or ProviderOpenAI
	Model    string // chat model; "" means DefaultOllamaModel or DefaultOpenAIModel

	// OllamaHost is the Ollama server; "" means $OLLAMA_HOST, then
	// DefaultOllamaHost. A bare "host:port" gets the http scheme.
	OllamaHost string
	// OpenAIBaseURL is the OpenAI-compatible endpoint, ending in /v1;
	// "" means $OPENAI_BASE_URL, then DefaultOpenAIBaseURL.
	OpenAIBaseURL string
	// OpenAIKey is the API key; "" means $OPENAI_API_KEY, and when that is
	// empty too no Authorization header is sent (local servers need none).
	OpenAIKey string

	// SystemPrompt replaces DefaultSystemPrompt.
	SystemPrompt string
	// Timeout bounds how long an LLM call may go without receiving
	// anything: connecting, waiting for the first token, and any silence
	// between tokens. A reply that keeps streaming is not cut off.
	// 0 means DefaultTimeout.
	Timeout time.Duration
	// ContextTokens is the model's context window, which the prompt and
	// the answer share; 0 means DefaultContextTokens. With Ollama it is
	// also sent as num_ctx.
	ContextTokens int
	// AnswerTokens is the part of the context kept for the answer (and the
	// cap on its length); 0 means a quarter of ContextTokens, at most 2048.
	AnswerTokens int
	// HTTPClient is used for LLM calls; nil means a client with
	// http.DefaultTransport. It is not modified.
	HTTPClient *http.Client
}

// Engine answers questions from retrieved passages, with an LLM or, when
// none is configured, extractively. It is safe for concurrent use.
type Engine struct {
	cfg    Config
	llm    *llm // nil in extractive mode
	system string
}

// New returns an Engine for cfg. It checks the configuration but does not
// contact the LLM server: an unreachable server shows up, with a hint, in
// the first call that needs it.
func New(cfg Config) (*Engine, error) {
	if cfg.Provider == "" {
		cfg.Provider = ProviderNone
	}
	if cfg.Timeout < 0 || cfg.ContextTokens < 0 || cfg.AnswerTokens < 0 {
		return nil, errors.New("chat: Timeout, ContextTokens and AnswerTokens must not be negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.ContextTokens == 0 {
		cfg.ContextTokens = DefaultContextTokens
	}
	if cfg.AnswerTokens == 0 {
		cfg.AnswerTokens = min(cfg.ContextTokens/4, maxDefaultAnswerTokens)
	}
	if cfg.ContextTokens < 512 || cfg.AnswerTokens > cfg.ContextTokens/2 {
		return nil, fmt.Errorf("chat: context of %d tokens with %d for the answer is too small: want at least 512, at most half for the answer",
			cfg.ContextTokens, cfg.AnswerTokens)
	}
	e := &Engine{cfg: cfg, system: cfg.SystemPrompt}
	if strings.TrimSpace(e.system) == "" {
		e.system = DefaultSystemPrompt
	}
	switch cfg.Provider {
	case ProviderNone:
		e.cfg.Model = ""
	case ProviderOllama, ProviderOpenAI:
		l, err := newLLM(&e.cfg)
		if err != nil {
			return nil, err
		}
		e.llm = l
	default:
		return nil, fmt.Errorf("chat: unknown LLM provider %q: want %q, %q or %q",
			cfg.Provider, ProviderNone, ProviderOllama, ProviderOpenAI)
	}
	return e, nil
}

// Mode returns ModeLLM when an LLM is configured, else ModeExtractive.
func (e *Engine) Mode() string {
	if e.llm != nil {
		return ModeLLM
	}
	return ModeExtractive
}

// Model returns the LLM's name, or "" in extractive mode.
func (e *Engine) Model() string { return e.cfg.Model }

// Answer answers req from the passages r retrieves.
//
// It condenses a follow-up question into a standalone search query,
// retrieves, emits the sources, then streams the answer in deltas through
// emit (which may be nil) and returns it whole. Storing the messages is the
// caller's job.
//
// When no passage is relevant (none retrieved, or all below the retriever's
// floor) the answer says so, with NotFound set, and no LLM is called.
//
// When ctx is cancelled mid-answer (the client went away), generation stops
// promptly and Answer returns what was produced so far with Partial set and
// an error wrapping ctx.Err(): the caller should store that partial answer,
// marked as such, so the conversation stays consistent. A failing LLM server
// likewise gives Partial with a *ProviderError. An error from emit stops
// the answer the same way and is returned wrapped.
func (e *Engine) Answer(ctx context.Context, r Retriever, req Request, emit func(Event) error) (Answer, error) {
	if emit == nil {
		emit = func(Event) error { return nil }
	}
	question := strings.TrimSpace(req.Question)
	if question == "" {
		return Answer{}, ErrEmptyQuestion
	}
	history := withoutEcho(req.History, question)
	ans := Answer{Mode: e.Mode(), Model: e.Model()}
	query, used, how, err := e.searchQuery(ctx, question, history)
	ans.Query, ans.TokensUsed = query, used
	if err != nil {
		return ans, err
	}
	k := topK(req.TopK)
	passages, err := e.retrieve(ctx, r, question, &ans.Query, how, k)
	switch {
	case errors.Is(err, ErrNoDocuments):
		return e.notFound(ctx, ans, NoDocumentsAnswer(question), emit)
	case err != nil:
		return ans, fmt.Errorf("chat: retrieve: %w", err)
	case len(passages) == 0:
		return e.notFound(ctx, ans, NotFoundAnswer(question), emit)
	case e.llm == nil:
		ans.Sources = passages
		return e.stream(ctx, ans, extractiveAnswer(question, ans.Query, passages), emit)
	}
	return e.generate(ctx, ans, req, question, history, passages, emit)
}

// retrieve returns the relevant passages for the question as resolved into
// *query. A tentative resolution is searched both ways (resolved first):
// the question as asked wins, and *query becomes it, when the passages
// found for it hold clearly more of the question's own terms (by
// switchMargin); when neither reading finds any of them, nothing is
// relevant.
func (e *Engine) retrieve(ctx context.Context, r Retriever, question string, query *string, how resolution, k int) ([]Passage, error) {
	found, err := r.Retrieve(ctx, *query, k)
	if err != nil {
		return nil, err
	}
	found = relevant(found, k)
	if how != tentative || *query == question {
		return found, nil
	}
	own := terms(question)
	best := bestCoverage(own, found)
	if best == 1 {
		return found, nil
	}
	alone, err := r.Retrieve(ctx, question, k)
	if err != nil {
		return nil, err
	}
	alone = relevant(alone, k)
	switch cover := bestCoverage(own, alone); {
	case len(alone) > 0 && cover >= best+switchMargin:
		*query = question
		return alone, nil
	case best == 0:
		return nil, nil // neither reading finds what the question names
	}
	return found, nil
}

// notFound answers that nothing relevant was found, without the LLM: the
// answer says so, and its mode says no model wrote it.
func (e *Engine) notFound(ctx context.Context, ans Answer, text string, emit func(Event) error) (Answer, error) {
	ans.NotFound, ans.Sources = true, []Passage{}
	ans.Mode, ans.Model = ModeExtractive, ""
	return e.stream(ctx, ans, text, emit)
}

// withoutEcho drops the question from the end of history, where a caller
// that stored it first may have left it.
func withoutEcho(history []Turn, question string) []Turn {
	if n := len(history); n > 0 && history[n-1].Role == "user" && strings.TrimSpace(history[n-1].Content) == question {
		return history[:n-1]
	}
	return history
}

func topK(k int) int {
	switch {
	case k <= 0:
		return DefaultTopK
	case k > maxTopK:
		return maxTopK
	}
	return k
}

// relevant returns the passages above the retriever's floor, at most k.
func relevant(passages []Passage, k int) []Passage {
	out := make([]Passage, 0, min(len(passages), k))
	for _, p := range passages {
		if !p.BelowFloor && strings.TrimSpace(p.Text) != "" && len(out) < k {
			out = append(out, p)
		}
	}
	return out
}

// stream emits the sources and then text in small deltas, as an LLM would.
func (e *Engine) stream(ctx context.Context, ans Answer, text string, emit func(Event) error) (Answer, error) {
	if err := emit(Event{Kind: EventSources, Sources: ans.Sources, Mode: ans.Mode, Model: ans.Model}); err != nil {
		return ans, fmt.Errorf("chat: emit sources: %w", err)
	}
	for _, d := range deltas(text) {
		if err := ctx.Err(); err != nil {
			ans.Partial = true
			return ans, fmt.Errorf("chat: answer interrupted: %w", err)
		}
		if err := emit(Event{Kind: EventDelta, Delta: d}); err != nil {
			ans.Partial = true
			return ans, fmt.Errorf("chat: emit: %w", err)
		}
		ans.Content += d
	}
	return ans, nil
}

// deltas splits text into pieces of a few words (or a few CJK characters),
// cut at rune boundaries; their concatenation is text.
func deltas(text string) []string {
	const size = 24 // bytes, roughly four words
	var out []string
	start := 0
	for i, r := range text {
		if i-start >= size && (r == ' ' || r == '\n' || isWide(r)) {
			out = append(out, text[start:i])
			start = i
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

// NotFoundAnswer is the answer when the documents hold nothing relevant, in
// the question's language.
func NotFoundAnswer(question string) string {
	if hasCJK(question) {
		return "文档中没有找到这个问题的答案。"
	}
	return "The documents do not contain an answer to this question."
}

// NoDocumentsAnswer is the answer when the asker can read no document at
// all, in the question's language.
func NoDocumentsAnswer(question string) string {
	if hasCJK(question) {
		return "还没有文档：请先上传文档。"
	}
	return "There are no documents yet: upload some first, then ask again."
}

func hasCJK(s string) bool {
	for _, r := range s {
		if isCJK(r) {
			return true
		}
	}
	return false
}

// generate answers with the LLM: it builds the prompt, emits the sources
// included in it, and streams the reply through emit.
func (e *Engine) generate(ctx context.Context, ans Answer, req Request, question string, history []Turn, passages []Passage, emit func(Event) error) (Answer, error) {
	asked := question
	if ans.Query != "" && ans.Query != question {
		asked += "\n(In full: " + ans.Query + ")" // what was searched, so that the answer agrees with the sources
	}
	system := e.system
	if instr := strings.TrimSpace(req.Instructions); instr != "" {
		system += "\n\nInstructions from the application asking (the rules above still apply):\n" + instr
	}
	p := e.buildPromptWith(system, asked, history, passages)
	ans.Sources = p.sources
	if err := emit(Event{Kind: EventSources, Sources: ans.Sources, Mode: ans.Mode, Model: ans.Model}); err != nil {
		return ans, fmt.Errorf("chat: emit sources: %w", err)
	}
	maxTokens := e.cfg.AnswerTokens
	if req.MaxTokens > 0 {
		maxTokens = req.MaxTokens
	}
	var opts []llms.CallOption
	if req.Temperature != nil {
		opts = append(opts, llms.WithTemperature(*req.Temperature))
	}
	out, err := e.llm.generate(ctx, "answer", p.messages, maxTokens, func(d string) error {
		return emit(Event{Kind: EventDelta, Delta: d})
	}, opts...)
	ans.Content, ans.Truncated = out.text, out.truncated()
	ans.TokensUsed += out.tokens(p.tokens)
	if err != nil {
		ans.Partial = true
		return ans, err
	}
	if strings.TrimSpace(ans.Content) == "" {
		return ans, e.llm.emptyReply("answer")
	}
	return ans, nil
}
