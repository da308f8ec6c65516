package retrieval

import (
	"context"
	"flag"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkScale measures search latency (p50 and p99 over 200 queries)
// at 10k, 100k and (with DOCENT_BENCH_1M=1) 1M chunks of about 1,000
// characters, all in the shared library so that every search looks at
// every chunk:
//
//   - builtin: the built-in embedder; keyword, vector and hybrid modes
//     (hybrid re-ranks BM25 candidates and scans no vectors);
//   - neural384, neural768: clustered vectors like a neural model's given
//     with each chunk and query (Query.Vector), so that vector and hybrid
//     modes scan the vector index as with Ollama or OpenAI.
//
// It also reports the live heap of each index and, for vector search,
// recall@10 against exact search.
//
//	go test ./retrieval -run X -bench Scale -benchtime 200x
//	DOCENT_BENCH_1M=1 go test ./retrieval -run X -bench 'Scale/.*/1M' -benchtime 200x -timeout 60m
func BenchmarkScale(b *testing.B) {
	sizes := []int{10_000, 100_000}
	if os.Getenv("DOCENT_BENCH_1M") != "" {
		sizes = append(sizes, 1_000_000)
	}
	if testing.Short() {
		sizes = sizes[:1]
	}
	for _, kind := range []string{"builtin", "neural384", "neural768"} {
		for _, n := range sizes {
			name := fmt.Sprintf("%s/%s", kind, sizeName(n))
			if !benchSelected(b, name) {
				continue
			}
			ix, queries, qvecs, heap := scaleIndex(b, kind, n)
			modes := allModes
			if kind != "builtin" {
				modes = []Mode{ModeVector, ModeHybrid}
			}
			for _, mode := range modes {
				b.Run(fmt.Sprintf("%s/%s", name, mode), func(b *testing.B) {
					ctx := context.Background()
					var lat []time.Duration
					i := 0
					for b.Loop() {
						q := Query{Text: queries[i%len(queries)], TopK: 10, Mode: mode}
						if qvecs != nil {
							q.Vector = qvecs[i%len(qvecs)]
						}
						t0 := time.Now()
						if _, err := ix.Search(ctx, q); err != nil {
							b.Fatal(err)
						}
						lat = append(lat, time.Since(t0))
						i++
					}
					slices.Sort(lat)
					b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
					b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
					b.ReportMetric(heap, "index-MiB")
					if mode == ModeVector {
						b.ReportMetric(vectorRecall(ix, queries, qvecs), "recall@10")
					}
				})
			}
			ix = nil
			runtime.GC()
		}
	}
}

func sizeName(n int) string {
	if n >= 1_000_000 {
		return fmt.Sprintf("%dM", n/1_000_000)
	}
	return fmt.Sprintf("%dk", n/1000)
}

// benchSelected reports whether the -test.bench pattern can select
// benchmarks under BenchmarkScale/name, so that indexes nobody asked for
// are not built: like go test, each '/'-separated part of the pattern is
// an unanchored regexp matched against the same level of the name.
func benchSelected(b *testing.B, name string) bool {
	b.Helper()
	f := flag.Lookup("test.bench")
	if f == nil {
		return true
	}
	parts := strings.Split(f.Value.String(), "/")
	levels := append([]string{"BenchmarkScale"}, strings.Split(name, "/")...)
	for i, p := range parts {
		if i >= len(levels) {
			break
		}
		if ok, err := regexp.MatchString(p, levels[i]); err == nil && !ok {
			return false
		}
	}
	return true
}

// scaleIndex builds an index of n chunks of the given kind and returns it
// with 200 queries (and their vectors for the neural kinds) and its live
// heap in MiB.
func scaleIndex(b *testing.B, kind string, n int) (*Index, []string, [][]float32, float64) {
	b.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	gen := newSynthCorpus(13, 50000)
	var vs *vectorSet
	switch kind {
	case "neural384":
		vs = newVectorSet(384, 384, 1000)
	case "neural768":
		vs = newVectorSet(768, 768, 1000)
	}
	var emb Embedder // the built-in one
	if vs != nil {
		emb = givenVectors{dim: vs.dim}
	}
	ix := NewIndex(emb, Options{})
	t0 := time.Now()
	batch := make([]Chunk, 0, 4096)
	for i := range n {
		c := Chunk{ID: uint64(i + 1), DocumentID: uint64(i/40 + 1), Start: i % 40 * 1000, End: i%40*1000 + 1000, Text: gen.text(1000)}
		if vs != nil {
			c.Vector = vs.next()
		}
		batch = append(batch, c)
		if len(batch) == cap(batch) || i == n-1 {
			if err := ix.Add(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	queries := make([]string, 200)
	var qvecs [][]float32
	for i := range queries {
		queries[i] = gen.query(3 + i%5)
		if vs != nil {
			qvecs = append(qvecs, vs.next())
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.Logf("%s: indexed %d chunks in %v", kind, n, time.Since(t0).Round(time.Millisecond))
	return ix, queries, qvecs, float64(after.HeapAlloc-min(after.HeapAlloc, before.HeapAlloc)) / (1 << 20)
}

// vectorRecall returns the mean recall@10 of vector-mode search against
// an exact scan of every stored vector, over the first 50 queries.
func vectorRecall(ix *Index, queries []string, qvecs [][]float32) float64 {
	ctx := context.Background()
	var sum float64
	n := min(50, len(queries))
	for i := range n {
		q := Query{Text: queries[i], TopK: 10, Mode: ModeVector}
		if qvecs != nil {
			q.Vector = qvecs[i]
		}
		qv, _ := ix.queryVector(ctx, q)
		if qv == nil {
			qv = ix.emb.(queryEmbedder).embedQuery(q.Text, ix.termIDF)
		}
		hits := ix.searchVectors(qv, 10, []scope{{owner: 0}})
		exact := ix.exactSearch(qv, 10)
		found := 0
		for _, h := range hits {
			if slices.Contains(exact, h.id) {
				found++
			}
		}
		sum += float64(found) / float64(max(1, len(exact)))
	}
	return sum / float64(n)
}

// exactSearch returns the ids of the n chunks whose vectors are most
// similar to q, by brute force.
func (ix *Index) exactSearch(q []float32, n int) []uint64 {
	var hits []vectorHit
	for g := range uint32(ix.size()) {
		if v := ix.vectorOf(g); v != nil && ix.live(g) {
			hits = append(hits, vectorHit{id: ix.chunkID(g), sim: dot(q, v)})
		}
	}
	slices.SortFunc(hits, compareHits)
	ids := make([]uint64, 0, n)
	for _, h := range hits[:min(n, len(hits))] {
		ids = append(ids, h.id)
	}
	return ids
}

// givenVectors is a neural embedder stand-in for indexes whose chunks and
// queries all carry their vectors.
type givenVectors struct{ dim int }

func (g givenVectors) ID() string { return fmt.Sprintf("given/%d", g.dim) }
func (g givenVectors) Dim() int   { return g.dim }
func (g givenVectors) Embed(context.Context, []string) ([][]float32, error) {
	return nil, fmt.Errorf("givenVectors: vectors are always given")
}
