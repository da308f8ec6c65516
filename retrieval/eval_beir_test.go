package retrieval

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sharedEval is where the team keeps the public evaluation data.
const sharedEval = "../../shared/eval"

// indexDataset indexes ds into a new Index with the built-in embedder and
// returns it with the time it took.
func indexDataset(t testing.TB, ds *Dataset, opt Options) (*Index, time.Duration) {
	t.Helper()
	ix := NewIndex(NewBuiltin(0), opt)
	chunks := ds.Chunks()
	t0 := time.Now()
	const batch = 256
	for i := 0; i < len(chunks); i += batch {
		if err := ix.Add(context.Background(), chunks[i:min(i+batch, len(chunks))]); err != nil {
			t.Fatal(err)
		}
	}
	return ix, time.Since(t0)
}

// TestEvalBEIR indexes the shared BEIR datasets in memory and reports
// every mode. It runs when DOCENT_EVAL is set (to "1" for all datasets, or
// a comma-separated list of names); DOCENT_EVAL_SPLIT selects another
// split (e.g. "train"). On the test split it fails on a regression below
// the measured numbers of EVAL.md (minus 0.005) or when hybrid falls
// clearly below keyword, and it logs the project goals still unmet.
func TestEvalBEIR(t *testing.T) {
	which := os.Getenv("DOCENT_EVAL")
	if which == "" {
		t.Skip("set DOCENT_EVAL=1 (or scifact,cranfield) to run the BEIR evaluation")
	}
	split := os.Getenv("DOCENT_EVAL_SPLIT")
	if split == "" {
		split = "test"
	}
	goals := map[string]map[Mode]float64{
		"scifact":   {ModeKeyword: 0.69, ModeHybrid: 0.71},
		"cranfield": {ModeHybrid: 0.40},
	}
	floors := map[string]map[Mode]float64{ // EVAL.md − 0.005
		"scifact":   {ModeKeyword: 0.688, ModeVector: 0.452, ModeHybrid: 0.686},
		"cranfield": {ModeKeyword: 0.371, ModeVector: 0.258, ModeHybrid: 0.395},
	}
	for _, name := range []string{"scifact", "cranfield"} {
		if which != "1" && !strings.Contains(which, name) {
			continue
		}
		dir := filepath.Join(sharedEval, name)
		if _, err := os.Stat(dir); err != nil {
			t.Skipf("no %s: %v", dir, err)
		}
		t.Run(name, func(t *testing.T) {
			t0 := time.Now()
			ds, err := LoadBEIR(dir, split)
			if err != nil {
				t.Fatal(err)
			}
			ix, took := indexDataset(t, ds, Options{})
			t.Logf("%s: %d docs, %d chunks indexed in %.2fs", name, len(ds.Docs), ix.Len(), took.Seconds())
			got := map[Mode]float64{}
			for _, mode := range []Mode{ModeKeyword, ModeVector, ModeHybrid} {
				rep, err := Evaluate(context.Background(), ix, ds, mode, 100)
				if err != nil {
					t.Fatal(err)
				}
				t.Log(rep)
				got[mode] = rep.NDCG10
			}
			t.Logf("%s end to end %.1fs", name, time.Since(t0).Seconds())
			if split != "test" {
				return
			}
			for mode, floor := range floors[name] {
				if got[mode] < floor {
					t.Errorf("%s %s nDCG@10 = %.4f, regression below %.3f", name, mode, got[mode], floor)
				}
			}
			for mode, goal := range goals[name] {
				if got[mode] < goal {
					t.Logf("goal not met: %s %s nDCG@10 = %.4f, goal %.2f", name, mode, got[mode], goal)
				}
			}
			// On SciFact the built-in vector half adds +0.004 ± 0.003 (one
			// standard error, train split): on the 300 test queries the sign
			// of the difference is noise (EVAL.md). A clear loss is a
			// regression; a small one is an unmet goal.
			switch d := got[ModeHybrid] - got[ModeKeyword]; {
			case d < -0.005:
				t.Errorf("%s: hybrid %.4f is below keyword %.4f", name, got[ModeHybrid], got[ModeKeyword])
			case d <= 0:
				t.Logf("goal not met: %s hybrid %.4f does not beat keyword %.4f", name, got[ModeHybrid], got[ModeKeyword])
			}
		})
	}
}
