package retrieval

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"
)

// NDCG returns nDCG@k of a ranking as trec_eval (and BEIR, through
// pytrec_eval) computes it: gain = the judged grade, discount
// log2(rank+1), the ideal ranking made of all judged relevant documents
// by grade. It is 0 when nothing is judged relevant.
func NDCG(ranked []string, judged map[string]int, k int) float64 {
	var dcg float64
	for i, id := range ranked[:min(k, len(ranked))] {
		if g := judged[id]; g > 0 {
			dcg += float64(g) / math.Log2(float64(i+2))
		}
	}
	var grades []int
	for _, g := range judged {
		if g > 0 {
			grades = append(grades, g)
		}
	}
	slices.SortFunc(grades, func(a, b int) int { return b - a })
	var ideal float64
	for i, g := range grades[:min(k, len(grades))] {
		ideal += float64(g) / math.Log2(float64(i+2))
	}
	if ideal == 0 {
		return 0
	}
	return dcg / ideal
}

// Recall returns Recall@k: the share of the relevant documents (grade > 0)
// found in the first k results.
func Recall(ranked []string, judged map[string]int, k int) float64 {
	relevant, found := 0, 0
	for _, g := range judged {
		if g > 0 {
			relevant++
		}
	}
	for _, id := range ranked[:min(k, len(ranked))] {
		if judged[id] > 0 {
			found++
		}
	}
	if relevant == 0 {
		return 0
	}
	return float64(found) / float64(relevant)
}

// MRR returns the reciprocal rank of the first relevant document within
// the first k results (MRR@k for one query), 0 if there is none.
func MRR(ranked []string, judged map[string]int, k int) float64 {
	for i, id := range ranked[:min(k, len(ranked))] {
		if judged[id] > 0 {
			return 1 / float64(i+1)
		}
	}
	return 0
}

// Report is the outcome of an evaluation run; metrics are means over the
// queries.
type Report struct {
	Dataset   string        `json:"dataset"`
	Mode      Mode          `json:"mode"`
	Queries   int           `json:"queries"`
	NDCG10    float64       `json:"ndcg@10"`
	Recall10  float64       `json:"recall@10"`
	Recall100 float64       `json:"recall@100"`
	MRR10     float64       `json:"mrr@10"`
	P50       time.Duration `json:"p50_ns"`
	P95       time.Duration `json:"p95_ns"`
	// PerQuery holds each judged query's nDCG@10, in query id order (for
	// paired comparisons of two runs).
	PerQuery []float64 `json:"-"`
}

// String formats the report as one line.
func (r Report) String() string {
	return fmt.Sprintf("%s %s: queries=%d nDCG@10=%.4f R@10=%.4f R@100=%.4f MRR@10=%.4f p50=%s p95=%s",
		r.Dataset, r.Mode, r.Queries, r.NDCG10, r.Recall10, r.Recall100, r.MRR10, r.P50, r.P95)
}

// Evaluate runs every judged query of ds against ix (which must hold the
// dataset's documents under the shared library, owner 0) and returns the
// mean metrics and the search latency percentiles. Results are mapped
// from chunks to corpus ids (a document counts once, at its best chunk)
// and, following BEIR, a result whose id equals the query id is dropped.
func Evaluate(ctx context.Context, ix *Index, ds *Dataset, mode Mode, topK int) (Report, error) {
	rep := Report{Dataset: ds.Name, Mode: mode}
	if topK <= 0 {
		topK = 100
	}
	var lat []time.Duration
	for _, qid := range ds.judgedQueries() {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		t0 := time.Now()
		hits, err := ix.Search(ctx, Query{Text: ds.Queries[qid], TopK: topK + 10, Mode: mode})
		if err != nil {
			return rep, fmt.Errorf("query %s: %w", qid, err)
		}
		lat = append(lat, time.Since(t0))
		ranked := ds.rankedIDs(hits, qid, topK)
		judged := ds.Qrels[qid]
		nd := NDCG(ranked, judged, 10)
		rep.PerQuery = append(rep.PerQuery, nd)
		rep.NDCG10 += nd
		rep.Recall10 += Recall(ranked, judged, 10)
		rep.Recall100 += Recall(ranked, judged, 100)
		rep.MRR10 += MRR(ranked, judged, 10)
		rep.Queries++
	}
	if rep.Queries == 0 {
		return rep, fmt.Errorf("evaluate %s: no judged query has text", ds.Name)
	}
	n := float64(rep.Queries)
	rep.NDCG10, rep.Recall10, rep.Recall100, rep.MRR10 = rep.NDCG10/n, rep.Recall10/n, rep.Recall100/n, rep.MRR10/n
	rep.P50, rep.P95 = percentile(lat, 0.50), percentile(lat, 0.95)
	return rep, nil
}

// percentile returns the q-quantile of ds (nearest rank).
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}
