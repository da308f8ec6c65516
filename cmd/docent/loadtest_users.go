package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
)

// loadtest is one run: the simulated users and what they saw.
type loadtest struct {
	users int
	think time.Duration
	seed  uint64
	rec   *recorder
	cl    *loadClient
	// propagation: after each upload with ?wait=true, time how long until
	// every server finds it (several replicas of one store).
	propagation bool

	mu   sync.Mutex
	sims []*simUser
}

// simUser is one simulated user and what the server acknowledged to it.
type simUser struct {
	name, token string
	rng         *rand.Rand
	docs        []uint64                  // acknowledged documents
	convs       []uint64                  // acknowledged conversations
	acked       map[uint64][]ackedMessage // by conversation
	keywords    []string
}

// ackedMessage is a message the server acknowledged (id 0: known by content).
type ackedMessage struct {
	ID      uint64
	Role    string
	Content string
}

// runUsers runs every simulated user for d after it has signed up.
func (lt *loadtest) runUsers(ctx context.Context, d time.Duration) {
	runID := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	var wg sync.WaitGroup
	for i := range lt.users {
		u := &simUser{name: fmt.Sprintf("lt%s-%d", runID, i), rng: rand.New(rand.NewPCG(lt.seed, uint64(i))),
			acked: map[uint64][]ackedMessage{}}
		lt.mu.Lock()
		lt.sims = append(lt.sims, u)
		lt.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			lt.user(ctx, u, d)
		}()
	}
	wg.Wait()
}

// user is one simulated user: register, log in, upload a document and
// wait for it, then chat, search and browse until the deadline.
func (lt *loadtest) user(ctx context.Context, u *simUser, d time.Duration) {
	tok, err := lt.cl.account(ctx, u.name, true)
	if err != nil {
		return
	}
	u.token = tok
	lt.upload(ctx, u, true)
	lt.newConversation(ctx, u)
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if lt.think > 0 {
			time.Sleep(time.Duration(u.rng.Int64N(int64(2 * lt.think))))
		}
		switch p := u.rng.IntN(100); {
		case p < 40:
			lt.chat(ctx, u, true)
		case p < 55:
			lt.chat(ctx, u, false)
		case p < 75:
			lt.search(ctx, u)
		case p < 83:
			lt.cl.do(ctx, "GET /api/v1/conversations", "GET", "/api/v1/conversations", u.token, nil, 200, nil)
		case p < 88:
			lt.cl.do(ctx, "GET /api/v1/documents", "GET", "/api/v1/documents", u.token, nil, 200, nil)
		case p < 93:
			if len(u.convs) > 0 {
				id := u.convs[u.rng.IntN(len(u.convs))]
				lt.cl.do(ctx, "GET /api/v1/conversations/{id}/messages", "GET", fmt.Sprintf("/api/v1/conversations/%d/messages", id), u.token, nil, 200, nil)
			}
		case p < 97:
			lt.upload(ctx, u, u.rng.IntN(2) == 0)
		default:
			lt.newConversation(ctx, u)
		}
	}
}

func (lt *loadtest) upload(ctx context.Context, u *simUser, wait bool) {
	kw := keyword(u.rng)
	name := fmt.Sprintf("%s-%s.md", u.name, kw)
	body := genMarkdown(u.rng, kw, 2+u.rng.IntN(6))
	route, want, q := "POST /api/v1/documents", 202, ""
	if wait {
		route, want, q = "POST /api/v1/documents?wait=true", 201, "?wait=true"
	}
	var docs []struct {
		ID     uint64 `json:"id"`
		Status string `json:"status"`
	}
	if lt.cl.upload(ctx, route, "/api/v1/documents"+q, u.token, name, body, want, &docs) == nil && len(docs) == 1 {
		u.docs = append(u.docs, docs[0].ID)
		u.keywords = append(u.keywords, kw)
		if wait && docs[0].Status != "ready" {
			lt.rec.fail(route, fmt.Sprintf("%s: the document is %s after ?wait=true", route, docs[0].Status))
		}
		if wait && lt.propagation {
			lt.propagate(ctx, u.token, docs[0].ID, kw)
		}
	}
}

// propagationRoute names the time from an upload's answer to its being
// found by a search on every server.
const propagationRoute = "propagation: searchable on every server"

