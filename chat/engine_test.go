package chat

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"docent/internal/llmtest"
)

// provider starts a fake server of one kind and configures an engine for it.
type provider struct {
	name  string
	start func(testing.TB) *llmtest.Server
	cfg   func(url string) Config
}

var providers = []provider{
	{ProviderOllama, llmtest.NewOllama, func(url string) Config {
		return Config{Provider: ProviderOllama, OllamaHost: url, Model: "llama-test"}
	}},
	{ProviderOpenAI, llmtest.NewOpenAI, func(url string) Config {
		return Config{Provider: ProviderOpenAI, OpenAIBaseURL: url, Model: "gpt-test"}
	}},
}

func newEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// recorder is a Retriever returning fixed passages and recording queries.
type recorder struct {
	passages []Passage
	mu       sync.Mutex
	queries  []string
}

func (r *recorder) Retrieve(_ context.Context, query string, topK int) ([]Passage, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queries = append(r.queries, query)
	return r.passages[:min(topK, len(r.passages))], nil
}

// events collects what Answer emits.
type events struct {
	all    []Event
	onEach func(Event) error
}

func (ev *events) emit(e Event) error {
	ev.all = append(ev.all, e)
	if ev.onEach != nil {
		return ev.onEach(e)
	}
	return nil
}

func (ev *events) deltas() []string {
	var out []string
	for _, e := range ev.all {
		if e.Kind == EventDelta {
			out = append(out, e.Delta)
		}
	}
	return out
}

// checkStream checks the event order: the sources first, then deltas that
// concatenate to the answer.
func checkStream(t *testing.T, ev *events, ans Answer) {
	t.Helper()
	if len(ev.all) == 0 || ev.all[0].Kind != EventSources || !slices.Equal(ev.all[0].Sources, ans.Sources) {
		t.Fatalf("first event is not the answer's sources: %+v", ev.all)
	}
	for _, e := range ev.all[1:] {
		if e.Kind != EventDelta {
			t.Errorf("event %q after the sources", e.Kind)
		}
	}
	if got := strings.Join(ev.deltas(), ""); got != ans.Content {
		t.Errorf("deltas concatenate to %q, content is %q", got, ans.Content)
	}
}

const condensed = "How many vacation days do employees get per year?"

// script answers condensing requests with condensed and others with answer.
func script(answer string) func(llmtest.Request) string {
	return func(r llmtest.Request) string {
		if strings.Contains(r.Prompt(), "Standalone question:") {
			return condensed
		}
		return answer
	}
}

