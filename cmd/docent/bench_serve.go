package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	chromem "github.com/philippgille/chromem-go"

	"docent/api"
	"docent/retrieval"
	"docent/store"
)

// serve is the cold-start phase: the real API server answers /ready once
// Library.Load has rebuilt the index from the store, as docent serve does;
// then the searches are timed in this process, through the Library and
// through a raw chromem-go collection holding the same vectors.
func (c *benchCmd) serve(ctx context.Context, g *Globals) error {
	stopProfile, err := startProfile(c.Profile)
	if err != nil {
		return err
	}
	defer stopProfile()
	db, err := openBackend(ctx, g)
	if err != nil {
		return err
	}
	defer db.Close()
	lib := retrieval.NewLibrary(db, c.embedder(), retrieval.LibraryOptions{Persist: true})
	if err := lib.CheckEmbedder(ctx); err != nil {
		return err
	}
	defer lib.Close()
	tokens, hasher, err := loadAuth(ctx, db, g.Data, "", time.Minute)
	if err != nil {
		return err
	}
	srv := api.New(api.Config{Version: versionString()}, api.Deps{DB: db, Tokens: tokens, Hasher: hasher,
		Log: slog.New(slog.DiscardHandler), Library: lib})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()
	fmt.Fprintf(g.stdout, "listening %s\n", ln.Addr())

	var sp servePhase
	start := time.Now()
	n, err := lib.Load(ctx)
	if err != nil {
		return err
	}
	srv.SetReady() // as docent serve: ready first, then memory back to the OS
	sp.Chunks, sp.LoadSeconds = n, time.Since(start).Seconds()
	debug.FreeOSMemory()
	sp.RSSMB, sp.AnonMB, sp.FileMB = procStatus("VmRSS:"), procStatus("RssAnon:"), procStatus("RssFile:")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	sp.HeapMB = float64(ms.HeapAlloc) / (1 << 20)

	queries := newBenchCorpus(c.Seed).queries(c.Queries)
	hybrid, err := timeQueries(queries, func(j int) error {
		_, err := lib.Search(ctx, store.Viewer{}, retrieval.SearchRequest{Text: queries[j], TopK: 10, Mode: retrieval.ModeHybrid})
		return err
	})
	if err != nil {
		return err
	}
	sp.SearchP50ms, sp.SearchP99ms = percentile(hybrid, 50), percentile(hybrid, 99)

	emb := lib.Index().Embedder()
	qvecs, err := emb.Embed(ctx, queries)
	if err != nil {
		return err
	}
	vecHits := make([][]uint64, len(queries))
	vector, err := timeQueries(queries, func(j int) error {
		hits, err := lib.Index().Search(ctx, retrieval.Query{Vector: qvecs[j], TopK: 10, Mode: retrieval.ModeVector, Chunks: true})
		vecHits[j] = vecHits[j][:0]
		for _, h := range hits {
			vecHits[j] = append(vecHits[j], h.ChunkID)
		}
		return err
	})
	if err != nil {
		return err
	}
	sp.VectorP50ms, sp.VectorP99ms = percentile(vector, 50), percentile(vector, 99)

	col, err := chromemCollection(ctx, db)
	if err != nil {
		return err
	}
	var found, wanted int
	raw, err := timeQueries(queries, func(j int) error {
		_, err := col.QueryEmbedding(ctx, qvecs[j], min(10, col.Count()), nil, nil)
		return err
	})
	if err != nil {
		return err
	}
	// Recall: docent's vector top 10 chunks (before they become passages)
	// against chromem-go's exact ranking.
	for i, qv := range qvecs {
		res, err := col.QueryEmbedding(ctx, qv, min(10, col.Count()), nil, nil)
		if err != nil {
			return err
		}
		for _, r := range res {
			id, _ := strconv.ParseUint(r.ID, 10, 64)
			wanted++
			if slices.Contains(vecHits[i], id) {
				found++
			}
		}
	}
	sp.ChromemP50ms, sp.ChromemP99ms = percentile(raw, 50), percentile(raw, 99)
	if wanted > 0 {
		sp.Recall10 = float64(found) / float64(wanted)
	}
	if err := json.NewEncoder(g.stdout).Encode(sp); err != nil {
		return err
	}
	// Keep serving until the parent closes our standard input: on a busy
	// machine it may not have seen /ready answer 200 yet.
	io.Copy(io.Discard, g.stdin)
	return nil
}

// startProfile starts a CPU profile into file (nothing when file is "").
func startProfile(file string) (func(), error) {
	if file == "" {
		return func() {}, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// warmUp queries run first, untimed.
const warmUp = 10

// timeQueries runs fn on warmUp queries and then on every query (by
// index), timing each.
func timeQueries(queries []string, fn func(j int) error) ([]time.Duration, error) {
	lat := make([]time.Duration, 0, len(queries))
	for i := range warmUp + len(queries) {
		j := (i - warmUp) % len(queries)
		if i < warmUp {
			j = i * 7 % len(queries)
		}
		t0 := time.Now()
		if err := fn(j); err != nil {
			return nil, err
		}
		if i >= warmUp {
			lat = append(lat, time.Since(t0))
		}
	}
	return lat, nil
}

// percentile returns the p-th percentile of lat in milliseconds.
func percentile(lat []time.Duration, p int) float64 {
	s := slices.Clone(lat)
	slices.Sort(s)
	return float64(s[min(len(s)-1, len(s)*p/100)].Microseconds()) / 1000
}

// chromemCollection puts every stored vector into one raw chromem-go
// collection, as a plain chromem-go application would hold them.
func chromemCollection(ctx context.Context, db store.Store) (*chromem.Collection, error) {
	col, err := chromem.NewDB().CreateCollection("bench", nil, func(context.Context, string) ([]float32, error) {
		return nil, errors.New("vectors are always given")
	})
	if err != nil {
		return nil, err
	}
	err = db.IndexChunks(ctx, 4096, func(cs []store.IndexedChunk) error {
		docs := make([]chromem.Document, len(cs))
		for i, c := range cs {
			docs[i] = chromem.Document{ID: strconv.FormatUint(c.ID(), 10), Embedding: c.Vector,
				Metadata: map[string]string{"d": strconv.FormatUint(c.DocumentID, 10)}}
		}
		return col.AddDocuments(ctx, docs, runtime.NumCPU())
	})
	return col, err
}

// procStatus returns a memory figure of this process in MB: VmRSS (the
// resident set size), RssAnon or RssFile (Linux; 0 elsewhere).
func procStatus(key string) float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(raw)) {
		if rest, ok := strings.CutPrefix(line, key); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
