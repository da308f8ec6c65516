package retrieval

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMetricsHandComputed(t *testing.T) {
	ranked := []string{"a", "b", "c", "d"}
	judged := map[string]int{"b": 2, "d": 1, "e": 1, "z": 0}
	// DCG@3 = 2/log2(3); ideal@3 = 2 + 1/log2(3) + 1/2.
	// DCG@10 = 2/log2(3) + 1/log2(5).
	cases := []struct {
		name string
		fn   func([]string, map[string]int, int) float64
		k    int
		want float64
	}{
		{"nDCG@3", NDCG, 3, 0.403030},
		{"nDCG@10", NDCG, 10, 0.540586},
		{"nDCG@1", NDCG, 1, 0},
		{"Recall@2", Recall, 2, 1.0 / 3},
		{"Recall@10", Recall, 10, 2.0 / 3},
		{"MRR@10", MRR, 10, 0.5},
		{"MRR@1", MRR, 1, 0},
	}
	for _, tc := range cases {
		if got := tc.fn(ranked, judged, tc.k); math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("%s = %.6f, want %.6f", tc.name, got, tc.want)
		}
	}
	perfect := []string{"b", "d", "e"}
	if got := NDCG(perfect, judged, 10); math.Abs(got-1) > 1e-12 {
		t.Errorf("ideal ranking nDCG = %v, want 1", got)
	}
	if got := NDCG(ranked, map[string]int{"x": 0}, 10); got != 0 {
		t.Errorf("nothing relevant: nDCG = %v, want 0", got)
	}
}

// writeTinyBEIR writes a BEIR folder whose answers are known: query q1 is
// about doc d2, q2 about d1 and d3 (graded), and query d4 shares its id
// with a document that must be dropped from its own results.
func writeTinyBEIR(t *testing.T) string {
	dir := t.TempDir()
	write := func(name, body string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("corpus.jsonl", `{"_id":"d1","title":"Turbine blades","text":"Blade cooling in gas turbines."}
{"_id":"d2","title":"Glacier melt","text":"Glaciers retreat as summers warm."}
{"_id":"d3","title":"Blade fatigue","text":"Fatigue cracks in turbine blades."}
{"_id":"d4","title":"Volcano ash","text":"Ash clouds ground aircraft."}
{"_id":5,"title":"Numeric id","text":"Some record with a numeric id."}
`)
	write("queries.jsonl", `{"_id":"q1","text":"why do glaciers retreat"}
{"_id":"q2","text":"gas turbine blade cooling"}
{"_id":"d4","text":"volcano ash aircraft"}
{"_id":"q9","text":"a query without judgements"}
`)
	write("qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\td2\t1\nq2\td1\t2\nq2\td3\t1\nq2\td4\t0\nd4\td4\t1\nd4\td1\t1\n")
	return dir
}

func TestEvaluateTinyBEIR(t *testing.T) {
	ds, err := LoadBEIR(writeTinyBEIR(t), "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Docs) != 5 || ds.Docs[4].ID != "5" || len(ds.Queries) != 4 || len(ds.Qrels) != 3 || len(ds.Qrels["q2"]) != 2 {
		t.Fatalf("loaded %d docs (last id %q), %d queries, qrels %v", len(ds.Docs), ds.Docs[4].ID, len(ds.Queries), ds.Qrels)
	}
	ix := NewIndex(nil, Options{})
	if err := ix.Add(context.Background(), ds.Chunks()); err != nil {
		t.Fatal(err)
	}
	rep, err := Evaluate(context.Background(), ix, ds, ModeKeyword, 10)
	if err != nil {
		t.Fatal(err)
	}
	// q1 and q2 are answered perfectly. d4's only retrievable relevant
	// document is itself, which is dropped, and d1 shares no term with it.
	if rep.Queries != 3 {
		t.Errorf("Queries = %d, want 3", rep.Queries)
	}
	if want := 2.0 / 3; math.Abs(rep.NDCG10-want) > 1e-9 || math.Abs(rep.MRR10-want) > 1e-9 {
		t.Errorf("nDCG@10 = %.4f, MRR@10 = %.4f; want %.4f both", rep.NDCG10, rep.MRR10, want)
	}
	if want := (1 + 1 + 0.0) / 3; math.Abs(rep.Recall10-want) > 1e-9 || math.Abs(rep.Recall100-want) > 1e-9 {
		t.Errorf("Recall = %.4f/%.4f, want %.4f", rep.Recall10, rep.Recall100, want)
	}
	if rep.P50 <= 0 || rep.P95 < rep.P50 || rep.P95 > time.Second {
		t.Errorf("latency p50 %v p95 %v", rep.P50, rep.P95)
	}
	if !strings.Contains(rep.String(), "nDCG@10=0.6667") {
		t.Errorf("String() = %q", rep.String())
	}
}

func TestLoadBEIRErrors(t *testing.T) {
	dir := writeTinyBEIR(t)
	if _, err := LoadBEIR(dir, "dev"); err == nil {
		t.Error("missing split: no error")
	}
	if err := os.WriteFile(filepath.Join(dir, "qrels", "bad.tsv"), []byte("query-id\tcorpus-id\tscore\nq1\td1\tx\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadBEIR(dir, "bad"); err == nil {
		t.Error("bad score: no error")
	}
}

func TestSplitText(t *testing.T) {
	text := strings.Repeat("word ", 2000) // 10,000 bytes
	r := splitText(text, EvalChunkChars)
	if len(r) < 3 || r[0][0] != 0 || r[len(r)-1][1] != len(text) {
		t.Fatalf("ranges %v do not cover the text", r)
	}
	for i, x := range r {
		if x[1]-x[0] > EvalChunkChars {
			t.Errorf("chunk %d is %d bytes", i, x[1]-x[0])
		}
		if i > 0 && x[0] >= r[i-1][1] {
			t.Errorf("chunk %d does not overlap the previous one", i)
		}
	}
	if got := splitText("short", EvalChunkChars); len(got) != 1 {
		t.Errorf("short text split into %v", got)
	}
}
