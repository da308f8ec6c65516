package qaeval

// Tuning harness (DOCENT_EXP=1 go test ./internal/qaeval -run TestExp -v):
// every shared evaluation set measured at once through the production
// Index, for a list of option variants, with paired standard errors
// against the first variant. BEIR sets are analysed and embedded once and
// re-indexed per variant; document folders are ingested once through the
// real pipeline and re-loaded from their store per variant.

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"docent/retrieval"
)

const sharedEval = "../../../shared/eval"

// expSet is one evaluation set: it scores a variant as per-question values
// (nDCG@10 for BEIR, reciprocal rank within 5 for document folders).
type expSet struct {
	name string
	run  func(opt retrieval.Options, mode retrieval.Mode) ([]float64, string)
}

// beirSet indexes a BEIR folder's pre-analysed chunks for each variant.
func beirSet(t *testing.T, dir, split string) expSet {
	ds, err := retrieval.LoadBEIR(filepath.Join(sharedEval, dir), split)
	if err != nil {
		t.Skip(err)
	}
	chunks := ds.Chunks()
	for i := range chunks {
		if i == 0 || chunks[i-1].DocumentID != chunks[i].DocumentID {
			rec := ds.Docs[chunks[i].DocumentID-1]
			name := rec.Title
			if name == "" {
				name = rec.ID
			}
			chunks[i].Title = retrieval.Identity(rec.Title, name)
		}
	}
	emb := retrieval.NewBuiltin(0)
	an := retrieval.NewAnalyzer()
	texts := make([]string, len(chunks))
	for i := range chunks {
		chunks[i].Terms = an.Analyze(chunks[i].Text)
		texts[i] = chunks[i].Text
	}
	vecs, err := emb.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range chunks {
		chunks[i].Vector = vecs[i]
	}
	return expSet{name: dir + "/" + split, run: func(opt retrieval.Options, mode retrieval.Mode) ([]float64, string) {
		ix := retrieval.NewIndex(emb, opt)
		if err := ix.Add(context.Background(), chunks); err != nil {
			t.Fatal(err)
		}
		rep, err := retrieval.Evaluate(context.Background(), ix, ds, mode, 100)
		if err != nil {
			t.Fatal(err)
		}
		return rep.PerQuery, fmt.Sprintf("%.4f", rep.NDCG10)
	}}
}

// folderSet ingests a document folder once.
func folderSet(t *testing.T, dir string) expSet {
	ctx := context.Background()
	full := dir
	if !filepath.IsAbs(dir) {
		full = filepath.Join(sharedEval, dir)
	}
	qs, err := ReadQuestions(filepath.Join(full, "qa.jsonl"))
	if err != nil {
		t.Skip(err)
	}
	c, err := Open(ctx, full, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return expSet{name: filepath.Base(dir), run: func(opt retrieval.Options, mode retrieval.Mode) ([]float64, string) {
		if err := c.Reindex(ctx, opt); err != nil {
			t.Fatal(err)
		}
		rep, err := c.EvalRetrieval(ctx, qs, Search{Mode: mode})
		if err != nil {
			t.Fatal(err)
		}
		rr := make([]float64, len(rep.Ranks))
		for i, r := range rep.Ranks {
			if r > 0 {
				rr[i] = 1 / float64(r)
			}
		}
		return rr, fmt.Sprintf("h1 %.2f h5 %.2f p1 %.2f p5 %.2f", rep.Hit1, rep.Hit5, rep.PageHit1, rep.PageHit5)
	}}
}

// expGrid adds the whole decision grid to the variants (DOCENT_EXP=grid).
var expGrid = os.Getenv("DOCENT_EXP") == "grid"

type expVariant struct {
	name string
	opt  retrieval.Options
	mode retrieval.Mode
}

func TestExp(t *testing.T) {
	if os.Getenv("DOCENT_EXP") == "" {
		t.Skip("DOCENT_EXP=1 runs the tuning harness")
	}
	sets := []expSet{
		beirSet(t, "scifact", "train"), beirSet(t, "scifact", "test"), beirSet(t, "cranfield", "test"), beirSet(t, "cisi", "test"),
		folderSet(t, "pdfqa-contoso"),
	}
	if extra := os.Getenv("DOCENT_EXP_FOLDERS"); extra != "" {
		for _, dir := range strings.Split(extra, ",") {
			sets = append(sets, folderSet(t, dir))
		}
	}
	variants := expVariants()
	if f := os.Getenv("DOCENT_EXP_ONLY"); f != "" {
		var keep []expVariant
		for i, v := range variants {
			if i == 0 || strings.Contains(v.name, f) {
				keep = append(keep, v)
			}
		}
		variants = keep
	}
	base := make([][]float64, len(sets))
	delta := make([][]float64, len(variants)) // variant → set → mean Δ against the reference
	for vi, v := range variants {
		delta[vi] = make([]float64, len(sets))
		var row []string
		var meanDiff float64
		for si, s := range sets {
			per, summary := s.run(v.opt, v.mode)
			if vi == 0 {
				base[si] = per
				row = append(row, fmt.Sprintf("%s %s", s.name, summary))
				continue
			}
			d, se := paired(per, base[si])
			delta[vi][si] = d
			meanDiff += d / float64(len(sets))
			row = append(row, fmt.Sprintf("%s %s (%+.4f±%.4f)", s.name, summary, d, se))
		}
		t.Logf("%-28s mean Δ %+.4f | %s", v.name, meanDiff, strings.Join(row, " | "))
	}
	// Leave one set out: the variant with the best mean Δ on the other
	// sets, and what it does on the one left out.
	for si, s := range sets {
		best, bestMean := 0, math.Inf(-1)
		for vi := range variants {
			var m float64
			for sj := range sets {
				if sj != si {
					m += delta[vi][sj]
				}
			}
			if m > bestMean {
				best, bestMean = vi, m
			}
		}
		t.Logf("leave out %-16s → fit picks %-36q Δ on %s %+.4f", s.name, variants[best].name, s.name, delta[best][si])
	}
}

// paired returns the mean difference of a and b and its standard error.
func paired(a, b []float64) (mean, se float64) {
	n := float64(len(a))
	for i := range a {
		mean += (a[i] - b[i]) / n
	}
	var ss float64
	for i := range a {
		d := a[i] - b[i] - mean
		ss += d * d
	}
	return mean, math.Sqrt(ss/(n-1)) / math.Sqrt(n)
}
