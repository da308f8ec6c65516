package retrieval

import (
	"slices"
	"strings"
	"testing"
)

func TestAnalyzerTokens(t *testing.T) {
	cases := []struct {
		name, text string
		want       []string
	}{
		{"stemming", "Running runners ran quickly", []string{"run", "runner", "ran", "quick"}},
		{"stop words only", "the and of to it", nil},
		{"stop words removed", "the effect of vitamin D", []string{"effect", "vitamin", "d"}},
		{"hyphen splits", "COVID-19 vaccines", []string{"covid", "19", "vaccin"}},
		{"underscore identifier", "x86_64 builds", []string{"x86_64", "x86", "x", "86", "64", "build"}},
		{"version", "release v1.2 today", []string{"releas", "v1.2", "v1", "v", "1", "2", "today"}},
		{"letters and digits split", "IL6 and p53", []string{"il6", "il", "6", "p53", "p", "53"}},
		{"acronym plural", "MSCs and lncRNAs, not Mrs or mscs", []string{"msc", "lncrna", "mrs", "mscs"}},
		{"possessive", "The patient's blood", []string{"patient", "blood"}},
		{"trailing period", "the end.", []string{"end"}},
		{"numbers", "in 2020, 3.5% more", []string{"2020", "3.5", "3", "5"}},
		{"greek letter", "TNF-α levels", []string{"tnf", "alpha", "level"}},
		{"greek letters spelled out", "NF-κB and NF-kappaB, IL-1Β, 5 µm", []string{"nf", "kappab", "nf", "kappab", "il", "1beta", "1", "beta", "5", "mum"}},
		{"dotted identifier with greek", "IL.β2 levels", []string{"il.beta2", "il", "beta2", "beta", "2", "level"}},
		{"full-width latin", "ＧＰＵ ＦＡＳＴ", []string{"gpu", "fast"}},
		{"chinese bigrams", "机器学习", []string{"机器", "器学", "学习"}},
		{"lone han character", "猫", []string{"猫"}},
		{"chinese punctuation splits runs", "机器，学习。猫", []string{"机器", "学习", "猫"}},
		{"japanese kana and kanji", "東京に行きます", []string{"東京", "京に", "に行", "行き", "きま", "ます"}},
		{"hangul", "한국어 검색", []string{"한국", "국어", "검색"}},
		{"mixed scripts", "GPU加速的deep learning模型", []string{"gpu", "加速", "速的", "deep", "learn", "模型"}},
		{"accented latin kept whole", "Café naïve", []string{"café", "naïve"}},
		{"cyrillic", "Поиск документов", []string{"поиск", "документов"}},
		{"overlong token skipped", strings.Repeat("a", maxTokenBytes+1) + " ok", []string{"ok"}},
		{"double hyphen splits", "well--known", []string{"well", "known"}},
	}
	a := NewAnalyzer()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := a.Tokens(tc.text)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Tokens(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestAnalyzeCounts(t *testing.T) {
	terms := Analyze("Cells and cell: the cell divides. 细胞细胞")
	want := map[string]int{"cell": 3, "divid": 1, "细胞": 2, "胞细": 1}
	got := terms.Map()
	if len(got) != len(want) {
		t.Fatalf("Analyze = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("tf(%q) = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	if terms.Tokens() != 7 || terms.Len() != 4 {
		t.Errorf("Tokens() = %d, Len() = %d; want 7, 4", terms.Tokens(), terms.Len())
	}
}

func TestAnalyzerCacheBounded(t *testing.T) {
	a := NewAnalyzer()
	for i := range maxStemCache + 10 {
		a.Analyze("w" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676%26)) + string(rune('a'+i/17576%26)))
	}
	a.mu.RLock()
	n := len(a.terms)
	a.mu.RUnlock()
	if n > maxStemCache {
		t.Errorf("cache holds %d entries, bound is %d", n, maxStemCache)
	}
}