func TestAnswerLLM(t *testing.T) {
	const reply = "Employees get 25 days of paid vacation per year [1]. Unused days can be carried over, up to 5 [2]."
	history := []Turn{
		{"user", "Tell me about the vacation policy of Acme."},
		{"assistant", "Acme has a vacation policy [1]."},
	}
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) {
			s := p.start(t)
			s.Reply = script(reply)
			s.PromptTokens = 100
			e := newEngine(t, p.cfg(s.URL))
			r := &recorder{passages: handbook}
			ev := &events{}
			ans, err := e.Answer(context.Background(), r, Request{Question: "And how many days is it?", History: history}, ev.emit)
			if err != nil {
				t.Fatal(err)
			}
			checkStream(t, ev, ans)
			if ans.Content != reply || len(ev.deltas()) < 5 {
				t.Errorf("content %q in %d deltas", ans.Content, len(ev.deltas()))
			}
			if ans.Mode != ModeLLM || ans.Model != e.Model() || ans.Partial || ans.NotFound {
				t.Errorf("answer %+v", ans)
			}

			reqs := s.ChatRequests()
			if len(reqs) != 2 {
				t.Fatalf("%d chat requests, want condense + answer", len(reqs))
			}
			// Condensing saw the history and the follow-up; retrieval used its result.
			if c := reqs[0].Prompt(); !strings.Contains(c, "vacation policy of Acme") || !strings.Contains(c, "And how many days is it?") {
				t.Errorf("condense prompt %q", c)
			}
			if !slices.Equal(r.queries, []string{condensed}) || ans.Query != condensed {
				t.Errorf("retrieved with %q, answer says %q", r.queries, ans.Query)
			}
			// The answer prompt holds the sources, the history and the question.
			prompt := reqs[1].Prompt()
			for _, src := range handbook {
				if !strings.Contains(prompt, src.Text) {
					t.Errorf("prompt lacks source %q", src.Filename)
				}
			}
			for _, want := range []string{"user: Tell me about the vacation policy of Acme.", "assistant: Acme has a vacation policy.", "Question: And how many days is it?"} {
				if !strings.Contains(prompt, want) {
					t.Errorf("prompt lacks %q:\n%s", want, prompt)
				}
			}
			if !reqs[1].Stream || reqs[1].Model != e.Model() || reqs[1].MaxTokens != e.cfg.AnswerTokens {
				t.Errorf("request stream=%v model=%q max=%d", reqs[1].Stream, reqs[1].Model, reqs[1].MaxTokens)
			}
			if p.name == ProviderOllama && reqs[1].NumCtx != DefaultContextTokens {
				t.Errorf("num_ctx %d", reqs[1].NumCtx)
			}
			// Usage as the server reported it, over both calls.
			want := 100 + len(llmtest.Tokens(condensed)) + 100 + len(llmtest.Tokens(reply))
			if ans.TokensUsed != want {
				t.Errorf("TokensUsed %d, want %d", ans.TokensUsed, want)
			}
			// Citations point into Sources.
			for _, n := range Citations(ans.Content) {
				if n < 1 || n > len(ans.Sources) {
					t.Errorf("citation [%d] with %d sources", n, len(ans.Sources))
				}
			}
			if ans.Sources[0].Filename != "handbook.pdf" || ans.Sources[1].Filename != "leave.md" {
				t.Errorf("sources %+v", ans.Sources)
			}
		})
	}
}

func TestAnswerCondensesOnlyWithHistory(t *testing.T) {
	echo := []Turn{{"user", "How many vacation days?"}} // the caller stored the question first
	for _, p := range providers {
		for _, history := range [][]Turn{nil, echo, {{"user", "Hi"}, {"assistant", "Hello"}}} {
			s := p.start(t)
			s.Reply = script("An answer [1].")
			r := &recorder{passages: handbook}
			_, err := newEngine(t, p.cfg(s.URL)).Answer(context.Background(), r, Request{Question: "How many vacation days?", History: history}, nil)
			if err != nil {
				t.Fatal(err)
			}
			want, query := 1, "How many vacation days?"
			if len(history) > 1 {
				want, query = 2, condensed
			}
			if n := len(s.ChatRequests()); n != want || r.queries[0] != query {
				t.Errorf("%s, %d turns: %d calls, query %q; want %d, %q", p.name, len(history), n, r.queries[0], want, query)
			}
		}
	}
}

