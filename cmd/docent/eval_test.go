package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// TestEvalOnATinyBenchmark runs docent eval on a generated BEIR folder
// whose answers are known: each judged query's one relevant document is the
// only one sharing its words, so every metric is 1 over the 2 judged
// queries; the corpus record named like a query is dropped from its
// results, and the unjudged query is not counted.
func TestEvalOnATinyBenchmark(t *testing.T) {
	dir := writeTree(t, map[string][]byte{
		"corpus.jsonl": []byte(strings.Join([]string{
			`{"_id":"d1","title":"Volcanoes","text":"Basalt lava flows from shield volcanoes in Hawaii."}`,
			`{"_id":"d2","title":"Glaciers","text":"Glaciers carve U-shaped valleys in Norway."}`,
			`{"_id":"d3","title":"Deserts","text":"Sand dunes migrate across the Sahara desert."}`,
			`{"_id":"d4","title":"Rivers","text":"The Amazon river carries more water than any other."}`,
			`{"_id":"q1","title":"","text":"a record with the query's own id is dropped: shield volcanoes basalt"}`,
		}, "\n")),
		"queries.jsonl":  []byte(`{"_id":"q1","text":"shield volcanoes basalt lava"}` + "\n" + `{"_id":"q2","text":"glaciers valleys Norway"}` + "\n" + `{"_id":"q3","text":"unjudged"}`),
		"qrels/test.tsv": []byte("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t2\n"),
	})
	out, stderr, code := docent(t, "", "eval", dir, "--json", "--mode", "keyword")
	if code != 0 {
		t.Fatalf("eval: %d %s", code, stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	keys := []string{"ndcg@10", "recall@10", "recall@100", "mrr@10", "queries", "index_seconds", "p50_ms", "p95_ms", "mode"}
	if len(got) != len(keys) {
		t.Errorf("keys %v, want exactly %v", got, keys)
	}
	for _, k := range keys {
		if _, ok := got[k]; !ok {
			t.Errorf("missing %s", k)
		}
	}
	for k, want := range map[string]float64{"ndcg@10": 1, "recall@10": 1, "recall@100": 1, "mrr@10": 1, "queries": 2} {
		if v, _ := got[k].(float64); math.Abs(v-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
	if got["mode"] != "keyword" {
		t.Errorf("mode %v", got["mode"])
	}
}
