package main

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// fakeLLM is a minimal OpenAI-compatible chat server that streams
// fakeReply token by token.
type fakeLLM struct {
	url  string
	srv  *http.Server
	once sync.Once
}

func startFakeLLM(tokenDelay time.Duration) (*fakeLLM, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &fakeLLM{url: "http://" + ln.Addr().String() + "/v1"}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Model    string `json:"model"`
			Messages []struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"messages"`
			Stream bool `json:"stream"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in.Messages) == 0 {
			http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
			return
		}
		reply := fakeReply(in.Messages[0].Content, in.Messages[len(in.Messages)-1].Content)
		chunk := func(delta map[string]string, finish any) []byte {
			b, _ := json.Marshal(map[string]any{"id": "chatcmpl-loadtest", "object": "chat.completion.chunk",
				"created": time.Now().Unix(), "model": in.Model,
				"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}})
			return b
		}
		if !in.Stream {
			b, _ := json.Marshal(map[string]any{"id": "chatcmpl-loadtest", "object": "chat.completion",
				"created": time.Now().Unix(), "model": in.Model,
				"choices": []any{map[string]any{"index": 0, "message": map[string]string{"role": "assistant", "content": reply}, "finish_reason": "stop"}}})
			w.Header().Set("Content-Type", "application/json")
			w.Write(b)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		fmt.Fprintf(w, "data: %s\n\n", chunk(map[string]string{"role": "assistant"}, nil))
		for _, tok := range replyTokens(reply) {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(tokenDelay):
			}
			fmt.Fprintf(w, "data: %s\n\n", chunk(map[string]string{"content": tok}, nil))
			if rc.Flush() != nil {
				return
			}
		}
		fmt.Fprintf(w, "data: %s\n\ndata: [DONE]\n\n", chunk(map[string]string{}, "stop"))
	})
	f.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go f.srv.Serve(ln)
	return f, nil
}

func (f *fakeLLM) close() { f.once.Do(func() { f.srv.Close() }) }

// fakeReply is what the fake LLM answers, given the system prompt and the
// last user message: the follow-up itself when asked to condense one, a
// short cited answer that depends only on the question otherwise.
func fakeReply(system, lastUser string) string {
	if strings.Contains(system, "rewrite follow-up") {
		if _, rest, ok := strings.Cut(lastUser, "Follow-up question: "); ok {
			q, _, _ := strings.Cut(rest, "\n")
			return q
		}
		return lastUser
	}
	i := strings.LastIndex(lastUser, "Question: ")
	if i < 0 {
		return "A conversation"
	}
	return fakeAnswer(lastUser[i+len("Question: "):])
}

// fakeAnswer is the complete answer the fake LLM gives to question. Its
// first word is made from the question, so that even a one-word start of
// an answer tells which question it answers.
func fakeAnswer(question string) string {
	h := fnv.New64a()
	h.Write([]byte(question))
	rng := rand.New(rand.NewPCG(h.Sum64(), 7))
	var b strings.Builder
	b.WriteString(strings.ToUpper(keyword(rng)[:1]) + keyword(rng)[1:] + ": according to the sources,")
	for range 20 + rng.IntN(20) {
		b.WriteByte(' ')
		b.WriteString(words[rng.IntN(len(words))])
	}
	b.WriteString(" [1]. That is the whole answer.")
	return b.String()
}

// replyTokens splits a reply into words, each with the space before it.
func replyTokens(s string) []string {
	var out []string
	start := 0
	for i := 1; i < len(s); i++ {
		if s[i] == ' ' {
			out = append(out, s[start:i])
			start = i
		}
	}
	return append(out, s[start:])
}
