package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"docent/chat"
	"docent/store"
)

// Chat answers questions from retrieved passages (chat.Engine does).
type Chat interface {
	Answer(ctx context.Context, r chat.Retriever, req chat.Request, emit func(chat.Event) error) (chat.Answer, error)
	Title(ctx context.Context, question string) string
	Summarize(ctx context.Context, filename string, chunks []string) (chat.Summary, error)
	Mode() string
	Model() string
}

// sourcesEvent is the first streamed event: the passages and how the answer
// will be written (the engine's mode unless the event says otherwise: an
// answer written without calling the LLM says extractive).
func (s *Server) sourcesEvent(ev chat.Event) map[string]any {
	mode, model := ev.Mode, ev.Model
	if mode == "" {
		mode, model = s.chat.Mode(), s.chat.Model()
	}
	out := map[string]any{"sources": toSourcesJSON(ev.Sources), "mode": mode}
	if mode == chat.ModeLLM {
		out["model"] = model
	}
	return out
}

// historyMessages bounds how many earlier messages are read for a question;
// the chat engine then keeps as many as its token budget allows.
const historyMessages = 20

// exchange is one question being answered in a conversation. It holds the
// conversation's lock from the question to the stored answer: call done.
type exchange struct {
	user     *store.User
	conv     uint64
	question store.Message
	req      chat.Request
	scope    scope
	done     func()
}

// startExchange validates a question, stores it and gathers the history.
// The question looks at the conversation's scope, or at what the message
// names instead (a workspace, documents). The stored question is never
// lost, whatever happens to the answer.
func (s *Server) startExchange(ctx context.Context, u *store.User, convID uint64, content string, topK *int, over scopeOverride) (*exchange, error) {
	if strings.TrimSpace(content) == "" {
		return nil, invalid("content", "is required")
	}
	conv, err := s.db.Conversation(ctx, u.ID, convID)
	if err != nil {
		return nil, storeError(err, "conversation")
	}
	sc := over.apply(scope{conv.Workspace, conv.DocumentIDs})
	k, err := s.checkSearch(ctx, store.Viewer{UserID: u.ID, Admin: u.IsAdmin()}, content, topK, sc)
	if err != nil {
		var he *httpError
		if errors.As(err, &he) && len(he.fields) == 1 && he.fields[0].Field == "query" {
			err = invalid("content", he.fields[0].Message)
		}
		return nil, err
	}
	unlock, err := s.conversations.lock(ctx, convID)
	if err != nil {
		return nil, answerError(err, u.IsAdmin())
	}
	history, err := s.db.RecentMessages(ctx, u.ID, convID, historyMessages)
	if err != nil {
		unlock()
		return nil, storeError(err, "conversation")
	}
	x := &exchange{user: u, conv: convID, scope: sc, done: unlock,
		question: store.Message{ConversationID: convID, Role: store.RoleUserMessage, Content: content}}
	if err := s.db.AddMessage(ctx, u.ID, &x.question); err != nil {
		unlock()
		return nil, storeError(err, "conversation")
	}
	x.req = chat.Request{Question: content, TopK: k}
	for _, m := range history {
		if !m.Partial {
			x.req.History = append(x.req.History, chat.Turn{Role: m.Role, Content: m.Content})
		}
	}
	return x, nil
}

// scopeOverride is the scope a message names, if any: each part it sets
// replaces the conversation's for this question (a workspace_id of 0
// searches everything the user may read).
type scopeOverride struct {
	Workspace   *uint64
	DocumentIDs []uint64
}

func (o scopeOverride) apply(sc scope) scope {
	if o.Workspace != nil {
		sc.Workspace = *o.Workspace
	}
	if o.DocumentIDs != nil {
		sc.DocumentIDs = o.DocumentIDs
	}
	return sc
}

// retriever searches the documents the asking user may read.
func (s *Server) retriever(x *exchange) chat.Retriever {
	return chat.LibraryRetriever{Library: s.library, DB: s.db,
		Viewer:      store.Viewer{UserID: x.user.ID, Admin: x.user.IsAdmin()},
		DocumentIDs: x.scope.DocumentIDs, Workspace: x.scope.Workspace}
}

