package api

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"docent/internal/llmtest"
	"docent/store"
)

// fillLibrary adds docs shared-library documents of perDoc synthetic
// passages each, straight through the Library (as ingest would).
func (e *testEnv) fillLibrary(tb testing.TB, docs, perDoc int) {
	tb.Helper()
	words := strings.Fields("river mountain glacier valley basalt volcano desert dune forest canopy " +
		"rainfall erosion sediment delta estuary tide current reef lagoon island plateau canyon " +
		"tundra permafrost steppe savanna monsoon drought aquifer spring geyser crater summit ridge")
	rng := rand.New(rand.NewPCG(1, 2))
	sentence := func() string {
		n := 8 + rng.IntN(10)
		w := make([]string, n)
		for i := range w {
			w[i] = words[rng.IntN(len(words))]
		}
		return strings.ToUpper(w[0][:1]) + strings.Join(w, " ")[1:] + "."
	}
	lib := e.srv.library.(interface {
		Add(context.Context, *store.Document, []store.Chunk, func(int, int)) error
	})
	ctx := context.Background()
	for d := range docs {
		doc := store.Document{Owner: store.Shared, Filename: fmt.Sprintf("doc%d.txt", d), SHA256: fmt.Sprintf("%064x", d+1)}
		if _, _, err := e.db.CreateDocument(ctx, &doc); err != nil {
			tb.Fatal(err)
		}
		chunks := make([]store.Chunk, perDoc)
		for i := range chunks {
			var b strings.Builder
			for b.Len() < 900 {
				b.WriteString(sentence() + " ")
			}
			chunks[i] = store.Chunk{Text: b.String(), Start: i * 1000, End: i*1000 + b.Len()}
		}
		if err := lib.Add(ctx, &doc, chunks, nil); err != nil {
			tb.Fatal(err)
		}
	}
}

// firstDelta posts a streaming question and returns the time until the
// first delta event arrives, reading the stream to its end.
func (e *testEnv) firstDelta(tb testing.TB, token string, conv uint64, question string) (time.Duration, error) {
	body := strings.NewReader(fmt.Sprintf(`{"content":%q,"stream":true}`, question))
	req, _ := http.NewRequest("POST", e.http.URL+fmt.Sprintf("/api/v1/conversations/%d/messages", conv), body)
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	resp, err := e.http.Client().Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	var first time.Duration
	sc := bufio.NewScanner(resp.Body)
	done := false
	for sc.Scan() {
		line := sc.Text()
		if line == "event: delta" && first == 0 {
			first = time.Since(start)
		}
		if line == "event: error" {
			return 0, fmt.Errorf("error event")
		}
		if line == "event: done" {
			done = true
		}
	}
	if !done {
		return 0, fmt.Errorf("stream ended without done")
	}
	return first, nil
}

// BenchmarkFirstTokenOverhead measures the pipeline's own time before the
// first token (store the question, retrieve, build the prompt) with a fake
// LLM that streams instantly, at 10k chunks. Reported: p50_ms, p99_ms.
func BenchmarkFirstTokenOverhead(b *testing.B) {
	fake := llmtest.NewOpenAI(b)
	fake.Reply = func(llmtest.Request) string { return "An answer [1]." }
	e := newLLMEnvTB(b, fake)
	e.fillLibrary(b, 1000, 10)
	ann := e.register("ann")
	conv := e.conversation(ann.Token)
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		d, err := e.firstDelta(b, ann.Token, conv, fmt.Sprintf("Where does the glacier meet the river delta %d?", i))
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, d)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
}

// TestManyConcurrentStreamingChats runs 200 streaming chats at once over a
// 2k-chunk library: every one must finish with done and be stored.
func TestManyConcurrentStreamingChats(t *testing.T) {
	fake := llmtest.NewOpenAI(t)
	fake.Reply = func(llmtest.Request) string { return "The glacier carved the valley [1]." }
	e := newLLMEnvTB(t, fake)
	e.fillLibrary(t, 200, 10)
	const n = 200
	users := make([]account, 4)
	for i := range users {
		users[i] = e.register(fmt.Sprintf("user%d", i))
	}
	convs := make([]uint64, n)
	for i := range convs {
		convs[i] = e.conversation(users[i%len(users)].Token)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.firstDelta(t, users[i%len(users)].Token, convs[i], "What carved the valley?"); err != nil {
				errs <- fmt.Errorf("chat %d: %w", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i, c := range convs {
		msgs, err := e.db.Messages(context.Background(), users[i%len(users)].ID, c, 0, 0)
		if err != nil || len(msgs) != 2 || msgs[1].Partial {
			t.Fatalf("conversation %d after the storm: %+v %v", c, msgs, err)
		}
	}
}
