package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"docent/retrieval"
	"docent/store"
)

type evalCmd struct {
	Dataset       string   `arg:"" type:"existingdir" help:"A BEIR-layout folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv), or a folder of documents with a questions file (qa.jsonl)."`
	Questions     string   `name:"questions" type:"path" help:"Questions file of a document folder (JSON Lines: question, source_files, optional source_pages); default DIR/qa.jsonl."`
	Conversations string   `name:"conversations" type:"path" help:"Evaluate answers instead: a file of conversations over the document folder (JSON Lines: {\"turns\": [{\"question\", \"source_file\", \"answer\"}]})."`
	Include       []string `name:"include" help:"Only ingest files of a document folder matching this glob (repeatable), e.g. '*.pdf'."`
	Exclude       []string `name:"exclude" help:"Glob of files of a document folder not to ingest (repeatable), e.g. SOURCE.md."`
	Verbose       bool     `name:"verbose" short:"v" help:"With --conversations: print every turn (question, search, answer, verdicts)."`
	Split         string   `name:"split" default:"test" help:"Which qrels file to judge with (BEIR)."`
	Mode          string   `name:"mode" default:"hybrid" enum:"hybrid,keyword,vector" help:"Ranking to evaluate: ${enum}."`
	TopK          int      `name:"top-k" default:"100" help:"Results retrieved per query (BEIR)."`
	JSON          bool     `name:"json" help:"Print one JSON object with the metrics."`

	embedFlags
	llmFlags
}

// evalResult is the JSON docent eval prints: exactly these keys.
type evalResult struct {
	NDCG10       float64 `json:"ndcg@10"`
	Recall10     float64 `json:"recall@10"`
	Recall100    float64 `json:"recall@100"`
	MRR10        float64 `json:"mrr@10"`
	Queries      int     `json:"queries"`
	IndexSeconds float64 `json:"index_seconds"`
	P50ms        float64 `json:"p50_ms"`
	P95ms        float64 `json:"p95_ms"`
	Mode         string  `json:"mode"`
}

// Run evaluates a BEIR folder, or a document folder when it has a
// questions file (or --questions is given), or the answers to the
// conversations of --conversations over a document folder.
func (c *evalCmd) Run(ctx context.Context, g *Globals) error {
	if c.Conversations != "" {
		return c.runAnswers(ctx, g)
	}
	if c.Questions == "" {
		if _, err := os.Stat(filepath.Join(c.Dataset, "corpus.jsonl")); err == nil {
			return c.runBEIR(ctx, g)
		}
		c.Questions = filepath.Join(c.Dataset, "qa.jsonl")
	}
	return c.runDocQA(ctx, g)
}

// runBEIR indexes the corpus into a temporary data directory through the
// real store and library (one document per corpus record, title + text),
// runs every judged query and prints the standard metrics.
func (c *evalCmd) runBEIR(ctx context.Context, g *Globals) error {
	ds, err := retrieval.LoadBEIR(c.Dataset, c.Split)
	if err != nil {
		return err
	}
	emb, err := c.embedder()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "docent-eval-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	db, err := store.Open(ctx, tmp, store.Options{NoSync: true})
	if err != nil {
		return err
	}
	defer db.Close()
	lib := retrieval.NewLibrary(db, emb, retrieval.LibraryOptions{})
	start := time.Now()
	if err := indexDataset(ctx, db, lib, ds); err != nil {
		return err
	}
	indexed := time.Since(start)
	rep, err := retrieval.Evaluate(ctx, lib.Index(), ds, retrieval.Mode(c.Mode), c.TopK)
	if err != nil {
		return err
	}
	res := evalResult{NDCG10: rep.NDCG10, Recall10: rep.Recall10, Recall100: rep.Recall100, MRR10: rep.MRR10,
		Queries: rep.Queries, IndexSeconds: indexed.Seconds(), P50ms: millis(rep.P50), P95ms: millis(rep.P95), Mode: c.Mode}
	if c.JSON {
		return json.NewEncoder(g.stdout).Encode(res)
	}
	fmt.Fprintf(g.stdout, "%s (%s split, %d documents, %s mode, %s)\n", ds.Name, c.Split, len(ds.Docs), c.Mode, emb.ID())
	fmt.Fprintf(g.stdout, "  nDCG@10    %.4f\n  Recall@10  %.4f\n  Recall@100 %.4f\n  MRR@10     %.4f\n", res.NDCG10, res.Recall10, res.Recall100, res.MRR10)
	fmt.Fprintf(g.stdout, "  queries    %d\n  indexing   %.2f s\n  query p50  %.2f ms, p95 %.2f ms\n", res.Queries, res.IndexSeconds, res.P50ms, res.P95ms)
	return nil
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// indexDataset adds every corpus record as a shared-library document, on
// all CPUs.
func indexDataset(ctx context.Context, db *store.DB, lib *retrieval.Library, ds *retrieval.Dataset) error {
	byDoc := map[uint64][]store.Chunk{}
	for _, ch := range ds.Chunks() {
		byDoc[ch.DocumentID] = append(byDoc[ch.DocumentID], store.Chunk{Text: ch.Text, Start: ch.Start, End: ch.End})
	}
	var mu sync.Mutex
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.NumCPU())
	for i, rec := range ds.Docs {
		chunks := byDoc[uint64(i)+1]
		g.Go(func() error {
			// Each record is its own document even when two have the same text.
			sum := sha256.Sum256([]byte(rec.ID + "\x00" + rec.Title + "\n" + rec.Text))
			// A record has no file name: its title stands in for one, so
			// the document's identity field is the title alone.
			name := rec.Title
			if name == "" {
				name = rec.ID
			}
			d := store.Document{Owner: store.Shared, Filename: name, Title: rec.Title, ContentType: "text/plain; charset=utf-8",
				Format: "text", SHA256: hex.EncodeToString(sum[:]), Size: int64(len(rec.Title) + 1 + len(rec.Text))}
			if _, _, err := db.CreateDocument(ctx, &d); err != nil {
				return err
			}
			if err := lib.Add(ctx, &d, chunks, nil); err != nil {
				return fmt.Errorf("index %s: %w", rec.ID, err)
			}
			mu.Lock()
			ds.Bind(d.ID, rec.ID)
			mu.Unlock()
			return nil
		})
	}
	return g.Wait()
}
