package main

import (
	"context"
	"encoding/json"
	"fmt"

	"docent/internal/qaeval"
	"docent/retrieval"
)

// docQAResult is the JSON of docent eval on a document folder. The page
// keys are present only when questions carry page labels.
type docQAResult struct {
	Hit1         float64  `json:"hit@1"`
	Hit5         float64  `json:"hit@5"`
	MRR5         float64  `json:"mrr@5"`
	PageHit1     *float64 `json:"page_hit@1,omitempty"`
	PageHit5     *float64 `json:"page_hit@5,omitempty"`
	Questions    int      `json:"questions"`
	P50ms        float64  `json:"p50_ms"`
	Documents    int      `json:"documents"`
	IndexSeconds float64  `json:"index_seconds"`
	Mode         string   `json:"mode"`
}

// openFolder ingests the document folder through the real pipeline into a
// temporary store, with the configured embedder.
func (c *evalCmd) openFolder(ctx context.Context) (*qaeval.Corpus, retrieval.Embedder, error) {
	emb, err := c.embedder()
	if err != nil {
		return nil, nil, err
	}
	corpus, err := qaeval.Open(ctx, c.Dataset, qaeval.Options{Embedder: emb, Include: c.Include, Exclude: c.Exclude})
	return corpus, emb, err
}

// runDocQA ingests the folder through the real pipeline into a temporary
// data directory, asks every question and reports hits by source file
// (and page).
func (c *evalCmd) runDocQA(ctx context.Context, g *Globals) error {
	qs, err := qaeval.ReadQuestions(c.Questions)
	if err != nil {
		return fmt.Errorf("%w (a document folder needs a questions file; a BEIR folder needs corpus.jsonl)", err)
	}
	corpus, emb, err := c.openFolder(ctx)
	if err != nil {
		return err
	}
	defer corpus.Close()
	rep, err := corpus.EvalRetrieval(ctx, qs, qaeval.Search{Mode: retrieval.Mode(c.Mode)})
	if err != nil {
		return err
	}
	res := docQAResult{Hit1: rep.Hit1, Hit5: rep.Hit5, MRR5: rep.MRR5, Questions: rep.Questions, P50ms: millis(rep.P50),
		Documents: corpus.Documents(), IndexSeconds: corpus.Indexing.Seconds(), Mode: c.Mode}
	if rep.Paged > 0 {
		res.PageHit1, res.PageHit5 = &rep.PageHit1, &rep.PageHit5
	}
	if c.JSON {
		return json.NewEncoder(g.stdout).Encode(res)
	}
	fmt.Fprintf(g.stdout, "%s (%d documents, %d questions, %s mode, %s)\n", c.Dataset, res.Documents, res.Questions, c.Mode, emb.ID())
	fmt.Fprintf(g.stdout, "  hit@1      %.3f\n  hit@5      %.3f\n  MRR@5      %.3f\n", res.Hit1, res.Hit5, res.MRR5)
	if rep.Paged > 0 {
		fmt.Fprintf(g.stdout, "  page hit@1 %.3f\n  page hit@5 %.3f  (%d questions with pages)\n", rep.PageHit1, rep.PageHit5, rep.Paged)
	}
	fmt.Fprintf(g.stdout, "  indexing   %.2f s\n  query p50  %.2f ms\n", res.IndexSeconds, res.P50ms)
	return nil
}
