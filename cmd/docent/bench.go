package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alecthomas/kong"
	chromem "github.com/philippgille/chromem-go"

	"docent/api"
	"docent/ingest"
	"docent/internal/auth"
	"docent/retrieval"
	"docent/store"
)

type benchCmd struct {
	Chunks  int  `name:"chunks" default:"100000" help:"Passages in the synthetic corpus (about; documents of about 40 passages)."`
	Queries int  `name:"queries" default:"500" help:"Searches timed (each also timed through raw chromem-go)."`
	JSON    bool `name:"json" help:"Print one JSON object: chunks, ingest_chunks_per_s, ready_seconds, rss_mb, search_p50_ms, search_p99_ms, chromem_p50_ms."`
	// FakeDim measures the neural-embedder case: every passage and query
	// gets the normalised sum of fixed random vectors of its words (no
	// model), so hybrid search scans vectors as it does with Ollama or
	// OpenAI.
	FakeDim int    `name:"fake-dim" hidden:"" help:"Embed with sums of fixed random word vectors of this dimension instead of the built-in embedder."`
	Phase   string `name:"phase" hidden:"" enum:",serve" default:"" help:"Internal: the cold-start half, run in a fresh process."`
	Seed    uint64 `name:"seed" default:"1" help:"Seed of the synthetic corpus and queries."`
	Profile string `name:"cpuprofile" hidden:"" type:"path" help:"Write a CPU profile of the ingest phase (and of the serve phase to FILE.serve)."`
}

// benchResult is what docent bench --json prints: exactly these keys.
type benchResult struct {
	Chunks           int     `json:"chunks"`
	IngestChunksPerS float64 `json:"ingest_chunks_per_s"`
	ReadySeconds     float64 `json:"ready_seconds"`
	RSSMB            float64 `json:"rss_mb"`
	SearchP50ms      float64 `json:"search_p50_ms"`
	SearchP99ms      float64 `json:"search_p99_ms"`
	ChromemP50ms     float64 `json:"chromem_p50_ms"`
}

// servePhase is what the cold-start process reports to its parent.
type servePhase struct {
	Chunks       int     `json:"chunks"`
	LoadSeconds  float64 `json:"load_seconds"`
	RSSMB        float64 `json:"rss_mb"`
	AnonMB       float64 `json:"anon_mb"`
	FileMB       float64 `json:"file_mb"`
	HeapMB       float64 `json:"heap_mb"`
	SearchP50ms  float64 `json:"search_p50_ms"`
	SearchP99ms  float64 `json:"search_p99_ms"`
	VectorP50ms  float64 `json:"vector_p50_ms"`
	VectorP99ms  float64 `json:"vector_p99_ms"`
	ChromemP50ms float64 `json:"chromem_p50_ms"`
	ChromemP99ms float64 `json:"chromem_p99_ms"`
	Recall10     float64 `json:"recall_at_10"`
}

