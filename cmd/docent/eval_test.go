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

// TestEvalDocumentQA runs docent eval on a generated folder of documents
// with a questions file: each question's answer is in one known file and
// page, so hit@1 and page hit@1 are 1; a question whose label names a
// file that does not answer it counts as a miss.
func TestEvalDocumentQA(t *testing.T) {
	dir := writeTree(t, map[string][]byte{
		"volcanoes.md":     []byte("# Volcanoes\n\nBasalt lava flows from shield volcanoes in Hawaii.\n"),
		"guides/rivers.md": []byte("# Rivers\n\nThe Amazon river carries more water than any other river.\n"),
		"glaciers.txt":     []byte("Glaciers carve U-shaped valleys in Norway and leave moraines behind.\n"),
		"qa.jsonl": []byte(strings.Join([]string{
			`{"question":"Where do shield volcanoes erupt basalt lava?","source_files":["volcanoes.md"],"source_pages":[{"file":"volcanoes.md","page":0}],"extra":1}`,
			`{"question":"Which river carries the most water?","source_files":["guides/rivers.md"]}`,
			``,
			`{"question":"What do glaciers carve in Norway?","source_files":["rivers.md"]}`,
		}, "\n")),
	})
	out, stderr, code := docent(t, "", "eval", dir, "--json", "--mode", "keyword")
	if code != 0 {
		t.Fatalf("eval: %d %s", code, stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]float64{"hit@1": 2.0 / 3, "hit@5": 2.0 / 3, "mrr@5": 2.0 / 3, "questions": 3,
		"page_hit@1": 1, "page_hit@5": 1, "documents": 3} {
		if v, ok := got[k].(float64); !ok || math.Abs(v-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
	if _, ok := got["p50_ms"]; !ok {
		t.Error("no p50_ms")
	}

	_, stderr, code = docent(t, "", "eval", writeTree(t, map[string][]byte{"a.txt": []byte("text")}), "--json")
	if code == 0 || !strings.Contains(stderr, "qa.jsonl") {
		t.Errorf("a folder without questions: code %d, stderr %q", code, stderr)
	}
}