// propagate searches every server at once for document id (by keyword
// kw), each until it finds it, and records how long after the upload was
// answered the last of them began the search that found it (the search's
// own time left out); 5 s without it is a failure.
func (lt *loadtest) propagate(ctx context.Context, token string, id uint64, kw string) {
	start := time.Now()
	body, _ := json.Marshal(map[string]any{"query": kw, "top_k": 1, "document_ids": []uint64{id}})
	var mu sync.Mutex
	var slowest time.Duration
	var wg sync.WaitGroup
	for _, base := range lt.cl.bases {
		wg.Go(func() {
			for {
				began := time.Since(start)
				if lt.cl.finds(ctx, base, token, body) {
					mu.Lock()
					slowest = max(slowest, began)
					mu.Unlock()
					return
				}
				if time.Since(start) > 5*time.Second || ctx.Err() != nil {
					lt.rec.fail(propagationRoute, fmt.Sprintf("document %d not found on %s 5 s after its upload was answered", id, base))
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	lt.rec.observe(propagationRoute, slowest)
}

func (lt *loadtest) newConversation(ctx context.Context, u *simUser) {
	var c struct {
		ID uint64 `json:"id"`
	}
	if lt.cl.do(ctx, "POST /api/v1/conversations", "POST", "/api/v1/conversations", u.token, map[string]string{}, 201, &c) == nil {
		u.convs = append(u.convs, c.ID)
	}
}

func (lt *loadtest) question(u *simUser) string {
	if len(u.keywords) == 0 || u.rng.IntN(10) == 0 {
		return fmt.Sprintf("What do the documents say about %s?", words[u.rng.IntN(len(words))])
	}
	return fmt.Sprintf("What does the guide say about %s and %s?", u.keywords[u.rng.IntN(len(u.keywords))], words[u.rng.IntN(len(words))])
}

func (lt *loadtest) chat(ctx context.Context, u *simUser, stream bool) {
	if len(u.convs) == 0 {
		return
	}
	conv := u.convs[u.rng.IntN(len(u.convs))]
	q := lt.question(u)
	path := fmt.Sprintf("/api/v1/conversations/%d/messages", conv)
	if !stream {
		var x struct {
			User      messageOut `json:"user_message"`
			Assistant messageOut `json:"assistant_message"`
		}
		if lt.cl.do(ctx, "POST /api/v1/conversations/{id}/messages", "POST", path, u.token, map[string]any{"content": q}, 201, &x) == nil {
			u.acked[conv] = append(u.acked[conv], ackedMessage{x.User.ID, "user", x.User.Content},
				ackedMessage{x.Assistant.ID, "assistant", x.Assistant.Content})
		}
		return
	}
	res, err := lt.cl.stream(ctx, path, u.token, q)
	if res.userStored {
		u.acked[conv] = append(u.acked[conv], ackedMessage{0, "user", q})
	}
	if err == nil {
		u.acked[conv] = append(u.acked[conv], ackedMessage{res.done.ID, "assistant", res.done.Content})
	}
}

func (lt *loadtest) search(ctx context.Context, u *simUser) {
	q := words[u.rng.IntN(len(words))]
	if len(u.keywords) > 0 {
		q = u.keywords[u.rng.IntN(len(u.keywords))] + " " + q
	}
	lt.cl.do(ctx, "POST /api/v1/search", "POST", "/api/v1/search", u.token, map[string]any{"query": q, "top_k": 5}, 200, nil)
}

// words are the vocabulary of the generated documents, questions and answers.
var words = strings.Fields(`river mountain harvest ledger invoice turbine glacier orchard
	compass lantern archive festival quarry harbour meadow cathedral vineyard tunnel
	beacon parliament satellite library monsoon canyon bakery theatre pension
	warranty voltage mortgage vaccine telescope migration pipeline battery contract`)

// keyword returns a made-up word that appears in no other document.
func keyword(rng *rand.Rand) string {
	const letters = "bcdfghjklmnpqrstvwxz"
	const vowels = "aeiou"
	var b strings.Builder
	for range 4 {
		b.WriteByte(letters[rng.IntN(len(letters))])
		b.WriteByte(vowels[rng.IntN(len(vowels))])
	}
	return b.String()
}

// genParagraphs returns n paragraphs of sentences about kw.
func genParagraphs(rng *rand.Rand, kw string, n int) []string {
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for range 3 + rng.IntN(4) {
			fmt.Fprintf(&b, "The %s of %s depends on the %s and the %s. ", words[rng.IntN(len(words))], kw,
				words[rng.IntN(len(words))], words[rng.IntN(len(words))])
		}
		out[i] = strings.TrimSpace(b.String())
	}
	return out
}

// genMarkdown returns a Markdown guide about kw with n sections.
func genMarkdown(rng *rand.Rand, kw string, n int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Guide to %s\n\n", kw)
	for i, p := range genParagraphs(rng, kw, n) {
		fmt.Fprintf(&b, "## Part %d: %s\n\n%s\n\n", i+1, words[rng.IntN(len(words))], p)
	}
	return []byte(b.String())
}
