package qaeval

import (
	"context"
	"fmt"
	"slices"
	"time"

	"docent/retrieval"
	"docent/store"
)

// Search sets how questions are asked: the mode and how many passages are
// judged (5 when zero: hit@5 and MRR@5 need five).
type Search struct {
	Mode retrieval.Mode
	TopK int
}

// RetrievalReport is the outcome of asking every question once. Hits are
// shares of the questions: Hit1 and Hit5 count a question when one of its
// first 1 or 5 passages comes from a source file; MRR5 is the mean
// reciprocal rank of the first such passage within 5. Page hits count a
// passage only when it is on a labelled page of that file, over the
// questions that have page labels (Paged).
type RetrievalReport struct {
	Questions          int
	Hit1, Hit5, MRR5   float64
	Paged              int
	PageHit1, PageHit5 float64
	P50                time.Duration
	// Ranks holds, per question, the 1-based rank of the first passage from
	// a source file (0 when none is in the results).
	Ranks []int
}

// EvalRetrieval asks every question of qs and judges the passages
// returned.
func (c *Corpus) EvalRetrieval(ctx context.Context, qs []Question, s Search) (RetrievalReport, error) {
	if s.TopK <= 0 {
		s.TopK = 5
	}
	var rep RetrievalReport
	lat := make([]time.Duration, 0, len(qs))
	for _, q := range qs {
		t0 := time.Now()
		res, err := c.Library.Search(ctx, viewerAll, retrieval.SearchRequest{Text: q.Question, TopK: s.TopK, Mode: s.Mode})
		if err != nil {
			return rep, fmt.Errorf("question %q: %w", q.Question, err)
		}
		lat = append(lat, time.Since(t0))
		rank := c.firstHit(q, res, false)
		rep.Ranks = append(rep.Ranks, rank)
		rep.Questions++
		if rank == 1 {
			rep.Hit1++
		}
		if rank >= 1 && rank <= 5 {
			rep.Hit5++
			rep.MRR5 += 1 / float64(rank)
		}
		if len(q.SourcePages) > 0 {
			rep.Paged++
			if pr := c.firstHit(q, res, true); pr >= 1 && pr <= 5 {
				rep.PageHit5++
				if pr == 1 {
					rep.PageHit1++
				}
			}
		}
	}
	if rep.Questions == 0 {
		return rep, fmt.Errorf("no questions")
	}
	n := float64(rep.Questions)
	rep.Hit1, rep.Hit5, rep.MRR5 = rep.Hit1/n, rep.Hit5/n, rep.MRR5/n
	if rep.Paged > 0 {
		rep.PageHit1, rep.PageHit5 = rep.PageHit1/float64(rep.Paged), rep.PageHit5/float64(rep.Paged)
	}
	rep.P50 = median(lat)
	return rep, nil
}

// viewerAll reads the shared library, where a Corpus puts its documents.
var viewerAll = store.Viewer{UserID: store.Shared}

// firstHit returns the 1-based rank of the first result from one of q's
// source files (with pages, on one of its labelled pages), 0 if none.
func (c *Corpus) firstHit(q Question, res []retrieval.Result, pages bool) int {
	for i, r := range res {
		file := c.files[r.DocumentID]
		if pages {
			for _, p := range q.SourcePages {
				if sameFile(p.File, file) && r.Page <= p.Page && p.Page <= max(r.Page, r.EndPage) {
					return i + 1
				}
			}
			continue
		}
		for _, f := range q.SourceFiles {
			if sameFile(f, file) {
				return i + 1
			}
		}
	}
	return 0
}

// median returns the middle duration (the upper one of an even count).
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
