package chat

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/ollama"
	"github.com/tmc/langchaingo/llms/openai"
)

// noKey is the token handed to langchaingo's OpenAI client, which refuses
// to start without one, when no API key is configured. The transport
// removes the Authorization header that carries it, so it never leaves the
// process.
const noKey = "docent-no-api-key"

// errSilent is the cancellation cause when a call exceeds Config.Timeout
// without receiving anything.
var errSilent = errors.New("no data from the LLM server within the timeout")

// llm is a configured langchaingo model and what its errors need to say.
type llm struct {
	provider string
	model    string
	endpoint string // base URL, credentials removed
	timeout  time.Duration
	client   llms.Model
}

// newLLM builds the langchaingo client for cfg, filling in cfg.Model.
func newLLM(cfg *Config) (*llm, error) {
	l := &llm{provider: cfg.Provider, timeout: cfg.Timeout}
	var err error
	switch cfg.Provider {
	case ProviderOllama:
		cfg.Model = firstNonEmpty(cfg.Model, DefaultOllamaModel)
		var u *url.URL
		if u, err = ollamaURL(firstNonEmpty(cfg.OllamaHost, os.Getenv("OLLAMA_HOST"), DefaultOllamaHost)); err != nil {
			return nil, err
		}
		l.endpoint = u.Redacted()
		l.client, err = ollama.New(
			ollama.WithServerURL(u.String()), ollama.WithModel(cfg.Model),
			ollama.WithHTTPClient(tracedClient(cfg.HTTPClient, false)),
			ollama.WithRunnerNumCtx(cfg.ContextTokens),
		)
	case ProviderOpenAI:
		cfg.Model = firstNonEmpty(cfg.Model, DefaultOpenAIModel)
		var u *url.URL
		if u, err = httpURL(firstNonEmpty(cfg.OpenAIBaseURL, os.Getenv("OPENAI_BASE_URL"), DefaultOpenAIBaseURL)); err != nil {
			return nil, err
		}
		l.endpoint = u.Redacted()
		key := firstNonEmpty(cfg.OpenAIKey, os.Getenv("OPENAI_API_KEY"))
		l.client, err = openai.New(
			openai.WithToken(firstNonEmpty(key, noKey)), openai.WithBaseURL(u.String()),
			openai.WithModel(cfg.Model), openai.WithHTTPClient(tracedClient(cfg.HTTPClient, key == "")),
		)
	}
	if err != nil {
		return nil, fmt.Errorf("chat: %s client: %w", cfg.Provider, err)
	}
	l.model = cfg.Model
	return l, nil
}

// ollamaURL parses an OLLAMA_HOST value: a URL, or a bare "host",
// "host:port" or ":port" (scheme http, port 11434 by default).
func ollamaURL(host string) (*url.URL, error) {
	host = strings.TrimSpace(host)
	if !strings.Contains(host, "://") {
		if strings.HasPrefix(host, ":") {
			host = "127.0.0.1" + host
		}
		if _, _, err := net.SplitHostPort(host); err != nil {
			host = net.JoinHostPort(strings.Trim(host, "[]"), "11434")
		}
		host = "http://" + host
	}
	return httpURL(host)
}

// httpURL parses an http(s) base URL, without a trailing slash.
func httpURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(raw), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("chat: invalid server URL %q: want http://host[:port][/path]", raw)
	}
	return u, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// reply is the outcome of one LLM call.
type reply struct {
	text string
	// prompt and completion are the token counts the server reported;
	// both 0 when it reported none.
	prompt, completion int
	// stop is why the model stopped, as the server said ("length": at the
	// token limit).
	stop string
}

// truncated reports whether the reply was cut at its token limit.
func (r reply) truncated() bool {
	switch strings.ToLower(r.stop) {
	case "length", "max_tokens":
		return true
	}
	return false
}

// tokens returns the reply's token usage, estimated from promptEstimate
// and the text when the server reported none.
func (r reply) tokens(promptEstimate int) int {
	if r.prompt == 0 && r.completion == 0 {
		return promptEstimate + EstimateTokens(r.text)
	}
	return r.prompt + r.completion
}