// finish stores the assistant's answer (partial ones marked), titles an
// untitled conversation and frees the conversation for its next question.
// It runs even if the client has gone.
func (s *Server) finish(ctx context.Context, x *exchange, ans chat.Answer, answerErr error) (store.Message, error) {
	defer x.done()
	ctx = context.WithoutCancel(ctx)
	m := store.Message{ConversationID: x.conv, Role: store.RoleAssistantMessage, Content: ans.Content,
		TokensUsed: ans.TokensUsed, Mode: ans.Mode, Model: ans.Model, Partial: ans.Partial || answerErr != nil}
	for _, p := range ans.Sources {
		m.Sources = append(m.Sources, store.Source{DocumentID: p.DocumentID, Filename: p.Filename, Title: p.Title,
			ChunkIndex: p.ChunkIndex, Page: p.Page, EndPage: p.EndPage, Score: p.Score, Text: p.Text})
	}
	if m.Mode != chat.ModeLLM {
		m.Model = ""
	}
	if answerErr != nil && m.Content == "" {
		return m, nil // nothing was said: store nothing
	}
	if err := s.db.AddMessage(ctx, x.user.ID, &m); err != nil {
		return m, err
	}
	if answerErr == nil {
		s.titleConversation(ctx, x)
	}
	return m, nil
}

// titleConversation names an untitled conversation after its first
// question: at once in extractive mode, in the background with an LLM.
func (s *Server) titleConversation(ctx context.Context, x *exchange) {
	c, err := s.db.Conversation(ctx, x.user.ID, x.conv)
	if err != nil || c.Title != "" {
		return
	}
	name := func(ctx context.Context) {
		if title := s.chat.Title(ctx, x.question.Content); title != "" {
			s.db.SetTitleIfEmpty(ctx, x.user.ID, x.conv, title)
		}
	}
	if s.chat.Mode() != chat.ModeLLM {
		name(ctx)
		return
	}
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		name(ctx)
	}()
}

// answerError turns an answering failure into the client's error. Admins
// read the LLM server's address, its own error message and what to check;
// everyone else reads what went wrong without the server's internals.
func answerError(err error, admin bool) error {
	var pe *chat.ProviderError
	if errors.As(err, &pe) && admin {
		return errorf(http.StatusBadGateway, "%s", pe.Error())
	}
	if errors.As(err, &pe) {
		name, problem := pe.Provider, pe.Problem
		if name == chat.ProviderOpenAI {
			name = "openai-compatible server"
		}
		if pe.StatusCode != 0 {
			problem = fmt.Sprintf("answered with HTTP status %d", pe.StatusCode)
		}
		return errorf(http.StatusBadGateway, "the language model (%s) %s; an admin can find the details in the server log", name, problem)
	}
	if errors.Is(err, context.Canceled) {
		return errorf(499, "the request was cancelled")
	}
	return err
}

// wantsStream reports whether the client asked for Server-Sent Events.
func wantsStream(r *http.Request, stream bool) bool {
	return stream || strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// postMessage asks a question in a conversation and answers it, as JSON or
// streamed as Server-Sent Events.
func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "conversation")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req messageCreate
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	release, ok := s.admitChat(w, r)
	if !ok {
		return
	}
	x, err := s.startExchange(r.Context(), currentUser(r.Context()), id, req.Content, req.TopK,
		scopeOverride{req.WorkspaceID, req.DocumentIDs})
	if err != nil {
		release()
		s.fail(w, r, err)
		return
	}
	unlock := x.done
	x.done = func() { unlock(); release() }
	if wantsStream(r, req.Stream) {
		s.streamAnswer(w, r, x)
		return
	}
	ans, answerErr := s.chat.Answer(r.Context(), s.retriever(x), x.req, nil)
	m, err := s.finish(r.Context(), x, ans, answerErr)
	if err == nil {
		err = answerErr
	}
	if err != nil {
		s.fail(w, r, answerError(err, currentUser(r.Context()).IsAdmin()))
		return
	}
	writeJSON(w, http.StatusCreated, map[string]messageJSON{
		"user_message": toMessageJSON(&x.question), "assistant_message": toMessageJSON(&m)})
}

// sse writes Server-Sent Events, flushing each one.
type sse struct {
	w http.ResponseWriter
	f http.Flusher
}

