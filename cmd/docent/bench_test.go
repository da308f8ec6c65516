package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestBenchJSON: docent bench --json prints one object with exactly the
// issue's keys, measured on a small corpus.
func TestBenchJSON(t *testing.T) {
	out, errs, code := docent(t, "", "bench", "--chunks", "300", "--queries", "20", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res map[string]float64
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	keys := make([]string, 0, len(res))
	for k := range res {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"chromem_p50_ms", "chunks", "ingest_chunks_per_s", "ready_seconds", "recall@10", "rss_mb", "search_p50_ms", "search_p99_ms", "vector_p50_ms"}
	if !slices.Equal(keys, want) {
		t.Fatalf("keys %v, want %v", keys, want)
	}
	if res["chunks"] < 300 || res["chunks"] > 340 {
		t.Errorf("chunks %v, want about 300", res["chunks"])
	}
	if res["recall@10"] < 0.99 {
		t.Errorf("recall@10 %v against the exact scan", res["recall@10"])
	}
	for _, k := range want {
		if res[k] <= 0 {
			t.Errorf("%s = %v", k, res[k])
		}
	}
}

// TestBenchKeepsData: with --data the corpus stays as the shared library
// of that directory (docent search finds it), and a directory in use is
// refused.
func TestBenchKeepsData(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	out, errs, code := docent(t, "", "bench", "--chunks", "100", "--queries", "5", "--fake-dim", "64", "--data", data)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"ingest", "ready", "raw chromem-go", "recall@10", "docent serve --data " + data} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "docent.db")); err != nil {
		t.Fatal(err)
	}
	_, errs, code = docent(t, "", "bench", "--chunks", "100", "--data", data)
	if code == 0 || !strings.Contains(errs, "not empty") {
		t.Errorf("a second bench into %s: exit %d, %s", data, code, errs)
	}
}
