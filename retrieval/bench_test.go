package retrieval

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"
)

// BenchmarkBuiltinEmbed embeds chunks of about 1,000 characters and
// reports chunks per second (one core).
func BenchmarkBuiltinEmbed(b *testing.B) {
	gen := newSynthCorpus(11, 30000)
	texts := make([]string, 256)
	for i := range texts {
		texts[i] = gen.text(1000)
	}
	e := NewBuiltin(0)
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	n := 0
	for b.Loop() {
		if _, err := e.Embed(ctx, texts[n%len(texts):n%len(texts)+1]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "chunks/s")
}

// BenchmarkAnalyze analyses chunks of about 1,000 characters with a warm
// stem cache and reports chunks per second.
func BenchmarkAnalyze(b *testing.B) {
	gen := newSynthCorpus(12, 30000)
	texts := make([]string, 256)
	for i := range texts {
		texts[i] = gen.text(1000)
	}
	a := NewAnalyzer()
	start := time.Now()
	n := 0
	for b.Loop() {
		a.Analyze(texts[n%len(texts)])
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "chunks/s")
}

// BenchmarkSearch measures keyword, vector and hybrid search over 10k and
// 100k synthetic chunks of about 1,000 characters (Zipf-distributed words)
// spread over 100 users and the shared library, searching as one user.
// It reports the median latency.
func BenchmarkSearch(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		if n > 10_000 && testing.Short() {
			continue
		}
		ix, queries := benchIndex(b, n)
		for _, mode := range allModes {
			b.Run(fmt.Sprintf("%s/%dk", mode, n/1000), func(b *testing.B) {
				ctx := context.Background()
				var lat []time.Duration
				i := 0
				for b.Loop() {
					t0 := time.Now()
					_, err := ix.Search(ctx, Query{Text: queries[i%len(queries)], TopK: 10, Mode: mode, Filter: Filter{Owners: []uint64{uint64(1 + i%100), 0}}})
					if err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(t0))
					i++
				}
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			})
		}
	}
}

// benchIndex builds an index of n synthetic chunks: half in the shared
// library, half spread over 100 users.
func benchIndex(b *testing.B, n int) (*Index, []string) {
	b.Helper()
	gen := newSynthCorpus(13, 50000)
	ix := NewIndex(nil, Options{})
	t0 := time.Now()
	batch := make([]Chunk, 0, 1000)
	for i := range n {
		owner := uint64(0)
		if doc := i / 10; doc%2 == 1 {
			owner = uint64(1 + (doc/2)%100)
		}
		batch = append(batch, Chunk{ID: uint64(i + 1), DocumentID: uint64(i/10 + 1), Owner: owner, Start: i % 10 * 1000, End: i%10*1000 + 1000, Text: gen.text(1000)})
		if len(batch) == cap(batch) || i == n-1 {
			if err := ix.Add(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	b.Logf("indexed %d chunks in %v", n, time.Since(t0))
	queries := make([]string, 200)
	for i := range queries {
		queries[i] = gen.query(3 + i%5)
	}
	return ix, queries
}

// BenchmarkRebuild measures start-up: building an index of 100k chunks
// from stored Terms and vectors (no text analysis, no embedding), as the
// store feeds it at start-up.
func BenchmarkRebuild(b *testing.B) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	gen := newSynthCorpus(14, 50000)
	emb := NewBuiltin(0)
	a := NewAnalyzer()
	stored := make([]Chunk, n)
	for i := range stored {
		text := gen.text(1000)
		v, _ := emb.Embed(context.Background(), []string{text})
		stored[i] = Chunk{ID: uint64(i + 1), DocumentID: uint64(i/10 + 1), Owner: uint64(i / 10 % 3), Terms: a.Analyze(text), Vector: v[0]}
	}
	var ix *Index
	for b.Loop() {
		ix = NewIndex(emb, Options{})
		for i := 0; i < n; i += 1000 {
			if err := ix.Add(context.Background(), stored[i:min(i+1000, n)]); err != nil {
				b.Fatal(err)
			}
		}
	}
	if ix.Len() != n {
		b.Fatalf("Len %d", ix.Len())
	}
	stored, gen = nil, nil
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(n), "chunks")
	b.ReportMetric(float64(after.HeapAlloc-min(after.HeapAlloc, before.HeapAlloc))/(1<<20), "index-MiB")
	runtime.KeepAlive(ix)
}
