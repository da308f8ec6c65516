package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// docent eval --conversations on a small folder: every turn's answer sits
// in one known file; the second turn of the first conversation changes
// topic and the second conversation has a follow-up that needs its first
// turn. One gold answer is wrong on purpose (a miss for the answer text,
// not for the source).
func TestEvalAnswers(t *testing.T) {
	dir := writeTree(t, map[string][]byte{
		"travel.md":   []byte("# Travel policy\n\n## Hotels\n\nIn Geneva the hotel limit is 210 euros per night.\n\n## Meals\n\nDinner is reimbursed up to 35 euros with a receipt.\n"),
		"football.md": []byte("# World Cup history\n\nWest Germany won the 1954 football World Cup final, beating Hungary 3–2 in Bern.\n"),
		"water.md":    []byte("# Drinking water\n\nAt altitudes above 2000 metres, boil water for three minutes. At sea level, boiling water for one minute makes it safe.\n"),
		"SOURCE.md":   []byte("# Where these files come from\n\nWritten for the test of docent eval.\n"),
	})
	convs := filepath.Join(t.TempDir(), "conversations.jsonl")
	writeText(t, convs, strings.Join([]string{
		`{"id": 1, "turns": [{"question": "What is the hotel limit in Geneva?", "source_file": "travel.md", "answer": "210 euros", "kind": "x"},` +
			` {"question": "Who won the 1954 football world cup final?", "source_file": "football.md", "answer": "West Germany"}]}`,
		``,
		`{"turns": [{"question": "How long should water boil at high altitude?", "source_file": "water.md", "answer": "three minutes"},` +
			` {"question": "And at sea level?", "source_file": "water.md", "answer": "ninety seconds"}]}`,
	}, "\n"))
	out, stderr, code := docent(t, "", "eval", dir, "--conversations", convs, "--exclude", "SOURCE.md", "--json")
	if code != 0 {
		t.Fatalf("eval: %d %s", code, stderr)
	}
	var got struct {
		Turns     float64                       `json:"turns"`
		Hit1      float64                       `json:"source_hit@1"`
		Hit5      float64                       `json:"source_hit@5"`
		Cited     float64                       `json:"citation_contains_answer"`
		Contains  float64                       `json:"answer_contains_answer"`
		F1        float64                       `json:"answer_f1"`
		Documents float64                       `json:"documents"`
		ByKind    map[string]map[string]float64 `json:"by_kind"`
		Mode      string                        `json:"mode"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	check := func(name string, v, want float64) {
		if math.Abs(v-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", name, v, want)
		}
	}
	check("turns", got.Turns, 4)
	check("documents", got.Documents, 3)
	check("source_hit@1", got.Hit1, 1)
	check("source_hit@5", got.Hit5, 1)
	check("citation_contains_answer", got.Cited, 0.75)
	check("answer_contains_answer", got.Contains, 0.75)
	if got.F1 <= 0 || got.F1 >= 1 {
		t.Errorf("answer_f1 = %v", got.F1)
	}
	check("topic change turns", got.ByKind["topic change"]["turns"], 1)
	check("topic change hit@1", got.ByKind["topic change"]["source_hit@1"], 1)
	check("follow-up turns", got.ByKind["follow-up"]["turns"], 1)
	check("follow-up hit@1", got.ByKind["follow-up"]["source_hit@1"], 1)
	check("first turns", got.ByKind["first"]["turns"], 2)
	if got.Mode != "extractive" {
		t.Errorf("mode %q", got.Mode)
	}

	writeText(t, convs, `{"turns": [{"question": "Where?", "source_file": "travel.md"}]}`)
	if _, stderr, code := docent(t, "", "eval", dir, "--conversations", convs); code == 0 || !strings.Contains(stderr, "line 1: turn 1") {
		t.Errorf("a turn without an answer: code %d, stderr %q", code, stderr)
	}
}

func writeText(t *testing.T, name, text string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