// Run generates a corpus, ingests it through the real pipeline and
// library, then starts a fresh process that serves the data directory
// (the real API server over Library.Load) and times /ready, its memory and
// searches, against raw chromem-go on the same vectors.
func (c *benchCmd) Run(ctx context.Context, g *Globals, kctx *kong.Context) error {
	if c.Phase == "serve" {
		return c.serve(ctx, g)
	}
	if c.Chunks < 1 || c.Queries < 1 {
		return errors.New("--chunks and --queries must be positive")
	}
	dir, keep := g.Data, dataGiven(kctx.Args)
	if keep {
		if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
			return fmt.Errorf("%s is not empty: docent bench fills a new data directory", dir)
		}
	} else {
		tmp, err := os.MkdirTemp("", "docent-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	progress := io.Discard
	if !c.JSON {
		progress = g.stderr
	}
	fmt.Fprintf(progress, "generating and ingesting about %d passages into %s\n", c.Chunks, dir)
	stopProfile, err := startProfile(c.Profile)
	if err != nil {
		return err
	}
	chunks, rate, err := c.ingest(ctx, dir)
	stopProfile()
	if err != nil {
		return err
	}
	fmt.Fprintf(progress, "ingested %d passages at %.0f passages/s; starting a server on them\n", chunks, rate)
	sp, ready, err := c.coldStart(ctx, g, dir)
	if err != nil {
		return err
	}
	res := benchResult{Chunks: chunks, IngestChunksPerS: round(rate, 1), ReadySeconds: round(ready.Seconds(), 3),
		RSSMB: round(sp.RSSMB, 1), SearchP50ms: round(sp.SearchP50ms, 3), SearchP99ms: round(sp.SearchP99ms, 3),
		ChromemP50ms: round(sp.ChromemP50ms, 3)}
	if c.JSON {
		return json.NewEncoder(g.stdout).Encode(res)
	}
	emb := "built-in embedder"
	if c.FakeDim > 0 {
		emb = fmt.Sprintf("%d-dimension sums of fixed random word vectors", c.FakeDim)
	}
	w := g.stdout
	fmt.Fprintf(w, "docent bench: %d passages, %s, %d queries, GOMAXPROCS %d\n", chunks, emb, c.Queries, runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "  ingest            %8.0f passages/s (extract → chunk → embed → commit → index)\n", rate)
	fmt.Fprintf(w, "  ready             %8.3f s (process start to /ready 200; Library.Load %.3f s)\n", ready.Seconds(), sp.LoadSeconds)
	fmt.Fprintf(w, "  memory            %8.1f MB RSS after load (anonymous %.1f MB, of which Go heap %.1f MB; store file %.1f MB)\n", sp.RSSMB, sp.AnonMB, sp.HeapMB, sp.FileMB)
	fmt.Fprintf(w, "  hybrid search     %8.3f ms p50, %.3f ms p99 (Library.Search: index + passages from the store)\n", sp.SearchP50ms, sp.SearchP99ms)
	fmt.Fprintf(w, "  vector search     %8.3f ms p50, %.3f ms p99 (Index.Search, vector mode); recall@10 against chromem-go's exact scan %.4f\n", sp.VectorP50ms, sp.VectorP99ms, sp.Recall10)
	fmt.Fprintf(w, "  raw chromem-go    %8.3f ms p50, %.3f ms p99 (QueryEmbedding, same vectors and queries)\n", sp.ChromemP50ms, sp.ChromemP99ms)
	if keep {
		fmt.Fprintf(w, "the data stays in %s (shared library): docent serve --data %s\n", dir, dir)
	}
	return nil
}

// dataGiven reports whether the command line names a data directory
// (--data or DOCENT_DATA); otherwise docent bench works in a temporary one.
func dataGiven(args []string) bool {
	if os.Getenv("DOCENT_DATA") != "" {
		return true
	}
	return slices.ContainsFunc(args, func(a string) bool { return a == "--data" || strings.HasPrefix(a, "--data=") })
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

// ingest writes the corpus as text files into the pipeline's spool (not
// timed), then submits them all and waits until every document is ready:
// the rate covers extraction, chunking, analysis, embedding, the commit
// and the in-memory index, with the serve defaults (one worker per CPU,
// fsync on every commit).
func (c *benchCmd) ingest(ctx context.Context, dir string) (int, float64, error) {
	db, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	lib := retrieval.NewLibrary(db, c.embedder(), retrieval.LibraryOptions{})
	pipe, err := ingest.NewPipeline(db, lib, filepath.Join(dir, "uploads"), ingest.Options{Workers: runtime.NumCPU()})
	if err != nil {
		return 0, 0, err
	}
	gen := newBenchCorpus(c.Seed)
	var ups []ingest.Upload
	for planned, i := 0, 0; planned < c.Chunks; i++ {
		text, n, err := gen.document(ctx, min(perDocument, c.Chunks-planned))
		if err != nil {
			return 0, 0, err
		}
		planned += n
		f, err := pipe.TempFile()
		if err != nil {
			return 0, 0, err
		}
		_, err = f.WriteString(text)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return 0, 0, err
		}
		sum := sha256.Sum256([]byte(text))
		ups = append(ups, ingest.Upload{Owner: store.Shared, Filename: fmt.Sprintf("topic-%03d-%06d.txt", gen.topic, i),
			Format: ingest.Text, Size: int64(len(text)), SHA256: hex.EncodeToString(sum[:]), TempPath: f.Name()})
	}
	work, stop := context.WithCancel(ctx)
	defer stop()
	if err := pipe.Start(work); err != nil {
		return 0, 0, err
	}
	defer pipe.Close()
	defer stop()
	start := time.Now()
	ids := make([]uint64, 0, len(ups))
	for _, up := range ups {
		d, _, err := pipe.Submit(ctx, up)
		if err != nil {
			return 0, 0, err
		}
		ids = append(ids, d.ID)
	}
	chunks := 0
	for _, id := range ids {
		d, err := pipe.Wait(ctx, id)
		if err != nil {
			return 0, 0, err
		}
		if d.Status != store.StatusReady {
			return 0, 0, fmt.Errorf("%s: %s %s", d.Filename, d.Status, d.Error)
		}
		chunks += d.Chunks
	}
	return chunks, float64(chunks) / time.Since(start).Seconds(), nil
}

// coldStart runs the serve phase in a fresh process (so that its memory
// is the server's alone) and times it from exec to the first 200 from
// /ready.
func (c *benchCmd) coldStart(ctx context.Context, g *Globals, dir string) (servePhase, time.Duration, error) {
	var sp servePhase
	exe, err := os.Executable()
	if err != nil {
		return sp, 0, err
	}
	args := []string{"--data", dir, "--log-level", "warn", "bench", "--phase", "serve",
		"--queries", strconv.Itoa(c.Queries), "--seed", strconv.FormatUint(c.Seed, 10), "--fake-dim", strconv.Itoa(c.FakeDim)}
	if c.Profile != "" {
		args = append(args, "--cpuprofile", c.Profile+".serve")
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Stderr = g.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return sp, 0, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return sp, 0, err
	}
	waited := false
	defer func() {
		if !waited {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		return sp, 0, fmt.Errorf("the serve phase stopped before listening: %v", lines.Err())
	}
	addr, ok := strings.CutPrefix(lines.Text(), "listening ")
	if !ok {
		return sp, 0, fmt.Errorf("the serve phase said %q", lines.Text())
	}
	client := &http.Client{Timeout: 5 * time.Second}
	var ready time.Duration
	for ready == 0 {
		resp, err := client.Get("http://" + addr + "/ready")
		if err != nil {
			return sp, 0, err
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			ready = time.Since(start)
			break
		}
		select {
		case <-ctx.Done():
			return sp, 0, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
	if !lines.Scan() {
		return sp, 0, fmt.Errorf("the serve phase stopped before reporting: %v", lines.Err())
	}
	if err := json.Unmarshal(lines.Bytes(), &sp); err != nil {
		return sp, 0, fmt.Errorf("serve phase report: %w", err)
	}
	waited = true
	if err := cmd.Wait(); err != nil {
		return sp, 0, fmt.Errorf("serve phase: %w", err)
	}
	return sp, ready, nil
}

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
	db, err := store.Open(ctx, g.Data, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	lib := retrieval.NewLibrary(db, c.embedder(), retrieval.LibraryOptions{})
	if err := lib.CheckEmbedder(ctx); err != nil {
		return err
	}
	secret, err := auth.LoadSecret(g.Data, "")
	if err != nil {
		return err
	}
	tokens, err := auth.NewTokens(secret, time.Minute)
	if err != nil {
		return err
	}
	hasher, err := auth.NewHasher(0)
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
		hits, err := lib.Index().Search(ctx, retrieval.Query{Vector: qvecs[j], TopK: 10, Mode: retrieval.ModeVector})
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

	col, spans, err := chromemCollection(ctx, db)
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
	// Recall: docent's vector top 10 against chromem-go's exact ranking,
	// with overlapping passages of one document counted once as docent
	// does.
	for i, qv := range qvecs {
		res, err := col.QueryEmbedding(ctx, qv, min(40, col.Count()), nil, nil)
		if err != nil {
			return err
		}
		var kept []uint64
		for _, r := range res {
			id, _ := strconv.ParseUint(r.ID, 10, 64)
			if len(kept) < 10 && !slices.ContainsFunc(kept, func(k uint64) bool { return spans[k].overlaps(spans[id]) }) {
				kept = append(kept, id)
			}
		}
		for _, id := range kept {
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
	return json.NewEncoder(g.stdout).Encode(sp)
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
// collection, as a plain chromem-go application would hold them, and
// returns where each passage lies in its document.
func chromemCollection(ctx context.Context, db *store.DB) (*chromem.Collection, map[uint64]span, error) {
	col, err := chromem.NewDB().CreateCollection("bench", nil, func(context.Context, string) ([]float32, error) {
		return nil, errors.New("vectors are always given")
	})
	if err != nil {
		return nil, nil, err
	}
	spans := map[uint64]span{}
	err = db.IndexChunks(ctx, 4096, func(cs []store.IndexedChunk) error {
		docs := make([]chromem.Document, len(cs))
		for i, c := range cs {
			docs[i] = chromem.Document{ID: strconv.FormatUint(c.ID(), 10), Embedding: c.Vector,
				Metadata: map[string]string{"d": strconv.FormatUint(c.DocumentID, 10)}}
			spans[c.ID()] = span{c.DocumentID, c.Start, c.End}
		}
		return col.AddDocuments(ctx, docs, runtime.NumCPU())
	})
	return col, spans, err
}

// span is where a passage lies: its document and byte range.
type span struct {
	doc        uint64
	start, end int
}

// overlaps reports whether two passages of one document share text.
func (s span) overlaps(o span) bool { return s.doc == o.doc && s.start < o.end && o.start < s.end }

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

// embedder is the built-in embedder, or with --fake-dim a bag of fixed
// random word vectors.
func (c *benchCmd) embedder() retrieval.Embedder {
	if c.FakeDim > 0 {
		return newWordVectors(c.FakeDim)
	}
	return retrieval.NewBuiltin(0)
}

// wordVectors stands in for a neural embedder when measuring speed: each
// word has a fixed random unit vector and a text is the normalised sum of
// its words' vectors, so related passages are near each other as with a
// real model, at no model cost.
type wordVectors struct {
	dim   int
	mu    sync.Mutex
	words map[string][]float32
}

func newWordVectors(dim int) *wordVectors {
	return &wordVectors{dim: dim, words: map[string][]float32{}}
}

func (w *wordVectors) ID() string { return fmt.Sprintf("bench-words/%d", w.dim) }
func (w *wordVectors) Dim() int   { return w.dim }

func (w *wordVectors) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		v := make([]float64, w.dim)
		for _, word := range strings.FieldsFunc(strings.ToLower(t), func(r rune) bool { return r < 'a' || r > 'z' }) {
			for j, x := range w.word(word) {
				v[j] += float64(x)
			}
		}
		var ss float64
		for _, x := range v {
			ss += x * x
		}
		out[i] = make([]float32, w.dim)
		for j, x := range v {
			out[i][j] = float32(x / math.Sqrt(max(ss, 1e-12)))
		}
	}
	return out, nil
}

// word returns the fixed vector of one word.
func (w *wordVectors) word(s string) []float32 {
	w.mu.Lock()
	defer w.mu.Unlock()
	if v, ok := w.words[s]; ok {
		return v
	}
	sum := sha256.Sum256([]byte(s))
	rng := rand.New(rand.NewChaCha8(sum))
	v := make([]float32, w.dim)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	w.words[s] = v
	return v
}

// perDocument is the number of passages of a generated document.
const perDocument = 40

// benchCorpus writes English-like text: sentences of real words (a
// scientific vocabulary in order of frequency) drawn with Zipf
// frequencies, each document about one of 200 topics whose words it uses
// more often, joined by function words. Queries ask about a topic with a
// few of its words.
type benchCorpus struct {
	rng    *rand.Rand
	vocab  []string
	zipf   *rand.Zipf
	topics [][]string
	topic  int // of the last document
}

var functionWords = strings.Fields("the of and in to a is was with for that by on as are from at an which were this be or these its has have between")

func newBenchCorpus(seed uint64) *benchCorpus {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	vocab := strings.Fields(benchWords)
	c := &benchCorpus{rng: rng, vocab: vocab, zipf: rand.NewZipf(rng, 1.07, 2, uint64(len(vocab)-1))}
	for range 200 {
		t := make([]string, 40)
		for i := range t {
			t[i] = vocab[100+rng.IntN(len(vocab)-100)]
		}
		c.topics = append(c.topics, t)
	}
	return c
}

// sentence appends one sentence about topic t.
func (c *benchCorpus) sentence(b *strings.Builder, t []string) {
	n := 6 + c.rng.IntN(10)
	for i := range n {
		w := c.vocab[c.zipf.Uint64()]
		if c.rng.IntN(10) < 3 {
			w = t[c.rng.IntN(len(t))]
		}
		if i == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		} else {
			b.WriteByte(' ')
			if c.rng.IntN(10) < 4 {
				b.WriteString(functionWords[c.rng.IntN(len(functionWords))])
				b.WriteByte(' ')
			}
		}
		b.WriteString(w)
	}
	b.WriteString(". ")
}

// document returns the text of a document of about passages passages (a
// paragraph break every few sentences) and how many the chunker makes of it.
func (c *benchCorpus) document(ctx context.Context, passages int) (string, int, error) {
	c.topic = c.rng.IntN(len(c.topics))
	t := c.topics[c.topic]
	var b strings.Builder
	target := passages*(ingest.DefaultChunkSize-ingest.DefaultChunkOverlap) - ingest.DefaultChunkOverlap/2
	for s := 1; b.Len() < target; s++ {
		c.sentence(&b, t)
		if s%6 == 0 {
			b.WriteString("\n\n")
		}
	}
	text := b.String()
	x, err := ingest.Extract(ctx, ingest.Text, strings.NewReader(text), int64(len(text)), ingest.Limits{})
	if err != nil {
		return "", 0, err
	}
	return text, len(ingest.Split(x, ingest.ChunkOptions{})), nil
}

// queries returns n questions: a few words of one topic, sometimes with a
// common word or a question's function words.
func (c *benchCorpus) queries(n int) []string {
	out := make([]string, n)
	for i := range out {
		t := c.topics[c.rng.IntN(len(c.topics))]
		words := []string{}
		for range 2 + c.rng.IntN(3) {
			words = append(words, t[c.rng.IntN(len(t))])
		}
		if c.rng.IntN(2) == 0 {
			words = append(words, c.vocab[20+c.rng.IntN(500)])
		}
		q := strings.Join(words, " ")
		if c.rng.IntN(3) == 0 {
			q = "what is the role of " + q
		}
		out[i] = q
	}
	return out
}

// benchWords is a vocabulary of 3,000 English words, most frequent first
// (from the abstracts of the SciFact corpus, stop words removed).
const benchWords = `
cells cell patients expression cancer results human protein study associated disease risk dna gene
treatment mice data increased role specific analysis studies high induced activity levels here
function type development genes receptor years show control factors activation response effects
tumor factor age stem dependent group clinical compared proteins women through based growth had
signaling found methods model binding new health including among related effect identified well
blood different time potential higher complex important significant mechanisms mediated tissue rna
suggest within evidence low non pathway vivo population findings system immune mortality regulation
primary infection first survival mouse early therapy reduced although changes formation conclusions
mechanism genome normal cellular required molecular showed increase number genetic diabetes observed
breast kinase association target long responses vitro thus provide known bone multiple death present
review major many like replication functional loss care single could derived chronic level over acid
hiv brain whether mutations positive beta demonstrate novel small nuclear resistance lung how lower
inhibition further inflammatory several background similar large each total groups production
expressed virus children common per rate plasma some stress self did life models months without
research cases mean activated key events insulin drug respectively regulatory pathways sites
membrane family outcome decreased chromatin weight acute essential recent independent adult reported
term patient while addition process objective therapeutic highly less neurons identify mir functions
involved receptors whereas either diseases trials heart treated subjects controls shown structure
design progression domain active men mrna metabolic outcomes information via ratio rates revealed
controlled serum body tumors presence about year distinct report interaction glucose inflammation
embryonic site interactions cycle alpha mutant anti histone participants form macrophages analyses
screening regulated endothelial methylation will muscle cause tissues trial current incidence
previously processes differences against host apoptosis critical phase overall individuals liver
conclusion demonstrated relative determine negative reduction prevalence species because indicate
viral conditions regions four malaria obesity exercise interval mass suggesting greater furthermore
induction range sequence dose effective fat stage mutation confidence under any status developed
should repair various due following damage region therefore contrast vascular approach metabolism
central ability measures main chromosome follow test placebo included lines enhanced inhibitors
direct method examined epithelial types severe assessed cohort diagnosis failure days together
regulate least state defined roles end cardiac antigen syndrome intervention versus general
investigated same aging containing period lipid wide size mammalian before support infected remains
phenotype likely symptoms case genomic neural sensitivity inhibitor deficient determined performed
unknown density quality measured provides populations hospital recently short combination randomized
yeast pressure class samples play disorders exposure weeks possible injury change wild drugs being
day surface across targets free efficacy coronary available where properties pre complexes upon
established release aged increases studied index impact molecules might markers global regulates
medical combined despite contribute line renal second individual adults relationship moreover energy
improved setting peptide synthesis detected directly result increasing structural pluripotent
epigenetic cross features cancers peripheral conserved elevated leading limited biological
cholesterol signals promoter lesions strategies calcium maintenance pregnancy marrow prevention
underlying fibroblasts baseline accumulation transmission assembly adjusted physical sex difference
five patterns absence causes targeting suggests signal influence terminal actin systems part fold
additional induce generation remain sequences ifn animals healthy states often enzyme stroke
experimental frequency promotes humans generated neuronal national older carcinoma meta evaluated
wnt rapid countries structures analyzed vitamin bacterial agents inhibited adhesion basis diet
culture caused memory median klf components correlated obtained adverse scale lineage signalling
oxidative need even gamma importance tumour resulted followed imaging linked future community
autophagy homeostasis expressing previous requires initial better pain assess sample cytokine
migration ligand dysfunction daily hypertension context secondary double deficiency distribution
developing promote management isolated criteria investigate does component standard alternative
capacity conducted six targeted tested immunity reduce depression pattern resulting decrease
endogenous would assessment produced late post consistent activities selection understood people
them local received impaired manner unclear approaches leukemia specificity intake testing score
since consumption defects poor out adipose antibody processing history somatic secretion surgery
estimated alone oral prospective molecule improve then particularly mirnas cost network bmi area
plays birth innate induces male systematic infections describe detection action subsequent rat
particular described smoking values very selective sensitive little areas develop amino polymerase
domains deletion regression leads interleukin rats social occurs mirna assay disorder given odds
animal now implications point matrix yet subunit initiation considered specifically dietary hpv
affect unique pancreatic cytokines knowledge confirmed skeletal kidney antibodies progenitor
affected still strategy set therapies regulating pathogenesis rnas lack stable organization work
comparison alcohol regulator degradation seen gain include tlr suppression occurred systemic
efficient dendritic reveal variation evaluate evaluation program measure finally bcl lead oxygen
food mental pol alterations assays hypothesis behavior tuberculosis associations microtubule length
onset relevant discuss glutamate flow transport quantitative pcr recruitment much largely complete
effector evolution resolution maternal numbers depletion resistant cervical gastric natural examine
tgf chain murine inhibits metastasis pulmonary led source stimulation poorly million diverse
colorectal white strongly sequencing coding macrophage propose bacteria estimates variety open
stages responsible biology value egfr training strong reactive mesenchymal mutants remodeling
necessary deaths benefit percent experiments grade stimulated iii circadian occur forms prior
dynamics few suggested recognition volume autoimmune lacking implicated doses delivery down purpose
organ risks advanced crucial fibrosis strand motor encoding indicating pro rather potentially
synaptic infants sufficient acids aim light chromosomes exhibit angiogenesis diagnostic taken
neutrophils represent marker tolerance circulating prevent respiratory integrin potent tyrosine
tests sepsis bound downstream tnf localization cyclin nucleotide burden atp rapidly find united
cognitive expansion embryos biochemical highest survey monocytes pluripotency sleep whole provided
min female allele produce protection platelet safety translation predicted selected plus ovarian
members proposed according hormone uptake surgical transition skin splicing loci myeloid correlation
silencing insights soluble appears remained notch myocardial scores dynamic needed fatty indicated
kinases cytoplasmic practice involving hazard field made drosophila transgenic seven relation
clinically altered amyloid diabetic origin substantial transcripts especially invasion tcr reverse
hours spatial affinity proportion vaccine elements useful obese regeneration clear express prostate
month oct become renewal define metastatic fgf apoptotic arterial hcv application products reaction
suppressed activating week contributes database viruses order fate maintain regulators duration cdk
fetal core peptides young times suppressor inhibit inhibitory measurements promoting intestinal
nervous published currently performance abnormal parameters division subset substrate myc cortical
full interferon variants frequently restricted cortex moderate average channel channels treatments
alzheimer headache progenitors maturation act generate mature microscopy access efficiency integrity
chemotherapy spindle event able transient extent cadherin variables achieved vegf applied stability
sources repression literature longer hcc reduces providing phenotypes binds residues simple
defective world summary observations profile malignant eukaryotic hepatic require throughout article
another donor phosphatase help infarction neutrophil stromal dcs living oxide telomere extensive
randomised points diagnosed elegans controlling severity copd establish thereby conventional
temporal organisms along content akt recruited whose facilitate mhc artery ampk toward significance
stat reveals transfer coli old involvement brca basic majority environment entry cultured necrosis
enzymes improvement mediate src cns dementia appropriate reference nucleosome rnai person modulation
guidelines encoded regarding chromosomal what melanoma formed degree widely radiation conclude later
enriched subunits ebv driven differential csf randomly ros endometrial ras profiles mscs art
prognosis bind producing involves statistical benefits affects strains neonatal assigned prognostic
agent emerging challenge adaptive protective clusters promoters reducing tool step cox basal mitotic
programs mitochondria apoe locus nature presented fraction mediates recombinant series third fully
course partial rich ipscs nucleus injection appear her mitosis must public lysine asthma left
diversity genomes knockdown techniques tools micrornas sirna contain relatively settings focus
fasting best modified shows invasive persons services repeat composition ratios hypoxia arrest
consequences problems cultures catenin gender enhance needs inducing importantly advances contains
indicates random problem collected aspects past eight pathological estimate half paper link
inducible side loop antigens balance caspase real behavioral objectives frequent variant receiving
africa adjustment intensive completed prolonged optimal homocysteine lymphocytes authors larger
relevance activate education coupled matched specimens igf cluster interference predict mmp
pathogens anxiety until localized dominant families discovery compounds elimination partially
medication biogenesis gut accompanied rise modification robust designed exhibited called activates
acts acetylation newly contact antibiotics impairment ldl cin cerebral cord calculated last genotype
purified strain costs terms gbm examination represents enrolled contribution recovery adipocytes
nitric primarily clearance aimed restriction exposed generally plant commonly certain plasticity
clock migraine spinal intensity enhances hscs precursor mtor thought toxicity cold experience
disruption predictive corin unit biomarkers existing checkpoint understand knockout beneficial
decline ribosomal fusion metformin markedly progressive attenuated search western cerevisiae explore
coverage zinc undergoing hepatitis administered microrna recurrence medications vesicles
transduction networks astrocytes kappab product ligands difficult dual senescence stranded blockade
located modulate met oncogenic nsclc presentation vector pylori kras maintained inhibiting interest
functionally around allows directed genetically progress example fluid bmp metastases candidate
linear monitoring technique mrnas ventricular marked allow numerous iron affecting aberrant broad
almost elderly address fundamental medicine expected multivariate dimensional glioblastoma good
telomeres position morbidity live foxp mammals member survivors homologous improvements fluorescence
chemical attention exchange having machinery african instability lipoprotein differ correlates
sectional once undergo spontaneous near promising defect income reproductive intrinsic blocked nor
agonist receive additionally colon efficiently lymph sox matter lymphoma comparing applications
screen alleles subsets treat visual axis way mainly acquired electron treg secreted variable
transcript element introduction prevented activator date recognized classes detect growing
trafficking exogenous preventing embryo reports surveillance integrated staining aims map cleavage
lifestyle mechanical account explain continuous folate smooth challenges depends precise drive
reviewed serious helper threshold inactivation pathology means arginine mechanistic triggered mild
highlight lymphoid cycles monocyte males erk adhd solid microbial psychiatric glioma childhood niche
questions turn head promoted plants crispr females sensory achieve strength sustained span termed
infectious aortic prevents reviews base bias sir question morphology january accuracy isolation
every evolutionary measurement underwent box intermediate american framework hippocampal aml copy
feature hsc tract extended modeling amount profiling maximum capable display respond rad neither
requirement predictor protocol fibroblast null mellitus temperature rare longevity estrogen finding
make center motifs force naive greatly policy paraquat influences subsequently blocking net ribosome
lin motif identifying forming released laboratory specialized completely epidermal collagen
comparable minimal middle steroid incident albumin switch ubiquitin carcinomas displayed percentage
concept vessels persistent fitness clonal multi gata mutated selectively feeding suppress mediators
south trends clones ink putative parallel variability rac segregation predictors lesion latent
includes microarray showing synthase compare child earlier fork hand taking sexual node far fewer
european cannot demonstrates supports adjacent peak attributable myeloma expanded pregnant
possibility medium lost considerable cumulative reductions validated adherence recorded exosomes
maintaining nutrition tumours hbv insight cpg decreases intact novo upstream organs aire blind
beyond kinetics replacement economic microtubules signature pten next december agonists proteasome
errors recurrent technology enhancer extension serve defense above pooled phosphate generating red
inflammasome ion discussed conversion height sodium fed similarly ischemic helicase others lineages
trigger whom limit junction fish neurological instead colitis feedback nets falciparum resonance
abundance synthetic ages identity sclerosis widespread probably reactions suppresses positively
nucleosomes availability software monoclonal snps array recommended cas spread nlrp stimuli respect
autoimmunity chemokine detailed notably chd nanog apparent syndromes ang linking nearly ectopic camp
excess canonical collectively barriers aspirin responsive mapping smokers escherichia interface hdac
nine separate deposition upregulated ends focal error constitutive oxidation tet share influenza
mapk characterize endothelium precursors died efforts acting shock prediction varied membranes
learning issues stim admission closely sympathetic nerve hypertensive cyp initially bodies final
subject mixed timing systolic appeared rho worldwide physicians overweight disability tension
familial airway block ser clinic pathogen diffusion malignancies integration carried reporter
surprisingly symptomatic right interacting cdna lowering repeats atm worse failed pge snf
acquisition pathogenic trend anaphase delayed contained possibly subtypes germ tail condition
accurate intervals foxo hba interacts infusion sod retinal ghrelin resource escs give classical
arthritis situ antagonist lethal occurring usually seq gap contacts deprivation cvd gestational
databases logistic mode location regenerative lifespan distance speech home pairs icu daf endocrine
leptin magnetic entire offer probability amounts cytotoxic hla view rapamycin elongation stimulate
antioxidant supporting alter stimulates towards service making periods spectrum reporting protease
antiviral nutrient vaccines abundant lowest brown antibiotic adolescents units lps extracts seems
illness fractures epithelium gov participate perceived causing guide longitudinal triggers nmda exon
plaque yap arm eating substrates neutralizing cytology internal nuclei cre barrier leukocyte
throughput close panel presenting actions library concomitant eukaryotes thymic junctions parents
nmol cdc lipids aggressive serine emerged place squamous exist experienced traditional ips cxcr erbb
nhej consequence load bowel biopsy improves interact correlations polymorphism biomarker proper
synapse occurrence analysed splice sperm aids carriers determinants phenotypic adaptation relapse
exists movement sets identifies discovered virulence crp absolute water steps methylated
consistently turnover negatively cytoskeleton except mobility physiology classified unrelated
sensing lymphocyte oocyte successful subtype inclusion suicide power twenty fracture prc parasite
oscillations architecture observation susceptible combinations consecutive neurogenesis advantage
ten diastolic regimens consensus sub degrees immunization maximal solution repeated behaviors
obstructive persistence annual delta biosynthesis bmal phenomenon methyl glial dorsal lateral
synapses upper subgroup restored explained utilization bile increasingly allowing postnatal unlike
evolved ucp web isoforms ranged upregulation integrins bladder clearly ablation infiltration
hormones telomerase http pancreas catalytic links effectively infant particles physician success
country validation antitumor erythroid breaks tregs pda crystal resection microm great platform
explored hippocampus limitations enhancers fast excitatory continued critically hypothesized shift
off goal determining conversely lived deficits ppar focused premature existence carbon recipients
resting count platelets kir bearing own complexity toxic supported diminished repertoire cytoplasm
space paired metabolites creatinine congenital issue surveys facilitates resident prion reversed
mtdna autophagic glp chinese axonal angiotensin articles blm procedure vessel interfering routine
gfp encodes initiating medline itself behaviour nct smc adjuvant younger zone centers comparative
material depend university resources documented spine thyroid pth aureus requirements hes trans
decision describes typical extracted noncoding noted latter homology ill shared fixed planning
distributed signs epidemiology proximal accelerated hundred none oncogene cytokinesis practices
envelope adequate hospitals registry germline statins below procedures angiogenic residue arf
nitrite effectors landscape visceral glomerular cochrane clustering regimen amp toll jnk conditional
stratified adjusting technologies employed thrombosis reflect smaller cytotoxicity prevalent
validity store injected vectors removal orai top discharge cis create modulating polycomb folic ror
europe depending identical subcutaneous crest fluorescent initiate transformed green origins
materials algorithm powerful external superior polarity impairs viability heavy damaged healthcare
heat maps accumulate similarity funding stay modulates repressor confirm registration remarkably why
blocks cloned vaccination ccr clinicians mri preterm limb start contributed consider divided pool
ligation compartment islet regional dramatically hence stimulating involve therapeutics cohorts
polarization homolog adulthood added transforming degeneration meiotic analyze inner cytosolic
elusive psychosocial axons school microbiota dependence minor stiffness rest standardized limiting
joint initiated uses kda sirnas limits computer fission determinant starting native derivatives
definition axon improving orientation ischemia principal prone coupling ccl mediator gram gtpase
ranging glutamine loops ipsc hour hdl hsp retinoic spleen likelihood decisions bariatric media
intravenous successfully mediating defining ctcf distal cascade enable par episodes immediate
abstract contributing fatal though pediatric emotional utility tau enables plaques magnitude
quadruplex possess healing autologous project paradigm fact neuron lungs conformation codon forks
prominent partners searched language china take predicts urinary placental prophylaxis causal urban
linkage mucosal mucosa atpase neoplasia emergency carrying enhancement symptom users excessive diets
sema records assessing prescribed phases correlate alt telomeric normally histones colony embase
influenced largest protect abolished outside destruction consequently follicular trained eligible
typically atypical admitted genotypes depleted anterior isolates venous mmol indeed hemoglobin rrna
prescribing unmet poisoning nrf fibers blot editing cloning inherited capture ligase ensure drives
representing graft perform original weekly igg society donors deletions kinetochore trp expenditure
equivalent antagonists decade diameter safe decades statin treating twin pad coordinated
substitution face cyclic remodelling endocytosis overcome smad ino salmonella comparisons msc absent
vertebrate methodology dialysis osteoporosis dosage encode epidemic template driving superoxide vary
collection sought depressive centre exclusively tamoxifen storage transcribed offspring slow user
extensively mutagenesis tat dicer labeling frontal xenopus adipocyte joining als arp preoperative
sorting transfected makes allowed extra segment oxidase organism synthesized wall referred androgen
untreated engineered homozygous enzymatic categories acidic input heterozygous true wine fragment
nutrients appearance delay neoplastic locations blockers atrial dengue requiring transplant rig
potentials hypoglycemia produces inversely anticancer finger reliable subgroups constant motility
enhancing yield counts locally cytoskeletal institute curve anemia surrounding satellite expectancy
demographic rationale meiosis reliability bypass theory developments preclinical harm relatives
rural unstable deep statistics osteoblasts competition alkaline ecm varying aberrations break
studying ductal lactate pax minimum nrg poly biopsies ethnic rescued mesoderm suitable epilepsy
loading done seem enrichment naturally attributed cues patterning programme myosin compound sampling
circuit aerobic scientific decreasing declined ongoing reticulum consisting vein regular emt dying
messenger helix intestine influx aggregation quartile mda estimation centrosome trpml seeking wound
urease suppressive amplified severely computed proportional spectrometry arise changing zebrafish
weak radiotherapy composed tube budding neuropathy egg agreement inactive swi progeny combining
introduced variations redox air ultimately differed chemokines endoplasmic organelles preference
traits sections retained publication acquire bleeding unable snp programmed sensor export correct
structurally ways trophoblast derivation terminus kif subcellular sirt gaps pdgfr pkc microg layer
bmd ambulatory intron ibuprofen abl detecting nevertheless thickness neck pregnancies shape
perspective accordingly pronounced profound registered greatest mathematical predictions engineering
policies hyperplasia retention presents elucidate complement ring tata born extremely england
disrupted modulated frequencies completion plasmodium genetics secretory celiac dramatic arg
autonomic confer ischaemic foods black glutathione melatonin posterior establishing monitor onto
compartments emergence tomography intra readily mammary addressed dsrna polarized radical valuable
preventive rcts bed inverse foundation island cysteine ray discrete already parasites summarize
quiescent purification mecp modifying cartilage steady dispensable currents inter glucagon
acupuncture rnase northern yielded centromere forces wave confers unexpected residual fever enos
soft gemcitabine cytochrome shorter osteoclast medicare icam survivin muscles gestation primed mbp
thymus protects kidneys otherwise truncated phylogenetic isoform mitogen kappa monitored evaluating
cytometry interview plasmid opposite inheritance promise neuropathic colonic eye autosomal
highlights reached ibd removed striking serotonin relaxation fragments mtorc advantages spatially
boundaries alignment dynein arrays nod predicting helicobacter cyclase functioning inadequate wrn
engagement gpi csc hcmv switching dsb prisoners constitute escape ctl curves seizures evident
researchers read killing image ventral allogeneic offers bovine universal arabidopsis science
ventilation deacetylase lncrna oxidized composite approved avoid urine tobacco arteries industry
protected april crohn lysosomal household see indices geographic volunteers microbiome npc changed
implemented choice ethnicity metabolite shoulder birds believed cessation alk cenp dsbs pair back
segments extraction concerns operated histological sense mosquito ago principles regardless
nutritional elicited fas asymmetric interplay synergistic incubation continue comprised`
