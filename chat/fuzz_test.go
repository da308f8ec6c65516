package chat

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzExtractiveAnswer feeds document text, as any uploaded file may hold
// it, through the sentence cleaner and the extractive answerer: nothing
// panics, and an answer cites only the passages it was given.
func FuzzExtractiveAnswer(f *testing.F) {
	for _, p := range pdfPassages {
		f.Add(p.Text, "How many firearm background checks were there in Kentucky?")
	}
	f.Add("12 The above-entitled matter came on for oral\n\n13 argument\n\n14 at 1:01 p.m.", "When was it argued?")
	f.Add("3.1.2. Cybersecurity ..... 18\n(a) Comments\n- item\n① x\n(iv) y\n1.Research", "What about NTSB?")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, text, question string) {
		passages := []Passage{{DocumentID: 1, Filename: "a.pdf", Page: 1, Text: text},
			{DocumentID: 1, Filename: "a.pdf", Page: 2, ChunkIndex: 1, Text: text + "\n" + question}}
		for _, b := range blocks(text, nil) {
			if strings.TrimSpace(b.text) == "" {
				t.Fatalf("empty block from %q", text)
			}
		}
		q := strings.TrimSpace(question)
		if q == "" {
			q = "?"
		}
		got := extractiveAnswer(q, q+" extra terms", passages)
		if utf8.ValidString(text) && utf8.ValidString(question) && !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 answer %q", got)
		}
		for _, n := range Citations(got) {
			if n < 1 || n > len(passages) {
				t.Fatalf("answer %q cites [%d]", got, n)
			}
		}
	})
}