// startSSE answers 200 with the event-stream headers.
func startSSE(w http.ResponseWriter) (sse, error) {
	flusher, _ := w.(http.Flusher)
	if flusher == nil {
		return sse{}, errors.New("streaming unsupported by the connection")
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	return sse{w, flusher}, nil
}

// emitTo sends the answer's sources and deltas as events on out.
func (s *Server) emitTo(out sse) func(chat.Event) error {
	return func(ev chat.Event) error {
		switch ev.Kind {
		case chat.EventSources:
			return out.send("sources", s.sourcesEvent(ev))
		case chat.EventDelta:
			return out.send("delta", map[string]string{"content": ev.Delta})
		}
		return nil
	}
}

// send writes one event: its name (none when "") and data as JSON.
func (e sse) send(event string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	if event != "" {
		if _, err := fmt.Fprintf(e.w, "event: %s\n", event); err != nil {
			return err
		}
	}
	return e.write(raw)
}

// done ends an OpenAI-style stream with data: [DONE].
func (e sse) done() error { return e.write([]byte("[DONE]")) }

func (e sse) write(data []byte) error {
	if _, err := fmt.Fprintf(e.w, "data: %s\n\n", data); err != nil {
		return err
	}
	e.f.Flush()
	return nil
}

// streamAnswer answers as Server-Sent Events: sources, deltas, then done
// with the stored message, or error. A client that disconnects cancels the
// generation; what was produced is stored, marked partial.
func (s *Server) streamAnswer(w http.ResponseWriter, r *http.Request, x *exchange) {
	out, err := startSSE(w)
	if err != nil {
		x.done()
		s.fail(w, r, err)
		return
	}
	ans, answerErr := s.chat.Answer(r.Context(), s.retriever(x), x.req, s.emitTo(out))
	m, err := s.finish(r.Context(), x, ans, answerErr)
	if err == nil {
		err = answerErr
	}
	if err != nil {
		if r.Context().Err() == nil {
			out.send("error", map[string]string{"detail": publicDetail(answerError(err, currentUser(r.Context()).IsAdmin()))})
		}
		s.log.WarnContext(r.Context(), "answer failed", "err", err, "conversation_id", x.conv)
		return
	}
	out.send("done", map[string]messageJSON{"assistant_message": toMessageJSON(&m)})
}

// publicDetail is what a client may see of err.
func publicDetail(err error) string {
	var he *httpError
	if errors.As(err, &he) {
		return he.detail
	}
	return "internal error"
}

func toSourcesJSON(ps []chat.Passage) []sourceJSON {
	out := make([]sourceJSON, len(ps))
	for i, p := range ps {
		out[i] = sourceJSON{DocumentID: p.DocumentID, Filename: p.Filename, Title: p.Title, ChunkIndex: p.ChunkIndex,
			Page: p.Page, EndPage: p.EndPage, Score: p.Score, Text: p.Text}
	}
	return out
}

// analyzeDocument summarises a whole document with its key points.
func (s *Server) analyzeDocument(w http.ResponseWriter, r *http.Request) {
	d, err := s.readableDocument(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Status != store.StatusReady {
		s.fail(w, r, errorf(http.StatusConflict, "the document is %s, not ready", d.Status))
		return
	}
	release, ok := s.admitChat(w, r)
	if !ok {
		return
	}
	defer release()
	chunks, err := s.db.Chunks(r.Context(), d.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	texts := make([]string, len(chunks))
	for i, c := range chunks {
		texts[i] = body(&c)
	}
	sum, err := s.chat.Summarize(r.Context(), d.Filename, texts)
	if err != nil {
		s.fail(w, r, answerError(err, currentUser(r.Context()).IsAdmin()))
		return
	}
	if sum.KeyPoints == nil {
		sum.KeyPoints = []string{}
	}
	out := map[string]any{"document_id": d.ID, "summary": sum.Summary, "key_points": sum.KeyPoints,
		"mode": sum.Mode, "tokens_used": sum.TokensUsed}
	if sum.Mode == chat.ModeLLM {
		out["model"] = sum.Model
	}
	writeJSON(w, http.StatusOK, out)
}

// body is a chunk's text without the heading-path line it starts with.
func body(c *store.Chunk) string {
	if len(c.Headings) == 0 {
		return c.Text
	}
	if i := strings.IndexByte(c.Text, '\n'); i >= 0 {
		return c.Text[i+1:]
	}
	return ""
}