func TestAnswerUsageFallback(t *testing.T) {
	for _, p := range providers {
		s := p.start(t)
		s.NoUsage = true
		e := newEngine(t, p.cfg(s.URL))
		ans, err := e.Answer(context.Background(), &recorder{passages: handbook}, Request{Question: "How many days?"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := e.buildPrompt("How many days?", nil, handbook).tokens + EstimateTokens(llmtest.DefaultReply)
		if ans.TokensUsed != want {
			t.Errorf("%s: TokensUsed %d, want the estimate %d", p.name, ans.TokensUsed, want)
		}
	}
}

func TestAnswerHistoryWindowOverWire(t *testing.T) {
	for _, p := range providers {
		s := p.start(t)
		cfg := p.cfg(s.URL)
		cfg.ContextTokens, cfg.AnswerTokens = 1024, 256
		e := newEngine(t, cfg)
		// Straight to generation: condensing would add a call.
		_, err := e.generate(context.Background(), Answer{}, Request{}, "Last question?", longHistory(20), handbook, func(Event) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		prompt := s.ChatRequests()[0].Prompt()
		if !strings.Contains(prompt, "turn-19") || !strings.Contains(prompt, "turn-16") || strings.Contains(prompt, "turn-00") || strings.Contains(prompt, "turn-05") {
			t.Errorf("%s: the window should hold the newest turns only:\n%s", p.name, prompt)
		}
	}
}

func TestOpenAIKey(t *testing.T) {
	tests := []struct {
		key, header string
	}{
		{"", ""}, // a local server without a key: no placeholder leaks
		{"sk-test", "Bearer sk-test"},
	}
	for _, tt := range tests {
		t.Setenv("OPENAI_API_KEY", "")
		s := llmtest.NewOpenAI(t)
		cfg := providers[1].cfg(s.URL)
		cfg.OpenAIKey = tt.key
		if _, err := newEngine(t, cfg).Answer(context.Background(), &recorder{passages: handbook}, Request{Question: "q?"}, nil); err != nil {
			t.Fatal(err)
		}
		if got := s.Requests()[0].Header.Get("Authorization"); got != tt.header {
			t.Errorf("key %q: Authorization %q, want %q", tt.key, got, tt.header)
		}
	}
}

// deadURL returns the URL of a port nothing listens on.
func deadURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	return url
}

func TestProviderErrors(t *testing.T) {
	const reply = "one two three four five six seven eight"
	tests := []struct {
		name    string
		setup   func(*llmtest.Server)
		dead    bool
		want    map[string]string // provider → substring of the message
		timeout bool
		partial string // expected partial content
	}{
		{name: "unreachable", dead: true, want: map[string]string{
			ProviderOllama: "is unreachable: is `ollama serve` running?",
			ProviderOpenAI: "is unreachable: is the server running? Check OPENAI_BASE_URL"}},
		{name: "500", setup: func(s *llmtest.Server) { s.Status = 500; s.ErrorMessage = "out of memory" }, want: map[string]string{
			ProviderOllama: "answered 500 (out of memory): see the server's logs",
			ProviderOpenAI: "answered 500 (out of memory): see the server's logs"}},
		{name: "404", setup: func(s *llmtest.Server) { s.Status = 404 }, want: map[string]string{
			ProviderOllama: "answered 404 (model \"llama-test\" not found, try pulling it first): run `ollama pull llama-test`",
			ProviderOpenAI: "answered 404 (The model does not exist or you do not have access to it.): check the model name \"gpt-test\""}},
		{name: "401", setup: func(s *llmtest.Server) { s.Status = 401; s.APIKey = "sk-right" }, want: map[string]string{
			ProviderOllama: "answered 401",
			ProviderOpenAI: "answered 401 (Incorrect API key provided.): check OPENAI_API_KEY"}},
		{name: "hang", setup: func(s *llmtest.Server) { s.Hang = true }, timeout: true, want: map[string]string{
			ProviderOllama: "sent nothing for 300ms: the model may still be loading",
			ProviderOpenAI: "sent nothing for 300ms: the server may be overloaded"}},
		{name: "stall", setup: func(s *llmtest.Server) { s.StallAfter = 3 }, timeout: true, partial: "one two three", want: map[string]string{
			ProviderOllama: "sent nothing for 300ms", ProviderOpenAI: "sent nothing for 300ms"}},
		{name: "close", setup: func(s *llmtest.Server) { s.CloseAfter = 2 }, partial: "one two", want: map[string]string{
			ProviderOllama: "closed the connection in the middle of the reply: the server may have crashed",
			ProviderOpenAI: "closed the connection in the middle of the reply: the server may have crashed"}},
	}
	for _, tt := range tests {
		for _, p := range providers {
			t.Run(tt.name+"/"+p.name, func(t *testing.T) {
				s := p.start(t)
				s.Reply = func(llmtest.Request) string { return reply }
				url := s.URL
				if tt.dead {
					url = deadURL(t)
				} else {
					tt.setup(s)
				}
				cfg := p.cfg(url)
				cfg.Timeout = 300 * time.Millisecond
				start := time.Now()
				ans, err := newEngine(t, cfg).Answer(context.Background(), &recorder{passages: handbook}, Request{Question: "q?"}, nil)
				if elapsed := time.Since(start); elapsed > 3*time.Second {
					t.Errorf("took %v", elapsed)
				}
				var pe *ProviderError
				if !errors.As(err, &pe) {
					t.Fatalf("error %v (%T), want a *ProviderError", err, err)
				}
				if !strings.Contains(err.Error(), tt.want[p.name]) || pe.Op != "answer" {
					t.Errorf("message %q, want %q", err, tt.want[p.name])
				}
				if strings.Contains(err.Error(), "dial tcp") || strings.Contains(err.Error(), ".go:") {
					t.Errorf("message leaks internals: %q", err)
				}
				if tt.timeout != pe.Timeout() || tt.timeout != errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Timeout() = %v, want %v", pe.Timeout(), tt.timeout)
				}
				if !ans.Partial || ans.Content != tt.partial {
					t.Errorf("partial %v %q, want %q", ans.Partial, ans.Content, tt.partial)
				}
			})
		}
	}
}

func TestAnswerEmptyReply(t *testing.T) {
	for _, p := range providers {
		s := p.start(t)
		s.Reply = func(llmtest.Request) string { return "" }
		_, err := newEngine(t, p.cfg(s.URL)).Answer(context.Background(), &recorder{passages: handbook}, Request{Question: "q?"}, nil)
		var pe *ProviderError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), "returned an empty reply") {
			t.Errorf("%s: error %v", p.name, err)
		}
	}
}

