package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"docent/internal/qaeval"
)

// answersResult is the JSON of docent eval --conversations: the metrics
// over all turns, then by kind of turn.
type answersResult struct {
	answerMetrics
	ByKind       map[string]answerMetrics `json:"by_kind"`
	Documents    int                      `json:"documents"`
	IndexSeconds float64                  `json:"index_seconds"`
	P50ms        float64                  `json:"p50_ms"`
	Mode         string                   `json:"mode"`
}

type answerMetrics struct {
	Turns            int     `json:"turns"`
	Hit1             float64 `json:"source_hit@1"`
	Hit5             float64 `json:"source_hit@5"`
	CitationContains float64 `json:"citation_contains_answer"`
	AnswerContains   float64 `json:"answer_contains_answer"`
	F1               float64 `json:"answer_f1"`
}

func metrics(s qaeval.AnswerStats) answerMetrics {
	return answerMetrics{Turns: s.Turns, Hit1: s.Hit1, Hit5: s.Hit5, CitationContains: s.CitationContains,
		AnswerContains: s.AnswerContains, F1: s.F1}
}

// runAnswers ingests the folder through the real pipeline into a temporary
// data directory, asks every conversation through the chat engine and
// reports how the answers compare with the labels.
func (c *evalCmd) runAnswers(ctx context.Context, g *Globals) error {
	convs, err := qaeval.ReadConversations(c.Conversations)
	if err != nil {
		return err
	}
	engine, err := c.engine()
	if err != nil {
		return err
	}
	corpus, emb, err := c.openFolder(ctx)
	if err != nil {
		return err
	}
	defer corpus.Close()
	rep, err := corpus.EvalAnswers(ctx, convs, engine, 0)
	if err != nil {
		return err
	}
	res := answersResult{answerMetrics: metrics(rep.AnswerStats), ByKind: map[string]answerMetrics{},
		Documents: corpus.Documents(), IndexSeconds: corpus.Indexing.Seconds(), P50ms: millis(rep.P50), Mode: engine.Mode()}
	for k, s := range rep.ByKind {
		res.ByKind[k] = metrics(s)
	}
	if c.Verbose {
		printTurns(g.stderr, rep.Results)
	}
	if c.JSON {
		return json.NewEncoder(g.stdout).Encode(res)
	}
	fmt.Fprintf(g.stdout, "%s (%d documents, %d conversations, %d turns, %s answers, %s)\n",
		c.Dataset, res.Documents, len(convs), res.Turns, res.Mode, emb.ID())
	fmt.Fprintf(g.stdout, "  %-14s %6s %9s %9s %10s %10s %7s\n", "turns", "n", "source@1", "source@5", "cited has", "answer has", "F1")
	row := func(name string, m answerMetrics) {
		fmt.Fprintf(g.stdout, "  %-14s %6d %9.3f %9.3f %10.3f %10.3f %7.3f\n", name, m.Turns, m.Hit1, m.Hit5, m.CitationContains, m.AnswerContains, m.F1)
	}
	row("all", res.answerMetrics)
	for _, k := range []string{qaeval.KindFirst, qaeval.KindFollowUp, qaeval.KindTopicChange} {
		if m, ok := res.ByKind[k]; ok {
			row(k, m)
		}
	}
	fmt.Fprintf(g.stdout, "  indexing %.2f s, answer p50 %.2f ms\n", res.IndexSeconds, res.P50ms)
	return nil
}

// printTurns writes every turn with its verdicts.
func printTurns(w io.Writer, results []qaeval.TurnResult) {
	for _, r := range results {
		fmt.Fprintf(w, "#%d.%d [%s] rank=%d passage=%d cited=%t has=%t f1=%.2f\n  Q: %s\n  S: %s\n  A: %s\n",
			r.Conversation, r.Turn, r.Kind, r.Rank, r.PassageRank, r.CitationContains, r.AnswerContains, r.F1, r.Question, r.Query, r.Answer)
	}
}
