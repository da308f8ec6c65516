package retrieval

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCalibrateFloor prints the data behind DefaultFloorCoverage and
// DefaultFloorCosine (run with DOCENT_CALIBRATE=1). The rule: keep at
// least 95% of the answers above the floor (a wrong "not in your
// documents" costs more than a weak source), and among such settings flag
// the most non-answers. Answers: the relevant
// chunks that hybrid search puts in the top 10 for the SciFact *train*
// queries. Non-answers: the best hit for a question whose answer is not
// in the library, simulated by asking the SciFact train questions of the
// Cranfield corpus (aerodynamics) and the Cranfield questions of the
// SciFact corpus (no Cranfield judgements are used).
func TestCalibrateFloor(t *testing.T) {
	if os.Getenv("DOCENT_CALIBRATE") == "" {
		t.Skip("set DOCENT_CALIBRATE=1 to print the relevance floor calibration")
	}
	sci, err := LoadBEIR(filepath.Join(sharedEval, "scifact"), "train")
	if err != nil {
		t.Skip(err)
	}
	cran, err := LoadBEIR(filepath.Join(sharedEval, "cranfield"), "test")
	if err != nil {
		t.Skip(err)
	}
	sciIx, _ := indexDataset(t, sci, Options{})
	cranIx, _ := indexDataset(t, cran, Options{})
	ctx := context.Background()
	var pos, neg [][2]float64
	for _, qid := range sci.judgedQueries() {
		q := Query{Text: sci.Queries[qid], TopK: 10}
		for _, h := range search(t, sciIx, q) {
			if sci.Qrels[qid][sci.byDoc[h.DocumentID]] > 0 {
				pos = append(pos, [2]float64{h.Coverage, h.Cosine})
			}
		}
		if hits := search(t, cranIx, q); len(hits) > 0 {
			neg = append(neg, [2]float64{hits[0].Coverage, hits[0].Cosine})
		}
	}
	for _, text := range cran.Queries {
		if hits, _ := sciIx.Search(ctx, Query{Text: text, TopK: 1}); len(hits) > 0 {
			neg = append(neg, [2]float64{hits[0].Coverage, hits[0].Cosine})
		}
	}
	t.Logf("answers: %d, non-answers: %d", len(pos), len(neg))
	for i, name := range []string{"coverage", "cosine"} {
		t.Logf("%s  answers p5/p25/p50: %s   non-answers p50/p75/p95: %s", name,
			quantiles(pos, i, 0.05, 0.25, 0.5), quantiles(neg, i, 0.5, 0.75, 0.95))
	}
	var lines []string
	for _, fc := range []float64{0.25, 0.275, 0.3, 0.325, 0.35, 0.4, 0.45, 0.5} {
		for _, fcos := range []float64{0.2, 0.25, 0.3, 0.35, 0.4, 1} {
			lines = append(lines, fmt.Sprintf("coverage %.3f cosine %.2f: answers kept %.3f, non-answers flagged %.3f",
				fc, fcos, 1-rate(pos, fc, fcos), rate(neg, fc, fcos)))
		}
	}
	t.Log("\n" + strings.Join(lines, "\n"))
	kept, flagged := 1-rate(pos, DefaultFloorCoverage, DefaultFloorCosine), rate(neg, DefaultFloorCoverage, DefaultFloorCosine)
	t.Logf("defaults: answers kept %.3f, non-answers flagged %.3f", kept, flagged)
	if kept < 0.95 || flagged < 0.8 {
		t.Errorf("defaults keep %.3f of answers and flag %.3f of non-answers", kept, flagged)
	}
}

// rate returns the share of (coverage, cosine) pairs below the floor.
func rate(xs [][2]float64, minCoverage, minCosine float64) float64 {
	n := 0
	for _, x := range xs {
		if belowFloor(candidate{coverage: x[0], cos: x[1], hasCos: true}, minCoverage, minCosine) {
			n++
		}
	}
	return float64(n) / float64(len(xs))
}

// quantiles formats quantiles of column i.
func quantiles(xs [][2]float64, i int, qs ...float64) string {
	col := make([]float64, len(xs))
	for j, x := range xs {
		col[j] = x[i]
	}
	slices.Sort(col)
	var out []string
	for _, q := range qs {
		out = append(out, fmt.Sprintf("%.3f", col[int(q*float64(len(col)-1))]))
	}
	return strings.Join(out, "/")
}

// TestFloorInATinyLibrary: in a library of a few passages, the words of a
// question it happens not to contain must not push the passage that
// answers it below the floor, while a question about something absent
// stays below.
func TestFloorInATinyLibrary(t *testing.T) {
	ix := NewIndex(nil, Options{})
	texts := []string{
		"Boiling water\nBoiling water makes it safe to drink. At altitudes above 2000 metres, boil water for three minutes.",
		"Boiling water › Storage\nKeep boiled water in clean, covered containers.",
		"Field guide to clean water. Filter cloudy water through a clean cloth before treating it.",
	}
	var chunks []Chunk
	for i, text := range texts {
		chunks = append(chunks, Chunk{ID: uint64(i + 1), DocumentID: uint64(i + 1), Text: text})
	}
	if err := ix.Add(context.Background(), chunks); err != nil {
		t.Fatal(err)
	}
	for q, wantFloor := range map[string]bool{
		"How long should water boil at high altitude?": false,
		"What is the capital of Mongolia?":             true,
	} {
		hits, err := ix.Search(context.Background(), Query{Text: q, TopK: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) > 0 && hits[0].BelowFloor != wantFloor || len(hits) == 0 && !wantFloor {
			t.Errorf("%q: hits %+v, want below floor %v", q, hits, wantFloor)
		}
	}
}
