package qaeval

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"docent/retrieval"
	"docent/store"
)

// TestShowRankings prints, for each question of a document folder
// (DOCENT_DEBUG_QA=DIR), its labels and the top 5 passages' files, pages,
// chunks and scores; DOCENT_DEBUG_DOCW and DOCENT_DEBUG_TITLEW set the
// document and identity weights. A tool for reading misses.
func TestShowRankings(t *testing.T) {
	dir := os.Getenv("DOCENT_DEBUG_QA")
	if dir == "" {
		t.Skip()
	}
	ctx := context.Background()
	qs, err := ReadQuestions(filepath.Join(dir, "qa.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var opt retrieval.Options
	fmt.Sscan(os.Getenv("DOCENT_DEBUG_DOCW"), &opt.DocWeight)
	fmt.Sscan(os.Getenv("DOCENT_DEBUG_TITLEW"), &opt.TitleWeight)
	c, err := Open(ctx, dir, Options{Index: opt})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, q := range qs {
		res, _ := c.Library.Search(ctx, store.Viewer{}, retrieval.SearchRequest{Text: q.Question, TopK: 5})
		s := ""
		for _, r := range res {
			s += fmt.Sprintf(" [%s p%d #%d %.2f]", c.File(r.DocumentID), r.Page, r.ChunkIndex, r.Score)
		}
		fmt.Printf("Q %s\n  gold %v\n  got%s\n", q.Question, q.SourcePages, s)
	}
}

// TestShowFlips prints the questions of a folder whose page hit@5 differs
// between no diversity penalty and the default one.
func TestShowFlips(t *testing.T) {
	dir := os.Getenv("DOCENT_DEBUG_FLIPS")
	if dir == "" {
		t.Skip()
	}
	ctx := context.Background()
	qs, _ := ReadQuestions(filepath.Join(dir, "qa.jsonl"))
	c, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	run := func(opt retrieval.Options) [][]retrieval.Result {
		c.Reindex(ctx, opt)
		var out [][]retrieval.Result
		for _, q := range qs {
			res, _ := c.Library.Search(ctx, viewerAll, retrieval.SearchRequest{Text: q.Question, TopK: 5})
			out = append(out, res)
		}
		return out
	}
	a, b := run(retrieval.Options{DocPenalty: -1}), run(retrieval.Options{})
	show := func(rs []retrieval.Result) string {
		s := ""
		for _, r := range rs {
			s += fmt.Sprintf(" [%.12s p%d-%d %.2f]", c.File(r.DocumentID), r.Page, r.EndPage, r.Score)
		}
		return s
	}
	for i, q := range qs {
		if c.firstHit(q, a[i], true) != c.firstHit(q, b[i], true) {
			fmt.Printf("Q %s\n  gold %v\n  nopen %s\n  pen   %s\n", q.Question, q.SourcePages, show(a[i]), show(b[i]))
		}
	}
}
