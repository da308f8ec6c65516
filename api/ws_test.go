package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// wsDial opens the chat WebSocket; how says where the token goes.
func (e *testEnv) wsDial(ctx context.Context, token, how string) (*websocket.Conn, *http.Response, error) {
	url := "ws" + strings.TrimPrefix(e.http.URL, "http") + "/api/v1/ws"
	opts := &websocket.DialOptions{HTTPHeader: http.Header{}}
	switch how {
	case "header":
		opts.HTTPHeader.Set("Authorization", "Bearer "+token)
	case "query":
		url += "?token=" + token
	case "subprotocol":
		opts.Subprotocols = []string{"bearer." + token}
	}
	return websocket.Dial(ctx, url, opts)
}

// wsFrameIn is any server frame.
type wsFrameIn struct {
	Type             string          `json:"type"`
	ConversationID   uint64          `json:"conversation_id"`
	Content          string          `json:"content"`
	Detail           string          `json:"detail"`
	Sources          []sourceJSON    `json:"sources"`
	AssistantMessage json.RawMessage `json:"assistant_message"`
}

func TestWebSocketRefusesWithoutValidToken(t *testing.T) {
	e := newTestEnv(t, Config{})
	ann := e.register("ann")
	for name, tok := range map[string]string{"none": "", "garbage": "x.y.z", "tampered": ann.Token + "x"} {
		_, resp, err := e.wsDial(t.Context(), tok, "query")
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s token: err %v, response %v", name, err, resp)
		}
	}
	for _, how := range []string{"header", "query", "subprotocol"} {
		c, _, err := e.wsDial(t.Context(), ann.Token, how)
		if err != nil {
			t.Errorf("token in %s refused: %v", how, err)
			continue
		}
		if how == "subprotocol" && c.Subprotocol() != "bearer."+ann.Token {
			t.Errorf("subprotocol not echoed: %q", c.Subprotocol())
		}
		c.Close(websocket.StatusNormalClosure, "")
	}
}

func TestWebSocketChatsOnSeveralConversations(t *testing.T) {
	e := newTestEnv(t, Config{})
	ann := e.register("ann")
	bob := e.register("bob")
	e.ingest(ann.Token, campingGuide)
	first, second := e.conversation(ann.Token), e.conversation(ann.Token)
	foreign := e.conversation(bob.Token)

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	c, _, err := e.wsDial(ctx, ann.Token, "subprotocol")
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	send := func(v any) {
		if err := wsjson.Write(ctx, c, v); err != nil {
			t.Fatal(err)
		}
	}
	read := func() wsFrameIn {
		var f wsFrameIn
		if err := wsjson.Read(ctx, c, &f); err != nil {
			t.Fatal(err)
		}
		return f
	}

	c.Write(ctx, websocket.MessageText, []byte("{not json"))
	if f := read(); f.Type != "error" || f.Detail == "" {
		t.Errorf("bad frame answered %+v", f)
	}
	send(map[string]any{"type": "chat", "conversation_id": foreign, "content": "hi"})
	if f := read(); f.Type != "error" || !strings.Contains(f.Detail, "not found") {
		t.Errorf("foreign conversation answered %+v", f)
	}
	send(map[string]any{"type": "chat", "conversation_id": first, "content": "How long should water boil at high altitude?"})
	send(map[string]any{"type": "chat", "conversation_id": sprintf("%d", second), "content": "How much does the Osprey tent weigh?"})

	answers := map[uint64]string{}
	sawSources := map[uint64]bool{}
	for len(answers) < 2 {
		f := read()
		switch f.Type {
		case "sources":
			sawSources[f.ConversationID] = true
		case "delta":
			if !sawSources[f.ConversationID] {
				t.Errorf("delta before sources on conversation %d", f.ConversationID)
			}
		case "chat_response":
			var m messageJSON
			json.Unmarshal(f.AssistantMessage, &m)
			answers[f.ConversationID] = m.Content
		case "error":
			t.Fatalf("error frame: %+v", f)
		}
	}
	if !strings.Contains(answers[first], "three minutes") || !strings.Contains(answers[second], "1.2 kg") {
		t.Errorf("answers: %v", answers)
	}
	send(map[string]string{"type": "ping"})
	if f := read(); f.Type != "pong" {
		t.Errorf("ping answered %+v", f)
	}
	var msgs []messageJSON
	e.do("GET", sprintf("/api/v1/conversations/%d/messages", second), ann.Token, nil).JSON(t, &msgs)
	if len(msgs) != 2 {
		t.Errorf("websocket exchange not stored: %+v", msgs)
	}
}
