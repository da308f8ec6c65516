package api

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"docent/internal/llmtest"
	"docent/internal/pgtest"
	"docent/store"
)

// zipfLibrary adds n shared-library passages of about 1,000 characters,
// 40 per document, straight through the Library (as ingest would), with
// words drawn from a 30,000-word vocabulary by Zipf frequencies so that
// posting lists look like real text's. It returns 200 queries of 3–6
// mid-frequency words.
func (e *testEnv) zipfLibrary(tb testing.TB, n int) []string {
	tb.Helper()
	rng := rand.New(rand.NewPCG(17, 4))
	syll := strings.Fields("ka lo mi tra ven dor sil pa ne qui ron tel as bri cu fen gal hor ist jun")
	seen := map[string]bool{}
	var vocab []string
	for len(vocab) < 30000 {
		var b strings.Builder
		for range 2 + rng.IntN(3) {
			b.WriteString(syll[rng.IntN(len(syll))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			vocab = append(vocab, w)
		}
	}
	zipf := rand.NewZipf(rng, 1.07, 2, uint64(len(vocab)-1))
	lib := e.srv.library.(interface {
		Add(context.Context, *store.Document, []store.Chunk, func(int, int)) error
	})
	ctx := context.Background()
	for d := 0; d*40 < n; d++ {
		doc := store.Document{Owner: store.Shared, Filename: fmt.Sprintf("doc%d.txt", d), SHA256: fmt.Sprintf("%064x", d+1)}
		if _, _, err := e.db.CreateDocument(ctx, &doc); err != nil {
			tb.Fatal(err)
		}
		chunks := make([]store.Chunk, min(40, n-d*40))
		for i := range chunks {
			var b strings.Builder
			for b.Len() < 1000 {
				for j := range 8 + rng.IntN(10) {
					if j > 0 {
						b.WriteByte(' ')
					}
					b.WriteString(vocab[zipf.Uint64()])
				}
				b.WriteString(". ")
			}
			chunks[i] = store.Chunk{Text: b.String(), Start: i * 1000, End: i*1000 + b.Len()}
		}
		if err := lib.Add(ctx, &doc, chunks, nil); err != nil {
			tb.Fatal(err)
		}
	}
	queries := make([]string, 200)
	for i := range queries {
		words := make([]string, 3+i%4)
		for j := range words {
			words[j] = vocab[20+rng.IntN(2000)]
		}
		queries[i] = strings.Join(words, " ")
	}
	return queries
}

// BenchmarkSearchAPI measures POST /api/v1/search through the real router
// (authentication, validation, hybrid search, passages, JSON) over 10k and
// 100k shared-library passages, on the default store and on a replica of
// a PostgreSQL database (skipped without PostgreSQL). Reported: p50-ms,
// p99-ms.
func BenchmarkSearchAPI(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		if n > 10_000 && testing.Short() {
			continue
		}
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			benchSearchAPI(b, newTestEnvChat(b, Config{}, nil), n)
		})
		b.Run(fmt.Sprintf("%dk-postgres", n/1000), func(b *testing.B) {
			benchSearchAPI(b, newReplica(b, pgtest.URL(b), Config{}), n)
		})
	}
}

// benchSearchAPI measures searches of one user on e over n passages.
func benchSearchAPI(b *testing.B, e *testEnv, n int) {
	queries := e.zipfLibrary(b, n)
	ann := e.register("ann")
	var lat []time.Duration
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		r := e.do("POST", "/api/v1/search", ann.Token, map[string]any{"query": queries[i%len(queries)], "top_k": 10})
		lat = append(lat, time.Since(t0))
		if r.Status != http.StatusOK {
			b.Fatalf("search: %d %s", r.Status, r.Body)
		}
	}
	reportLatency(b, lat)
}

// BenchmarkFirstTokenOverheadScale is BenchmarkFirstTokenOverhead (the
// pipeline's own time before the first streamed token, with a fake LLM
// that answers at once) over 100k passages of Zipf text.
func BenchmarkFirstTokenOverheadScale(b *testing.B) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	fake := llmtest.NewOpenAI(b)
	fake.Reply = func(llmtest.Request) string { return "An answer [1]." }
	e := newLLMEnvTB(b, fake)
	queries := e.zipfLibrary(b, n)
	ann := e.register("ann")
	conv := e.conversation(ann.Token)
	var lat []time.Duration
	for i := 0; b.Loop(); i++ {
		d, err := e.firstDelta(b, ann.Token, conv, queries[i%len(queries)]+"?")
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, d)
	}
	reportLatency(b, lat)
}

func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
