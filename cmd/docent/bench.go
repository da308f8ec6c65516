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
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kong"

	"docent/ingest"
	"docent/retrieval"
	"docent/store"
)

type benchCmd struct {
	Chunks  int  `name:"chunks" default:"100000" help:"Passages in the synthetic corpus (about; documents of about 40 passages)."`
	Queries int  `name:"queries" default:"500" help:"Searches timed (each also timed through raw chromem-go)."`
	JSON    bool `name:"json" help:"Print one JSON object: chunks, ingest_chunks_per_s, ready_seconds, rss_mb, search_p50_ms, search_p99_ms, vector_p50_ms, recall@10, chromem_p50_ms."`
	// FakeDim measures the neural-embedder case: every passage and query
	// gets the normalised sum of fixed random vectors of its words (no
	// model), so hybrid search scans vectors as it does with Ollama or
	// OpenAI.
	FakeDim int    `name:"fake-dim" hidden:"" help:"Embed with sums of fixed random word vectors of this dimension instead of the built-in embedder."`
	Phase   string `name:"phase" hidden:"" enum:",serve" default:"" help:"Internal: the cold-start half, run in a fresh process; it serves until its standard input closes."`
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
	VectorP50ms      float64 `json:"vector_p50_ms"`
	Recall10         float64 `json:"recall@10"`
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
	chunks, rate, persist, err := c.ingest(ctx, g, dir)
	stopProfile()
	if err != nil {
		return err
	}
	fmt.Fprintf(progress, "ingested %d passages at %.0f passages/s, index files written in %.1f s; starting a server on them\n",
		chunks, rate, persist.Seconds())
	sp, ready, err := c.coldStart(ctx, g, dir)
	if err != nil {
		return err
	}
	res := benchResult{Chunks: chunks, IngestChunksPerS: round(rate, 1), ReadySeconds: round(ready.Seconds(), 3),
		RSSMB: round(sp.RSSMB, 1), SearchP50ms: round(sp.SearchP50ms, 3), SearchP99ms: round(sp.SearchP99ms, 3),
		VectorP50ms: round(sp.VectorP50ms, 3), Recall10: round(sp.Recall10, 4), ChromemP50ms: round(sp.ChromemP50ms, 3)}
	if c.JSON {
		return json.NewEncoder(g.stdout).Encode(res)
	}
	emb := "built-in embedder"
	if c.FakeDim > 0 {
		emb = fmt.Sprintf("%d-dimension sums of fixed random word vectors", c.FakeDim)
	}
	w := g.stdout
	fmt.Fprintf(w, "docent bench: %d passages, %s, %d queries, GOMAXPROCS %d\n", chunks, emb, c.Queries, runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "  ingest            %8.0f passages/s (extract → chunk → embed → commit → index); index files written in %.1f s after\n", rate, persist.Seconds())
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
// fsync on every commit, the index persisted). Then it writes the index
// files as docent serve's persister does once ingest settles, and
// returns how long that took.
func (c *benchCmd) ingest(ctx context.Context, g *Globals, dir string) (chunks int, rate float64, persist time.Duration, err error) {
	db, err := openNamed(ctx, dir)
	if isPostgres(g.Store) {
		db, err = openNamed(ctx, g.Store)
	}
	if err != nil {
		return 0, 0, 0, err
	}
	defer db.Close()
	if any, err := db.HasDocuments(ctx, store.Shared); err != nil || any {
		return 0, 0, 0, errors.Join(err, errors.New("the store is not empty: docent bench fills a new one"))
	}
	lib := retrieval.NewLibrary(db, c.embedder(), retrieval.LibraryOptions{Persist: true})
	if _, err := lib.Load(ctx); err != nil {
		return 0, 0, 0, err
	}
	defer lib.Close()
	if chunks, rate, err = c.ingestWith(ctx, db, lib, dir); err != nil {
		return 0, 0, 0, err
	}
	start := time.Now()
	err = lib.Flush(ctx)
	return chunks, rate, time.Since(start), err
}

// ingestWith runs the pipeline over the generated corpus.
func (c *benchCmd) ingestWith(ctx context.Context, db store.Store, lib *retrieval.Library, dir string) (int, float64, error) {
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
	args := []string{"--data", dir, "--store", g.Store, "--log-level", "warn", "bench", "--phase", "serve",
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
	stdin, err := cmd.StdinPipe() // closed once the report is read: the phase serves until then
	if err != nil {
		return sp, 0, err
	}
	defer stdin.Close()
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
	stdin.Close()
	waited = true
	if err := cmd.Wait(); err != nil {
		return sp, 0, fmt.Errorf("serve phase: %w", err)
	}
	return sp, ready, nil
}
