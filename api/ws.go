package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"docent/chat"
)

// wsFrame is a client frame on the WebSocket.
type wsFrame struct {
	Type           string          `json:"type"`
	ConversationID json.RawMessage `json:"conversation_id"`
	Content        string          `json:"content"`
	TopK           *int            `json:"top_k"`
	DocumentIDs    []uint64        `json:"document_ids"`
	WorkspaceID    *uint64         `json:"workspace_id"`
}

// wsToken finds the access token of a WebSocket upgrade: the Authorization
// header, the ?token= parameter, or a "bearer.<token>" subprotocol (which
// browsers can set). It returns the subprotocol to echo, if any.
func wsToken(r *http.Request) (token, subprotocol string) {
	if t := bearerToken(r); t != "" {
		return t, ""
	}
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(h, ",") {
			if p = strings.TrimSpace(p); strings.HasPrefix(p, "bearer.") {
				return strings.TrimPrefix(p, "bearer."), p
			}
		}
	}
	return r.URL.Query().Get("token"), ""
}

// websocketChat serves /api/v1/ws: authenticated before the upgrade (401
// without a valid token), then chat frames answered with sources, delta and
// chat_response frames. Several conversations may stream at once; a bad
// frame gets an error frame and the socket stays open.
func (s *Server) websocketChat(w http.ResponseWriter, r *http.Request) {
	token, proto := wsToken(r)
	u, key, err := s.credential(r.Context(), token)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx, revoke := context.WithCancelCause(withCaller(r.Context(), u, key))
	defer revoke(nil)
	sk := &socket{ctx: ctx, user: u.ID, revoke: revoke}
	if key != nil {
		sk.key = key.ID
	}
	s.sockets.add(sk)
	defer s.sockets.remove(sk)
	// A revocation between the check above and the registration would
	// have missed this socket: check once more, now that it is known.
	if _, err := s.recheck(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	opts := &websocket.AcceptOptions{OriginPatterns: originHosts(s.cfg.CORSOrigins)}
	if proto != "" {
		opts.Subprotocols = []string{proto}
	}
	c, err := websocket.Accept(w, r, opts)
	if err != nil {
		return // Accept has answered the client
	}
	defer c.CloseNow()
	c.SetReadLimit(maxJSONBody)
	ws := &wsConn{c: c}
	var streams sync.WaitGroup
	defer streams.Wait()
	go s.keepAlive(ctx, c)
	go s.watchCredentials(sk)
	go func() { // revoked credentials close the socket with 1008
		<-ctx.Done()
		if errors.Is(context.Cause(ctx), errRevoked) {
			c.Close(websocket.StatusPolicyViolation, "credentials revoked: log in again")
		}
	}()
	inFlight := make(chan struct{}, s.cfg.ChatConcurrency) // chat frames being answered on this connection
	for {
		// Reads are not bound to ctx: cancelling a read drops the
		// connection without a close frame.
		_, data, err := c.Read(r.Context())
		if err != nil {
			return
		}
		var f wsFrame
		if err := decodeJSONBytes(data, &f); err != nil {
			ws.send(ctx, map[string]string{"type": "error", "detail": publicDetail(err)})
			continue
		}
		switch f.Type {
		case "ping":
			ws.send(ctx, map[string]string{"type": "pong"})
		case "chat":
			release, err := s.admitFrame(u.ID, inFlight)
			if err != nil {
				conv, _ := parseID(f.ConversationID)
				ws.send(ctx, map[string]any{"type": "error", "conversation_id": conv, "detail": err.detail,
					"retry_after": retryAfter(err.retryAfter)})
				continue
			}
			streams.Add(1)
			go func() {
				defer streams.Done()
				defer release()
				s.wsChat(ctx, ws, f)
			}()
		default:
			ws.send(ctx, map[string]string{"type": "error", "detail": `unknown frame type; send {"type":"chat","conversation_id":ID,"content":"..."}`})
		}
	}
}

// admitFrame admits a chat frame within the connection's in-flight bound
// and the user's chat limits, or says why not; release frees both.
func (s *Server) admitFrame(user uint64, inFlight chan struct{}) (release func(), err *limitError) {
	select {
	case inFlight <- struct{}{}:
	default:
		return nil, &limitError{httpError{status: http.StatusTooManyRequests, detail: fmt.Sprintf(
			"too many questions in flight on this connection (at most %d): wait for an answer first", cap(inFlight))}, time.Second}
	}
	done, err := s.chatLimits.admit(user)
	if err != nil {
		<-inFlight
		return nil, err
	}
	return func() { done(); <-inFlight }, nil
}

// keepAlive pings the client every 30 s and drops the connection when it
// stops answering.
func (s *Server) keepAlive(ctx context.Context, c *websocket.Conn) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			pctx, done := context.WithTimeout(ctx, 15*time.Second)
			err := c.Ping(pctx)
			done()
			if err != nil {
				c.CloseNow()
				return
			}
		}
	}
}

// wsConn serialises writes to one WebSocket.
type wsConn struct {
	mu sync.Mutex
	c  *websocket.Conn
}

func (w *wsConn) send(ctx context.Context, v any) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return wsjson.Write(ctx, w.c, v)
}

// wsChat answers one chat frame.
func (s *Server) wsChat(ctx context.Context, ws *wsConn, f wsFrame) {
	conv, err := parseID(f.ConversationID)
	fail := func(err error) {
		ws.send(ctx, map[string]any{"type": "error", "conversation_id": conv, "detail": publicDetail(err)})
	}
	if err != nil {
		fail(invalid("conversation_id", "must be a conversation id"))
		return
	}
	// The user may have been deactivated, or the key revoked, since the upgrade.
	u, err := s.recheck(ctx)
	if err != nil {
		fail(err)
		return
	}
	x, err := s.startExchange(ctx, u, conv, f.Content, f.TopK, scopeOverride{f.WorkspaceID, f.DocumentIDs})
	if err != nil {
		fail(err)
		return
	}
	emit := func(ev chat.Event) error {
		switch ev.Kind {
		case chat.EventSources:
			frame := s.sourcesEvent(ev)
			frame["type"], frame["conversation_id"] = "sources", conv
			return ws.send(ctx, frame)
		case chat.EventDelta:
			return ws.send(ctx, map[string]any{"type": "delta", "conversation_id": conv, "content": ev.Delta})
		}
		return nil
	}
	ans, answerErr := s.chat.Answer(ctx, s.retriever(x), x.req, emit)
	m, err := s.finish(ctx, x, ans, answerErr)
	if err == nil {
		err = answerErr
	}
	if err != nil {
		fail(answerError(err, x.user.IsAdmin()))
		return
	}
	ws.send(ctx, map[string]any{"type": "chat_response", "conversation_id": conv,
		"user_message": toMessageJSON(&x.question), "assistant_message": toMessageJSON(&m)})
}

// parseID accepts an id as a JSON number or string.
func parseID(raw json.RawMessage) (uint64, error) {
	s := strings.Trim(string(raw), `"`)
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return 0, errors.New("bad id")
	}
	return id, nil
}

// originHosts turns configured CORS origins into the host patterns the
// WebSocket origin check takes.
func originHosts(origins []string) []string {
	var out []string
	for _, o := range origins {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			out = append(out, u.Host)
		}
	}
	return out
}
