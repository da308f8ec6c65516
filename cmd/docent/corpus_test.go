package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// corpusDir is the sample library at the top of the repository.
var corpusDir = filepath.Join("..", "..", "testdata", "corpus")

// corpusQuestion is a row of testdata/README.md's table of questions.
type corpusQuestion struct{ question, file, answer string }

// corpusQuestions reads the table under "Questions the corpus answers" in
// testdata/README.md, so the documented questions are the tested ones.
func corpusQuestions(t *testing.T) []corpusQuestion {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(raw), "## Questions the corpus answers")
	if !ok {
		t.Fatal("testdata/README.md has no section \"Questions the corpus answers\"")
	}
	var out []corpusQuestion
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if len(cells) != 3 || strings.TrimSpace(cells[0]) == "question" || strings.HasPrefix(strings.TrimSpace(cells[0]), "---") {
			continue
		}
		out = append(out, corpusQuestion{strings.TrimSpace(cells[0]), strings.TrimSpace(cells[1]), strings.TrimSpace(cells[2])})
	}
	if len(out) < 5 {
		t.Fatalf("only %d questions in testdata/README.md", len(out))
	}
	return out
}

// The sample corpus indexes completely, one file per format, and each
// documented question is answered from its file with the documented words.
func TestSampleCorpusAnswersItsQuestions(t *testing.T) {
	data := t.TempDir()
	out, stderr, code := docent(t, "", "ingest", corpusDir, "--data", data, "-q")
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	want := "added " + strconv.Itoa(len(entries)) + ", updated 0, unchanged 0, failed 0, skipped 0"
	if code != 0 || !strings.HasPrefix(out, want) {
		t.Fatalf("ingest of the sample corpus: exit %d\n%s%s\nwant %q", code, out, stderr, want)
	}
	for _, q := range corpusQuestions(t) {
		out, stderr, code := docent(t, "", "ask", q.question, "--data", data, "--json")
		var a answer
		if code != 0 || json.Unmarshal([]byte(out), &a) != nil {
			t.Errorf("%s: exit %d %q %q", q.question, code, out, stderr)
			continue
		}
		var files []string
		cited := false
		for _, s := range a.Sources {
			files = append(files, s.Filename)
			cited = cited || s.Filename == q.file
		}
		if !cited || !strings.Contains(a.Answer, q.answer) {
			t.Errorf("%s\n  answer %q\n  sources %v\n  want %q from %s", q.question, a.Answer, files, q.answer, q.file)
		}
	}
}