func TestAnswerCancel(t *testing.T) {
	reply := strings.Repeat("word ", 100)
	for _, p := range append(providers, provider{name: "extractive"}) {
		t.Run(p.name, func(t *testing.T) {
			cfg := Config{}
			if p.start != nil {
				s := p.start(t)
				s.Reply = func(llmtest.Request) string { return reply }
				s.TokenDelay = 10 * time.Millisecond
				cfg = p.cfg(s.URL)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var cancelled time.Time
			ev := &events{}
			ev.onEach = func(e Event) error {
				if len(ev.deltas()) == 3 {
					cancel() // the client goes away
					cancelled = time.Now()
				}
				return nil
			}
			ans, err := newEngine(t, cfg).Answer(ctx, &recorder{passages: handbook}, Request{Question: "How many vacation days?"}, ev.emit)
			var pe *ProviderError
			if !errors.Is(err, context.Canceled) || errors.As(err, &pe) {
				t.Fatalf("error %v, want context.Canceled, not a server failure", err)
			}
			if d := time.Since(cancelled); d > time.Second {
				t.Errorf("returned %v after cancellation", d)
			}
			if !ans.Partial || ans.Content != strings.Join(ev.deltas(), "") || len(ev.deltas()) != 3 {
				t.Errorf("partial=%v content %q after %d deltas", ans.Partial, ans.Content, len(ev.deltas()))
			}
		})
	}
}

func TestAnswerEmitError(t *testing.T) {
	s := llmtest.NewOllama(t)
	gone := errors.New("client gone")
	ev := &events{onEach: func(e Event) error {
		if e.Kind == EventDelta {
			return gone
		}
		return nil
	}}
	ans, err := newEngine(t, providers[0].cfg(s.URL)).Answer(context.Background(), &recorder{passages: handbook}, Request{Question: "q?"}, ev.emit)
	if !errors.Is(err, gone) || !ans.Partial || ans.Content != "" {
		t.Errorf("error %v, partial %v, content %q", err, ans.Partial, ans.Content)
	}
}

func TestAnswerNotFound(t *testing.T) {
	below := []Passage{{Filename: "a.txt", Text: "noise", BelowFloor: true}, {Filename: "b.txt", Text: "more noise", BelowFloor: true}}
	tests := []struct {
		name     string
		passages []Passage
		question string
		want     string
	}{
		{"none", nil, "What is the moon made of?", "The documents do not contain an answer to this question."},
		{"below floor", below, "What is the moon made of?", "The documents do not contain an answer to this question."},
		{"chinese", below, "月亮是什么做的？", "文档中没有找到这个问题的答案。"},
	}
	for _, tt := range tests {
		for _, p := range append(providers, provider{name: "extractive"}) {
			cfg, s := Config{}, (*llmtest.Server)(nil)
			if p.start != nil {
				s = p.start(t)
				cfg = p.cfg(s.URL)
			}
			ev := &events{}
			ans, err := newEngine(t, cfg).Answer(context.Background(), &recorder{passages: tt.passages}, Request{Question: tt.question}, ev.emit)
			if err != nil {
				t.Fatal(err)
			}
			checkStream(t, ev, ans)
			if !ans.NotFound || ans.Content != tt.want || len(ans.Sources) != 0 {
				t.Errorf("%s/%s: %+v", tt.name, p.name, ans)
			}
			if s != nil && len(s.Requests()) != 0 {
				t.Errorf("%s/%s: the model was called", tt.name, p.name)
			}
		}
	}
}

func TestAnswerBelowFloorDropped(t *testing.T) {
	passages := append([]Passage{{Filename: "noise.txt", Text: "Vacation noise.", BelowFloor: true}}, handbook...)
	ans, err := newEngine(t, Config{}).Answer(context.Background(), &recorder{passages: passages}, Request{Question: "How many vacation days do employees get?"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ans.Sources) != 3 || ans.Sources[0].Filename != "handbook.pdf" || !strings.Contains(ans.Content, "25 days of paid vacation per year [1]") {
		t.Errorf("answer %+v", ans)
	}
}

func TestAnswerExtractive(t *testing.T) {
	e := newEngine(t, Config{})
	r := &recorder{passages: handbookZH}
	ev := &events{}
	history := []Turn{{"user", "公司的年假政策是什么？"}, {"assistant", "员工每年享有十五天带薪年假[1]。"}}
	ans, err := e.Answer(context.Background(), r, Request{Question: "需要提前多久申请？", History: history}, ev.emit)
	if err != nil {
		t.Fatal(err)
	}
	checkStream(t, ev, ans)
	if ans.Mode != ModeExtractive || ans.Model != "" || ans.TokensUsed != 0 || e.Mode() != ModeExtractive {
		t.Errorf("answer %+v", ans)
	}
	if !strings.Contains(ans.Content, "年假需要提前两周申请！[1]") {
		t.Errorf("content %q", ans.Content)
	}
	if !strings.Contains(r.queries[0], "年假政策") {
		t.Errorf("follow-up query %q lacks the previous question's terms", r.queries[0])
	}
}

func TestAnswerExtractiveFollowUp(t *testing.T) {
	// The security passage ranks first and also mentions days: the
	// follow-up is answered from the topic of the previous question.
	passages := []Passage{handbook[2], handbook[0]}
	history := []Turn{{"user", "What is the vacation policy?"}, {"assistant", "Acme has one."}}
	ans, err := newEngine(t, Config{}).Answer(context.Background(), &recorder{passages: passages}, Request{Question: "How many days?", History: history}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ans.Content, "Employees receive 25 days of paid vacation per year [2].") || strings.Contains(ans.Content, "Passwords") {
		t.Errorf("content %q", ans.Content)
	}
}

func TestAnswerRequest(t *testing.T) {
	e := newEngine(t, Config{})
	if _, err := e.Answer(context.Background(), &recorder{}, Request{Question: "  "}, nil); !errors.Is(err, ErrEmptyQuestion) {
		t.Errorf("blank question: %v", err)
	}
	boom := errors.New("index closed")
	_, err := e.Answer(context.Background(), RetrieverFunc(func(context.Context, string, int) ([]Passage, error) { return nil, boom }), Request{Question: "q"}, nil)
	if !errors.Is(err, boom) {
		t.Errorf("retriever error: %v", err)
	}
	for _, tt := range []struct{ in, want int }{{0, DefaultTopK}, {3, 3}, {1000, maxTopK}} {
		var got int
		_, _ = e.Answer(context.Background(), RetrieverFunc(func(_ context.Context, _ string, k int) ([]Passage, error) {
			got = k
			return nil, nil
		}), Request{Question: "q", TopK: tt.in}, nil)
		if got != tt.want {
			t.Errorf("TopK %d: retrieved %d", tt.in, got)
		}
	}
}

func TestNew(t *testing.T) {
	t.Setenv("OLLAMA_HOST", "")
	t.Setenv("OPENAI_BASE_URL", "")
	tests := []struct {
		cfg      Config
		model    string
		endpoint string
		err      string
	}{
		{cfg: Config{}, model: ""},
		{cfg: Config{Provider: "ollama"}, model: DefaultOllamaModel, endpoint: DefaultOllamaHost},
		{cfg: Config{Provider: "ollama", OllamaHost: "0.0.0.0"}, model: DefaultOllamaModel, endpoint: "http://0.0.0.0:11434"},
		{cfg: Config{Provider: "ollama", OllamaHost: ":11500"}, model: DefaultOllamaModel, endpoint: "http://127.0.0.1:11500"},
		{cfg: Config{Provider: "ollama", OllamaHost: "https://ollama.example.com/"}, model: DefaultOllamaModel, endpoint: "https://ollama.example.com"},
		{cfg: Config{Provider: "ollama", OllamaHost: "gpu-box:8080", Model: "qwen2.5"}, model: "qwen2.5", endpoint: "http://gpu-box:8080"},
		{cfg: Config{Provider: "openai"}, model: DefaultOpenAIModel, endpoint: DefaultOpenAIBaseURL},
		{cfg: Config{Provider: "openai", OpenAIBaseURL: "http://user:secret@localhost:8000/v1/"}, model: DefaultOpenAIModel, endpoint: "http://user:xxxxx@localhost:8000/v1"},
		{cfg: Config{Provider: "gpt"}, err: `unknown LLM provider "gpt"`},
		{cfg: Config{Provider: "openai", OpenAIBaseURL: "localhost:8000"}, err: "invalid server URL"},
		{cfg: Config{ContextTokens: 100}, err: "too small"},
		{cfg: Config{Timeout: -1}, err: "must not be negative"},
	}
	for _, tt := range tests {
		e, err := New(tt.cfg)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("New(%+v): error %v, want %q", tt.cfg, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("New(%+v): %v", tt.cfg, err)
			continue
		}
		endpoint := ""
		if e.llm != nil {
			endpoint = e.llm.endpoint
		}
		if e.Model() != tt.model || endpoint != tt.endpoint {
			t.Errorf("New(%+v): model %q at %q, want %q at %q", tt.cfg, e.Model(), endpoint, tt.model, tt.endpoint)
		}
	}
}

func TestCondenseMayAnswerStandalone(t *testing.T) {
	history := []Turn{{"user", "What is the hotel limit in Geneva?"}, {"assistant", "210 euros a night [1]."}}
	for _, p := range providers {
		for _, reply := range []string{"STANDALONE", "standalone.", "Standalone question: STANDALONE"} {
			s := p.start(t)
			s.Reply = func(r llmtest.Request) string {
				if strings.Contains(r.Prompt(), "Standalone question:") {
					return reply
				}
				return "An answer [1]."
			}
			r := &recorder{passages: handbook}
			q := "How many vacation days do employees get?"
			if _, err := newEngine(t, p.cfg(s.URL)).Answer(context.Background(), r, Request{Question: q, History: history}, nil); err != nil {
				t.Fatal(err)
			}
			if r.queries[0] != q {
				t.Errorf("%s, condensed %q: searched %q, want the question as asked", p.name, reply, r.queries[0])
			}
			if msgs := s.ChatRequests()[0].Messages; !strings.Contains(msgs[0].Content, "STANDALONE") {
				t.Errorf("%s: the condense prompt does not offer STANDALONE: %q", p.name, msgs[0].Content)
			}
		}
	}
}

func TestAnswerNotFoundWithoutTheLLM(t *testing.T) {
	for _, p := range providers {
		s := p.start(t)
		s.Reply = script("unused")
		below := []Passage{{DocumentID: 1, Filename: "a.txt", Text: "Unrelated text.", BelowFloor: true}}
		ev := &events{}
		ans, err := newEngine(t, p.cfg(s.URL)).Answer(context.Background(), &recorder{passages: below}, Request{Question: "What is the capital of Mongolia?"}, ev.emit)
		if err != nil {
			t.Fatal(err)
		}
		if !ans.NotFound || ans.Mode != ModeExtractive || ans.Model != "" || len(s.ChatRequests()) != 0 {
			t.Errorf("%s: answer %+v after %d LLM calls: want not found, extractive, no model, no call", p.name, ans, len(s.ChatRequests()))
		}
		if len(ev.all) == 0 || ev.all[0].Kind != EventSources || ev.all[0].Mode != ModeExtractive || ev.all[0].Model != "" {
			t.Errorf("%s: sources event %+v", p.name, ev.all)
		}
	}
	noDocs := RetrieverFunc(func(context.Context, string, int) ([]Passage, error) {
		return nil, fmt.Errorf("library: %w", ErrNoDocuments)
	})
	ans, err := newEngine(t, Config{}).Answer(context.Background(), noDocs, Request{Question: "How long should water boil?"}, nil)
	if err != nil || !ans.NotFound || !strings.Contains(ans.Content, "upload some first") {
		t.Errorf("empty library: %+v, %v", ans, err)
	}
}

func TestLLMAnswersTheQuestionAsSearched(t *testing.T) {
	history := []Turn{{"user", "Tell me about the vacation policy of Acme."}, {"assistant", "Acme has a vacation policy [1]."}}
	for _, p := range providers {
		s := p.start(t)
		s.Reply = script("25 days [1].")
		r := &recorder{passages: handbook}
		if _, err := newEngine(t, p.cfg(s.URL)).Answer(context.Background(), r, Request{Question: "How many days?", History: history}, nil); err != nil {
			t.Fatal(err)
		}
		reqs := s.ChatRequests()
		if prompt := reqs[len(reqs)-1].Prompt(); !strings.Contains(prompt, "How many days?") || !strings.Contains(prompt, condensed) {
			t.Errorf("%s: the answer prompt lacks the question or its standalone form: %q", p.name, prompt)
		}
	}
}

// An application's instructions join the system prompt (the rules stay),
// and its token limit and temperature reach the model; an answer cut at
// the limit says so.
func TestRequestOptionsReachTheModel(t *testing.T) {
	s := llmtest.NewOpenAI(t)
	s.CutAtMaxTokens = true
	s.Reply = func(llmtest.Request) string {
		return "Employees get fifteen vacation days per year, booked two weeks ahead [1]."
	}
	e := newEngine(t, providers[1].cfg(s.URL))
	temp := 0.25
	req := Request{Question: "How many vacation days?", Instructions: "Answer in one short sentence.", MaxTokens: 4, Temperature: &temp}
	ans, err := e.Answer(context.Background(), &recorder{passages: handbook}, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := s.Requests()[len(s.Requests())-1]
	if len(got.Messages) == 0 || got.Messages[0].Role != "system" || !strings.Contains(got.Messages[0].Content, "Answer in one short sentence.") ||
		!strings.Contains(got.Messages[0].Content, "Cite the sources") {
		t.Errorf("system message: %+v", got.Messages)
	}
	if got.MaxTokens != 4 || !strings.Contains(string(got.Body), `"temperature":0.25`) {
		t.Errorf("max tokens %d, body %s", got.MaxTokens, got.Body)
	}
	if !ans.Truncated || ans.Content == "" {
		t.Errorf("an answer cut at 4 tokens: truncated %v, %q", ans.Truncated, ans.Content)
	}

	ans, _ = e.Answer(context.Background(), &recorder{passages: handbook}, Request{Question: "How many vacation days?"}, nil)
	if ans.Truncated || strings.Contains(s.Requests()[len(s.Requests())-1].Prompt(), "Instructions from the application") {
		t.Errorf("without options: truncated %v, prompt %s", ans.Truncated, s.Requests()[len(s.Requests())-1].Prompt())
	}
}
