package retrieval

import (
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzAnalyze: any question text (invalid UTF-8, control characters, mixed
// scripts) analyses without panicking into a valid Terms encoding whose
// counts agree with its terms, and every term is valid UTF-8.
func FuzzAnalyze(f *testing.F) {
	for _, s := range []string{"", "the", "IL-6 levels in MSCs", "机器学习の基礎 v1.2", "α-synuclein κB", "\xff\xfe\x00", "a\u0301\u200d", "COVID-19 2020-03-11 0x1F"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		terms := Analyze(text)
		if err := terms.validate(); err != nil {
			t.Fatalf("Analyze(%q) made an invalid encoding: %v", text, err)
		}
		sum, n := 0, 0
		for term, freq := range terms.All() {
			if term == "" || !utf8.ValidString(term) {
				t.Fatalf("Analyze(%q) made the term %q", text, term)
			}
			sum += freq
			n++
		}
		if n != terms.Len() || sum != terms.Tokens() {
			t.Fatalf("Analyze(%q): %d terms, %d tokens; header says %d, %d", text, n, sum, terms.Len(), terms.Tokens())
		}
	})
}

// FuzzTermsDecode: stored Terms come from the store file; arbitrary bytes
// are rejected with ErrBadTerms or accepted as an encoding that decodes
// consistently, and never panic the index that loads them.
func FuzzTermsDecode(f *testing.F) {
	f.Add([]byte(Analyze("alpha beta beta gamma")))
	f.Add([]byte{termsVersion, 2, 2, 0, 2, 'a', 'b', 1, 2, 1, 'c', 1})
	f.Add([]byte{oldTermsVersion, 1, 1, 0, 1, 'a', 1})
	f.Add([]byte{termsVersion, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, raw []byte) {
		var terms Terms
		err := terms.UnmarshalBinary(raw)
		if err != nil {
			if !errors.Is(err, ErrBadTerms) {
				t.Fatalf("error %v is not ErrBadTerms", err)
			}
			return
		}
		sum := 0
		for _, freq := range terms.All() {
			sum += freq
		}
		if sum != terms.Tokens() {
			t.Fatalf("accepted terms whose frequencies add up to %d, not %d", sum, terms.Tokens())
		}
		x := newBM25()
		ord := x.add(terms)
		x.remove(ord, terms)
		if x.live() != 0 {
			t.Fatalf("live %d after removing the only chunk", x.live())
		}
	})
}
