package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"docent/chat"
)

type askCmd struct {
	Question string `arg:"" help:"The question."`
	TopK     int    `name:"top-k" short:"k" default:"5" help:"Passages to answer from (1-100)."`
	JSON     bool   `name:"json" help:"Print one JSON object (answer, mode, model, sources) instead of streaming."`
	User     string `name:"user" help:"Ask as this user (their documents and the shared library); default: the shared library."`
	Server   string `name:"server" env:"DOCENT_SERVER" help:"Ask a running server at this URL."`
	Token    string `name:"token" env:"DOCENT_TOKEN" help:"Access token for --server."`
	Save     bool   `name:"save" help:"With --server: keep the question and answer as a new conversation (shown in the web page); without, nothing is stored."`

	embedFlags
	llmFlags
}

// answer is what ask prints with --json.
type answer struct {
	Answer     string   `json:"answer"`
	Mode       string   `json:"mode"`
	Model      string   `json:"model,omitempty"`
	TokensUsed int      `json:"tokens_used"`
	Sources    []source `json:"sources"`
}

func (c *askCmd) Run(ctx context.Context, g *Globals) error {
	if c.TopK < 1 || c.TopK > 100 {
		return fmt.Errorf("--top-k must be from 1 to 100")
	}
	if c.Save && c.Server == "" {
		return fmt.Errorf("--save keeps the conversation on a server: use it with --server URL")
	}
	stream := func(delta string) {
		if !c.JSON {
			fmt.Fprint(g.stdout, delta)
		}
	}
	var ans answer
	var err error
	if c.Server != "" {
		ans, err = c.remote(ctx, g, stream)
	} else {
		ans, err = c.local(ctx, g, stream)
	}
	if err != nil {
		return err
	}
	if c.JSON {
		if ans.Sources == nil {
			ans.Sources = []source{}
		}
		return json.NewEncoder(g.stdout).Encode(ans)
	}
	fmt.Fprint(g.stdout, "\n\n")
	if len(ans.Sources) > 0 {
		fmt.Fprintln(g.stdout, "Sources:")
		printSources(g.stdout, ans.Sources, false)
	}
	mode := ans.Mode
	if ans.Model != "" {
		mode += ", " + ans.Model
	}
	fmt.Fprintf(g.stderr, "(%s)\n", mode)
	return nil
}

// local answers from the data directory.
func (c *askCmd) local(ctx context.Context, g *Globals, stream func(string)) (answer, error) {
	db, lib, err := openLibrary(ctx, g, c.embedFlags, true)
	if err != nil {
		return answer{}, err
	}
	defer db.Close()
	v, err := viewerFor(ctx, db, c.User)
	if err != nil {
		return answer{}, err
	}
	engine, err := c.engine()
	if err != nil {
		return answer{}, err
	}
	retriever := chat.LibraryRetriever{Library: lib, DB: db, Viewer: v}
	a, err := engine.Answer(ctx, retriever, chat.Request{Question: c.Question, TopK: c.TopK}, func(ev chat.Event) error {
		if ev.Kind == chat.EventDelta {
			stream(ev.Delta)
		}
		return nil
	})
	if err != nil {
		return answer{}, err
	}
	out := answer{Answer: a.Content, Mode: a.Mode, Model: a.Model, TokensUsed: a.TokensUsed}
	if a.Mode != chat.ModeLLM {
		out.Model = ""
	}
	for _, p := range a.Sources {
		out.Sources = append(out.Sources, sourceOf(p))
	}
	return out, nil
}

// remote asks a running server, streaming the answer: one-shot through
// /api/v1/ask, or with --save in a new conversation it keeps.
func (c *askCmd) remote(ctx context.Context, g *Globals, stream func(string)) (answer, error) {
	cl, err := newClient(c.Server, c.Token)
	if err != nil {
		return answer{}, err
	}
	path := "/api/v1/ask"
	body, _ := json.Marshal(map[string]any{"question": c.Question, "top_k": c.TopK, "stream": true})
	if c.Save {
		var conv struct{ ID uint64 }
		if err := cl.do(ctx, "POST", "/api/v1/conversations", "application/json", strings.NewReader("{}"), &conv); err != nil {
			return answer{}, err
		}
		path = fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID)
		body, _ = json.Marshal(map[string]any{"content": c.Question, "top_k": c.TopK, "stream": true})
		defer fmt.Fprintf(g.stderr, "saved as conversation %d\n", conv.ID)
	}
	resp, err := cl.send(ctx, "POST", path, "application/json", bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	return readAnswerStream(resp.Body, c.Server, stream)
}

// readAnswerStream reads an answer's Server-Sent Events, passing the deltas
// to stream: the done event carries the answer ("answer" from /api/v1/ask,
// "assistant_message" from a conversation).
func readAnswerStream(r io.Reader, server string, stream func(string)) (answer, error) {
	var event string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "event: "); ok {
			event = name
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		switch event {
		case "delta":
			var d struct{ Content string }
			json.Unmarshal([]byte(data), &d)
			stream(d.Content)
		case "error":
			var e struct{ Detail string }
			json.Unmarshal([]byte(data), &e)
			return answer{}, fmt.Errorf("%s", e.Detail)
		case "done":
			type message struct {
				Content    string   `json:"content"`
				Mode       string   `json:"mode"`
				Model      string   `json:"model"`
				TokensUsed int      `json:"tokens_used"`
				Sources    []source `json:"sources"`
			}
			var d struct {
				Answer           *message `json:"answer"`
				AssistantMessage *message `json:"assistant_message"`
			}
			if err := json.Unmarshal([]byte(data), &d); err != nil {
				return answer{}, err
			}
			m := d.Answer
			if m == nil {
				m = d.AssistantMessage
			}
			if m == nil {
				return answer{}, fmt.Errorf("%s sent an answer without its text", server)
			}
			return answer{Answer: m.Content, Mode: m.Mode, Model: m.Model, TokensUsed: m.TokensUsed, Sources: m.Sources}, nil
		}
	}
	if err := sc.Err(); err != nil {
		return answer{}, err
	}
	return answer{}, fmt.Errorf("%s ended the answer early", server)
}