// generate runs one chat completion, streamed, passing each non-empty
// chunk to onDelta (which may be nil) before adding it to the reply text.
// It fails with a *ProviderError when the server does, with an error
// wrapping ctx.Err() when ctx ends first; the reply then holds the text
// received so far. extra options (a temperature) go to the model.
func (l *llm) generate(ctx context.Context, op string, msgs []llms.MessageContent, maxTokens int, onDelta func(string) error, extra ...llms.CallOption) (reply, error) {
	tr := &trace{}
	callCtx, cancel := context.WithCancelCause(context.WithValue(ctx, traceKey{}, tr))
	defer cancel(nil)
	watchdog := time.AfterFunc(l.timeout, func() { cancel(errSilent) })
	defer watchdog.Stop()
	tr.onRead = func() { watchdog.Reset(l.timeout) }

	var text strings.Builder
	var emitErr error
	stream := func(_ context.Context, chunk []byte) error {
		if len(chunk) == 0 {
			return nil
		}
		if onDelta != nil {
			if emitErr = onDelta(string(chunk)); emitErr != nil {
				return emitErr
			}
		}
		text.Write(chunk)
		return nil
	}
	opts := append([]llms.CallOption{llms.WithMaxTokens(maxTokens), llms.WithStreamingFunc(stream)}, extra...)
	resp, err := l.client.GenerateContent(callCtx, msgs, opts...)
	watchdog.Stop()

	out := reply{text: text.String()}
	if resp != nil && len(resp.Choices) > 0 {
		info := resp.Choices[0].GenerationInfo
		out.prompt, out.completion = intInfo(info, "PromptTokens"), intInfo(info, "CompletionTokens")
		out.stop = resp.Choices[0].StopReason
	}
	switch {
	case emitErr != nil:
		return out, fmt.Errorf("chat: emit: %w", emitErr)
	case ctx.Err() != nil:
		return out, fmt.Errorf("chat: %s interrupted: %w", op, ctx.Err())
	}
	return out, l.check(op, context.Cause(callCtx), tr, err)
}

// intInfo reads a token count from langchaingo's GenerationInfo.
func intInfo(info map[string]any, key string) int {
	switch v := info[key].(type) {
	case int:
		return v
	case int64:
		return int(v)
	case float64:
		return int(v)
	}
	return 0
}

// check turns what a call saw into a *ProviderError, or nil when it went
// well. The trace is consulted first: langchaingo's clients lose the status
// code (Ollama's), hide network errors (OpenAI's) or report success for a
// stream cut short.
func (l *llm) check(op string, cause error, tr *trace, err error) error {
	status, body, rtErr, readErr := tr.result()
	pe := &ProviderError{Provider: l.provider, Op: op, Endpoint: l.endpoint, Model: l.model, Err: err}
	switch {
	case errors.Is(cause, errSilent):
		pe.Err = fmt.Errorf("%w: %w", errSilent, context.DeadlineExceeded)
		pe.Problem = "sent nothing for " + l.timeout.String()
	case status >= 400:
		pe.StatusCode = status
		pe.Problem = fmt.Sprintf("answered %d %s", status, serverMessage(body))
		if pe.Err == nil {
			pe.Err = fmt.Errorf("HTTP status %d", status)
		}
	case rtErr != nil:
		pe.Err, pe.Problem = rtErr, networkProblem(rtErr)
	case readErr != nil:
		pe.Err, pe.Problem = readErr, "closed the connection in the middle of the reply"
	case err != nil:
		pe.Problem = "failed"
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			pe.Problem = "sent a reply that is not its API's JSON"
		}
	default:
		return nil
	}
	pe.Hint = l.hint(pe)
	return pe
}

// networkProblem describes an error that kept a request from getting a
// response.
func networkProblem(err error) string {
	var dns *net.DNSError
	var op *net.OpError
	var tlsErr tls.RecordHeaderError
	switch {
	case errors.As(err, &tlsErr):
		return "failed the TLS handshake"
	case errors.As(err, &dns), errors.As(err, &op) && op.Op == "dial":
		return "is unreachable"
	}
	return "could not be reached"
}

// serverMessage extracts the error message of an error response body:
// {"error": "..."} (Ollama), {"error": {"message": "..."}} (OpenAI) or
// plain text, shortened.
func serverMessage(body []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	msg := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &v) == nil {
		var s string
		var obj struct{ Message string }
		switch {
		case json.Unmarshal(v.Error, &s) == nil:
			msg = s
		case json.Unmarshal(v.Error, &obj) == nil && obj.Message != "":
			msg = obj.Message
		default:
			msg = v.Message
		}
	}
	msg = strings.Join(strings.Fields(oneLine(msg)), " ")
	if msg == "" {
		return ""
	}
	return "(" + truncateTokens(msg, 50) + ")"
}

// hint says what to check for a failed call, in terms of the settings a
// user can change.
func (l *llm) hint(pe *ProviderError) string {
	ollama := l.provider == ProviderOllama
	switch code := pe.StatusCode; {
	case errors.Is(pe.Err, errSilent) && ollama:
		return "the model may still be loading, or the machine is busy; retry, or raise the timeout"
	case errors.Is(pe.Err, errSilent):
		return "the server may be overloaded; retry, or raise the timeout"
	case code == 401 || code == 403:
		if ollama {
			return "check the credentials of the proxy in front of Ollama"
		}
		return "check OPENAI_API_KEY"
	case code == 404 && ollama:
		return fmt.Sprintf("run `ollama pull %s`, or check that OLLAMA_HOST points at Ollama", l.model)
	case code == 404:
		return fmt.Sprintf("check the model name %q and that OPENAI_BASE_URL ends in /v1", l.model)
	case code == 429:
		return "rate limited: wait and retry, or check the account's quota"
	case code >= 500:
		return "see the server's logs"
	case code >= 400:
		return "check the model name and the context size (--llm-model, ContextTokens)"
	case pe.Problem == "is unreachable" && ollama:
		return "is `ollama serve` running? Set OLLAMA_HOST if it listens elsewhere"
	case pe.Problem == "is unreachable":
		return "is the server running? Check OPENAI_BASE_URL"
	case strings.HasPrefix(pe.Problem, "closed the connection"):
		return "the server may have crashed or restarted: see its logs"
	case pe.Problem == "failed the TLS handshake":
		return "check the URL's scheme (http or https)"
	case ollama:
		return "check OLLAMA_HOST and the server's logs"
	}
	return "check OPENAI_BASE_URL and the server's logs"
}

