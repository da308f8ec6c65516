package api

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"docent/chat"
	"docent/store"
)

// The OpenAI-compatible endpoints under /v1 let chat front-ends, scripts
// and libraries written for OpenAI ask docent, given only a base URL and
// a key. The model "docent" answers from everything the caller may read;
// "docent/<workspace>" from one workspace. Answers cite [n] and carry
// their passages in an extra "sources" field that other clients ignore.

// modelPrefix starts the model name of a workspace.
const (
	modelAll    = "docent"
	modelPrefix = "docent/"
)

// isOpenAIPath reports whether r is for the OpenAI-compatible API, whose
// errors take OpenAI's shape.
func isOpenAIPath(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/v1/") }

// openAIError is OpenAI's error body.
type openAIError struct {
	Error openAIErrorBody `json:"error"`
}

type openAIErrorBody struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    string  `json:"code"`
}

// writeOpenAIError answers with OpenAI's error shape (and its status for
// an invalid request: 400, where docent's own API says 422).
func writeOpenAIError(w http.ResponseWriter, status int, message string, fields []FieldError) {
	if status == http.StatusUnprocessableEntity {
		status = http.StatusBadRequest
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="docent"`)
	}
	writeJSON(w, status, openAIErrorOf(status, message, fields))
}

// openAIErrorOf is an error in OpenAI's shape: the type and code clients
// branch on follow from the status.
func openAIErrorOf(status int, message string, fields []FieldError) openAIError {
	typ, code := "invalid_request_error", "invalid_request"
	switch {
	case status == http.StatusUnauthorized:
		typ, code = "authentication_error", "invalid_api_key"
	case status == http.StatusForbidden:
		typ, code = "permission_error", "insufficient_permissions"
	case status == http.StatusNotFound:
		code = "not_found"
		if strings.HasPrefix(message, "the model ") {
			code = "model_not_found"
		}
	case status == http.StatusTooManyRequests:
		typ, code = "rate_limit_error", "rate_limit_exceeded"
	case status >= 500:
		typ, code = "server_error", "server_error"
	case status == http.StatusUnprocessableEntity || status == http.StatusBadRequest:
		code = "invalid_value"
	}
	body := openAIErrorBody{Message: message, Type: typ, Code: code}
	if len(fields) > 0 {
		body.Param = &fields[0].Field
	}
	return openAIError{body}
}

// modelJSON is one entry of GET /v1/models.
type modelJSON struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

// openAIModels lists what the caller can ask: "docent", and
// "docent/<name>" for each workspace they see (a name that several of
// them share is listed as "docent/<id>" for all but the caller's own).
func (s *Server) openAIModels(w http.ResponseWriter, r *http.Request) {
	spaces, err := s.db.Workspaces(r.Context(), viewer(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := []modelJSON{{ID: modelAll, Object: "model", Created: s.started.Unix(), OwnedBy: "docent"}}
	for i := range spaces {
		data = append(data, modelJSON{ID: modelName(viewer(r), spaces, &spaces[i]), Object: "model",
			Created: spaces[i].CreatedAt.Unix(), OwnedBy: "docent"})
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

// modelName is the model that answers from workspace ws among the
// caller's spaces.
func modelName(v store.Viewer, spaces []store.Workspace, ws *store.Workspace) string {
	if w, ok := byName(v, spaces, ws.Name); ok && w.ID == ws.ID {
		return modelPrefix + ws.Name
	}
	return modelPrefix + strconv.FormatUint(ws.ID, 10)
}

// byName finds the workspace named name (ignoring case) among spaces:
// the caller's own first, then the only one so named.
func byName(v store.Viewer, spaces []store.Workspace, name string) (store.Workspace, bool) {
	var found []store.Workspace
	for _, w := range spaces {
		if strings.EqualFold(w.Name, name) {
			if w.Owner == v.UserID {
				return w, true
			}
			found = append(found, w)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return store.Workspace{}, false
}

// resolveModel turns a model name into the workspace it answers from (0
// for "docent"); an unknown model, or a workspace the caller may not see,
// is 404.
func (s *Server) resolveModel(ctx context.Context, v store.Viewer, model string) (uint64, error) {
	if model == "" || model == modelAll {
		return 0, nil
	}
	notFound := errorf(http.StatusNotFound, "the model %q does not exist or you do not have access to it; GET /v1/models lists yours", model)
	name, ok := strings.CutPrefix(model, modelPrefix)
	if !ok {
		return 0, notFound
	}
	spaces, err := s.db.Workspaces(ctx, v)
	if err != nil {
		return 0, err
	}
	if w, ok := byName(v, spaces, name); ok {
		return w.ID, nil
	}
	if id, err := strconv.ParseUint(name, 10, 64); err == nil {
		for _, w := range spaces {
			if w.ID == id {
				return id, nil
			}
		}
	}
	return 0, notFound
}

// completionRequest is the part of OpenAI's chat completion request that
// docent reads; other fields (top_p, user, tools, ...) are accepted and
// ignored, as clients send them unasked.
type completionRequest struct {
	Model               string              `json:"model"`
	Messages            []completionMessage `json:"messages"`
	Stream              bool                `json:"stream"`
	StreamOptions       *streamOptions      `json:"stream_options"`
	MaxTokens           *int                `json:"max_tokens"`
	MaxCompletionTokens *int                `json:"max_completion_tokens"`
	Temperature         *float64            `json:"temperature"`
	N                   *int                `json:"n"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// completionMessage is one message; its content is a string or an array
// of parts, of which the text parts are read.
type completionMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// text returns a message's text: the string, or its text parts joined.
func (m completionMessage) text() (string, error) {
	var s string
	if len(m.Content) == 0 || string(m.Content) == "null" {
		return "", nil
	}
	if err := json.Unmarshal(m.Content, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(m.Content, &parts); err != nil {
		return "", invalid("messages", "a message's content must be a string or an array of content parts")
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type == "text" {
			if b.Len() > 0 {
				b.WriteString("\n")
			}
			b.WriteString(p.Text)
		}
	}
	return b.String(), nil
}

// readCompletion decodes and checks a chat completion request into the
// question to ask.
func readCompletion(r *http.Request) (completionRequest, chat.Request, error) {
	var req completionRequest
	body, err := readJSONBody(r)
	if err == nil {
		err = json.Unmarshal(body, &req)
		if err != nil {
			err = jsonError(err)
		}
	}
	if err != nil {
		return req, chat.Request{}, err
	}
	q, err := completionQuestion(req)
	return req, q, err
}

// completionQuestion turns messages into docent's request: the last user
// message is the question, earlier user and assistant turns the history,
// system (and developer) messages extra instructions.
func completionQuestion(req completionRequest) (chat.Request, error) {
	var q chat.Request
	if len(req.Messages) == 0 {
		return q, invalid("messages", "at least one message is required; the last one, from the user, is the question")
	}
	if req.N != nil && *req.N != 1 {
		return q, invalid("n", "docent writes one answer per request: n must be 1")
	}
	var instructions []string
	last := len(req.Messages) - 1
	for i, m := range req.Messages {
		text, err := m.text()
		if err != nil {
			return q, err
		}
		switch {
		case m.Role == "system" || m.Role == "developer":
			if strings.TrimSpace(text) != "" {
				instructions = append(instructions, text)
			}
		case i == last && m.Role != "user":
			return q, invalid("messages", "the last message must be the user's question")
		case i == last:
			q.Question = text
		case m.Role == "user" || m.Role == "assistant":
			q.History = append(q.History, chat.Turn{Role: m.Role, Content: text})
		}
	}
	if strings.TrimSpace(q.Question) == "" {
		return q, invalid("messages", "the last message, the user's question, is empty")
	}
	q.Instructions = strings.Join(instructions, "\n\n")
	q.Temperature = req.Temperature
	for _, n := range []*int{req.MaxCompletionTokens, req.MaxTokens} {
		if n != nil && *n < 1 {
			return q, invalid("max_tokens", "must be at least 1")
		}
		if n != nil && q.MaxTokens == 0 {
			q.MaxTokens = *n
		}
	}
	if t := req.Temperature; t != nil && (*t < 0 || *t > 2) {
		return q, invalid("temperature", "must be from 0 to 2")
	}
	return q, nil
}

// completionID is a fresh "chatcmpl-…" id.
func completionID() string {
	var b [12]byte
	rand.Read(b[:])
	return fmt.Sprintf("chatcmpl-%x", b)
}

// completion is what a chat completion answers with, streamed or not.
type completion struct {
	ID      string             `json:"id"`
	Object  string             `json:"object"`
	Created int64              `json:"created"`
	Model   string             `json:"model"`
	Choices []completionChoice `json:"choices"`
	Usage   *completionUsage   `json:"usage,omitempty"`
	Sources []sourceJSON       `json:"sources,omitempty"`
}

type completionChoice struct {
	Index        int                `json:"index"`
	Message      *completionContent `json:"message,omitempty"`
	Delta        *completionContent `json:"delta,omitempty"`
	Logprobs     *struct{}          `json:"logprobs"`
	FinishReason *string            `json:"finish_reason"`
}

type completionContent struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content"`
}

type completionUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// usageOf counts an answer's tokens: the LLM's where it reported them,
// otherwise estimated (an extractive answer's prompt is the question and
// the passages it read).
func usageOf(q chat.Request, ans chat.Answer) *completionUsage {
	out := chat.EstimateTokens(ans.Content)
	in := ans.TokensUsed - out
	if ans.Mode != chat.ModeLLM || in <= 0 {
		in = chat.EstimateTokens(q.Question) + chat.EstimateTokens(q.Instructions)
		for _, t := range q.History {
			in += chat.EstimateTokens(t.Content)
		}
		for _, p := range ans.Sources {
			in += chat.EstimateTokens(p.Text)
		}
	}
	return &completionUsage{PromptTokens: in, CompletionTokens: out, TotalTokens: in + out}
}

func finishReason(ans chat.Answer) *string {
	reason := "stop"
	if ans.Truncated {
		reason = "length"
	}
	return &reason
}

// chatCompletions answers an OpenAI chat completion: the answer with its
// citations, as one JSON completion or streamed as chat.completion.chunk
// events ending with [DONE]. Nothing is stored.
func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	req, q, err := readCompletion(r)
	var ws uint64
	if err == nil {
		ws, err = s.resolveModel(r.Context(), viewer(r), req.Model)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Model == "" {
		req.Model = modelAll
	}
	release, ok := s.admitChat(w, r)
	if !ok {
		return
	}
	defer release()
	u := currentUser(r.Context())
	x := &exchange{user: u, scope: scope{Workspace: ws}, req: q}
	base := completion{ID: completionID(), Created: time.Now().Unix(), Model: req.Model}
	if !req.Stream {
		ans, err := s.chat.Answer(r.Context(), s.retriever(x), q, nil)
		if err != nil {
			s.fail(w, r, answerError(err, u.IsAdmin()))
			return
		}
		base.Object, base.Usage, base.Sources = "chat.completion", usageOf(q, ans), toSourcesJSON(ans.Sources)
		base.Choices = []completionChoice{{Message: &completionContent{Role: "assistant", Content: ans.Content}, FinishReason: finishReason(ans)}}
		writeJSON(w, http.StatusOK, base)
		return
	}
	s.streamCompletion(w, r, x, base, req.StreamOptions != nil && req.StreamOptions.IncludeUsage)
}

// streamCompletion streams an answer as OpenAI's chunks: the first one as
// soon as the passages are found (role and sources), one per delta, the
// finish reason, the usage when asked for, then [DONE]. A failure after
// the first chunk is an error object in the stream, as OpenAI sends it.
func (s *Server) streamCompletion(w http.ResponseWriter, r *http.Request, x *exchange, base completion, includeUsage bool) {
	out, err := startSSE(w)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	base.Object = "chat.completion.chunk"
	send := func(c completion) error { return out.send("", c) }
	chunk := func(delta *completionContent, finish *string) completion {
		c := base
		c.Choices = []completionChoice{{Delta: delta, FinishReason: finish}}
		return c
	}
	ans, err := s.chat.Answer(r.Context(), s.retriever(x), x.req, func(ev chat.Event) error {
		switch ev.Kind {
		case chat.EventSources:
			c := chunk(&completionContent{Role: "assistant"}, nil)
			c.Sources = toSourcesJSON(ev.Sources)
			return send(c)
		case chat.EventDelta:
			return send(chunk(&completionContent{Content: ev.Delta}, nil))
		}
		return nil
	})
	if err != nil {
		if r.Context().Err() == nil {
			he := answerError(err, x.user.IsAdmin())
			status := http.StatusInternalServerError
			var h *httpError
			if errors.As(he, &h) {
				status = h.status
			}
			out.send("", openAIErrorOf(status, publicDetail(he), nil))
		}
		s.log.WarnContext(r.Context(), "completion failed", "err", err)
		return
	}
	send(chunk(&completionContent{}, finishReason(ans)))
	if includeUsage {
		c := base
		c.Choices, c.Usage = []completionChoice{}, usageOf(x.req, ans)
		send(c)
	}
	out.done()
}