// ProviderError reports a failed call to the LLM server. Its message names
// the provider, the server and what to check, and leaves out Go internals;
// Err keeps the underlying error for logs. A call that timed out wraps
// context.DeadlineExceeded.
type ProviderError struct {
	Provider   string // ProviderOllama or ProviderOpenAI
	Op         string // the call: "answer", "condense", "title" or "summarize"
	Endpoint   string // the server's base URL, credentials removed
	Model      string
	StatusCode int    // the HTTP status when the server answered with an error, else 0
	Problem    string // what went wrong: "is unreachable", "answered 401 (...)"
	Hint       string // what to check: "is `ollama serve` running? ..."
	Err        error
}

// Error returns, for example, "ollama at http://127.0.0.1:11434 is
// unreachable: is `ollama serve` running? Set OLLAMA_HOST if it listens
// elsewhere".
func (e *ProviderError) Error() string {
	name := e.Provider
	if name == ProviderOpenAI {
		name = "openai-compatible server"
	}
	return fmt.Sprintf("%s at %s %s: %s", name, e.Endpoint, e.Problem, e.Hint)
}

// Unwrap returns the underlying error.
func (e *ProviderError) Unwrap() error { return e.Err }

// Timeout reports whether the server exceeded Config.Timeout.
func (e *ProviderError) Timeout() bool { return errors.Is(e.Err, errSilent) }

// traceKey is the context key of a call's *trace.
type traceKey struct{}

// trace records, for one LLM call, what the HTTP layer saw.
type trace struct {
	onRead func() // called whenever response bytes arrive

	mu      sync.Mutex
	status  int
	body    []byte // the start of an error response's body
	rtErr   error  // no response at all
	readErr error  // the response body broke off
}

func (t *trace) result() (status int, body []byte, rtErr, readErr error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.status, t.body, t.rtErr, t.readErr
}

// tracedClient returns a copy of hc (nil means a default client) whose
// transport records each call's trace and, with stripAuth, removes the
// placeholder Authorization header.
func tracedClient(hc *http.Client, stripAuth bool) *http.Client {
	c := &http.Client{}
	if hc != nil {
		*c = *hc
	}
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = &transport{base: base, stripAuth: stripAuth}
	return c
}

// transport is the http.RoundTripper behind tracedClient.
type transport struct {
	base      http.RoundTripper
	stripAuth bool
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.stripAuth && req.Header.Get("Authorization") == "Bearer "+noKey {
		req = req.Clone(req.Context())
		req.Header.Del("Authorization")
	}
	resp, err := t.base.RoundTrip(req)
	tr, _ := req.Context().Value(traceKey{}).(*trace)
	if tr == nil {
		return resp, err
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if err != nil {
		tr.rtErr = err
		return resp, err
	}
	tr.status = resp.StatusCode
	tr.onRead()
	resp.Body = &tracedBody{ReadCloser: resp.Body, tr: tr, keep: resp.StatusCode >= 400}
	return resp, nil
}

// tracedBody is a response body that reports reads to its trace.
type tracedBody struct {
	io.ReadCloser
	tr   *trace
	keep bool // keep the start of the body: it holds an error message
}

// Read implements io.Reader.
func (b *tracedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.tr.onRead()
	}
	if (n > 0 && b.keep) || (err != nil && err != io.EOF) {
		b.tr.mu.Lock()
		if b.keep && len(b.tr.body) < 1024 {
			b.tr.body = append(b.tr.body, p[:min(n, 1024-len(b.tr.body))]...)
		}
		if err != nil && err != io.EOF && b.tr.readErr == nil {
			b.tr.readErr = err
		}
		b.tr.mu.Unlock()
	}
	return n, err
}

// emptyReply is the error for a call that succeeded with no text.
func (l *llm) emptyReply(op string) error {
	return &ProviderError{
		Provider: l.provider, Op: op, Endpoint: l.endpoint, Model: l.model,
		Problem: "returned an empty reply", Hint: fmt.Sprintf("check that model %q can chat", l.model),
		Err: errors.New("empty reply"),
	}
}
