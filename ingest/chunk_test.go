package ingest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// checkChunks verifies the chunker's contract on x: offsets map back to the
// text, no chunk is empty or over size runes, consecutive chunks of a
// section overlap by at most overlap runes and move forward, no chunk
// spans two sections, every non-space byte is covered (but for a section
// holding only a heading, left out), and chunks never
// start or end inside a word (unless the word is longer than size).
func checkChunks(t *testing.T, x *Extracted, chunks []Chunk, size, overlap int) {
	t.Helper()
	covered := make([]bool, len(x.Text))
	// A section holding only a heading is left out: its heading is on the
	// path of the chunks after it.
	kept := segments(x)
	for _, s := range coverGaps(x.Text, x.Sections) {
		if !slices.ContainsFunc(kept, func(k Section) bool { return k.Start == s.Start }) {
			for j := s.Start; j < s.End; j++ {
				covered[j] = true
			}
		}
	}
	for i, c := range chunks {
		if c.Index != i {
			t.Fatalf("chunk %d has index %d", i, c.Index)
		}
		if c.Start < 0 || c.End > len(x.Text) || c.Start >= c.End {
			t.Fatalf("chunk %d: bad range [%d,%d) of %d", i, c.Start, c.End, len(x.Text))
		}
		body := x.Text[c.Start:c.End]
		if strings.TrimSpace(body) == "" || strings.TrimSpace(body) != body || c.Text != withPath(body, c.Headings) {
			t.Fatalf("chunk %d: body %q, text %q", i, body, c.Text)
		}
		if prefix := strings.Join(c.Headings, " › "); len(c.Headings) > 0 && !strings.HasPrefix(c.Text, prefix+"\n") {
			t.Fatalf("chunk %d: text %q does not start with heading path %q", i, c.Text, prefix)
		}
		if n := utf8.RuneCountInString(body); n > size {
			t.Fatalf("chunk %d: %d runes > %d", i, n, size)
		}
		if !utf8.ValidString(body) {
			t.Fatalf("chunk %d: invalid UTF-8", i)
		}
		for _, s := range x.Sections {
			if c.Start < s.Start && c.End > s.Start || c.Start < s.End && c.End > s.End {
				t.Fatalf("chunk %d [%d,%d) spans section boundary %+v", i, c.Start, c.End, s)
			}
		}
		if i > 0 {
			p := chunks[i-1]
			if c.Start <= p.Start {
				t.Fatalf("chunk %d does not move forward", i)
			}
			if c.Start < p.End {
				if n := utf8.RuneCountInString(x.Text[c.Start:p.End]); n > overlap {
					t.Fatalf("chunks %d and %d overlap by %d runes > %d", i-1, i, n, overlap)
				}
			}
		}
		for _, at := range []int{c.Start, c.End} {
			if insideWord(x.Text, at) && !longWordAt(x.Text, at, size) && !sectionEdge(x, at) {
				t.Fatalf("chunk %d [%d,%d) cuts a word at %d: %q", i, c.Start, c.End, at, body)
			}
		}
		for j := c.Start; j < c.End; j++ {
			covered[j] = true
		}
	}
	for i := 0; i < len(x.Text); i++ {
		if !covered[i] && !unicode.IsSpace(rune(x.Text[i])) && x.Text[i] < utf8.RuneSelf {
			t.Fatalf("byte %d (%q) is in no chunk", i, x.Text[max(0, i-10):min(len(x.Text), i+10)])
		}
		if !covered[i] && utf8.RuneStart(x.Text[i]) && x.Text[i] >= utf8.RuneSelf {
			r, _ := utf8.DecodeRuneInString(x.Text[i:])
			if !unicode.IsSpace(r) {
				t.Fatalf("rune at %d (%q) is in no chunk", i, r)
			}
		}
	}
}

func sectionEdge(x *Extracted, at int) bool {
	for _, s := range x.Sections {
		if at == s.Start || at == s.End {
			return true
		}
	}
	return false
}

// insideWord reports whether i falls between two letters or digits of a
// script that separates words with spaces.
func insideWord(s string, i int) bool {
	if i <= 0 || i >= len(s) {
		return false
	}
	a, _ := utf8.DecodeLastRuneInString(s[:i])
	b, _ := utf8.DecodeRuneInString(s[i:])
	word := func(r rune) bool { return (unicode.IsLetter(r) || unicode.IsDigit(r)) && !isCJK(r) }
	return word(a) && word(b)
}

// longWordAt reports whether the non-space run around i is longer than size.
// It walks by runes: a continuation byte such as the 0x85 of U+0745 is not
// the space U+0085.
func longWordAt(s string, i, size int) bool {
	a, b := i, i
	for a > 0 {
		r, n := utf8.DecodeLastRuneInString(s[:a])
		if unicode.IsSpace(r) {
			break
		}
		a -= n
	}
	for b < len(s) {
		r, n := utf8.DecodeRuneInString(s[b:])
		if unicode.IsSpace(r) {
			break
		}
		b += n
	}
	return utf8.RuneCountInString(s[a:b]) > size
}

func TestSplitDefaults(t *testing.T) {
	text := strings.Repeat("A sentence of ordinary English words goes here. ", 200)
	x := &Extracted{Text: strings.TrimSpace(text)}
	chunks := Split(x, ChunkOptions{})
	checkChunks(t, x, chunks, DefaultChunkSize, DefaultChunkOverlap)
	if len(chunks) < 9 || len(chunks) > 14 {
		t.Errorf("%d chunks for %d runes", len(chunks), len(x.Text))
	}
	for _, c := range chunks[1:] {
		if c.Start >= chunks[c.Index-1].End {
			t.Errorf("chunk %d has no overlap", c.Index)
		}
	}
	for _, c := range chunks[:len(chunks)-1] {
		if !strings.HasSuffix(c.Text, ".") {
			t.Errorf("chunk %d does not end at a sentence: %q", c.Index, c.Text[len(c.Text)-20:])
		}
	}
	if got := Split(x, ChunkOptions{Overlap: -1}); len(got) > 0 && got[1].Start < got[0].End {
		t.Error("negative Overlap still overlaps")
	}
}

func TestSplitSections(t *testing.T) {
	x := parseMarkdown("# Guide\n\nIntro.\n\n## Install\n\n" + strings.Repeat("Install words here. ", 30) + "\n\n### Linux\n\nLinux text.\n")
	chunks := Split(x, ChunkOptions{Size: 120, Overlap: 20})
	checkChunks(t, x, chunks, 120, 20)
	last := chunks[len(chunks)-1]
	if last.Text != "Guide › Install › Linux\nLinux text." {
		t.Errorf("last chunk %q", last.Text)
	}
	if strings.Join(chunks[0].Headings, "/") != "Guide" {
		t.Errorf("first chunk headings %q", chunks[0].Headings)
	}
}

func TestSplitPages(t *testing.T) {
	x := &Extracted{Format: PDF, Text: "page one words\fpage two words\f\fpage four"}
	x.Pages = []Span{{N: 1, Start: 0, End: 14}, {N: 2, Start: 15, End: 29}, {N: 3, Start: 30, End: 30}, {N: 4, Start: 31, End: 40}}
	chunks := Split(x, ChunkOptions{Size: 15, Overlap: -1})
	var pages []int
	for _, c := range chunks {
		pages = append(pages, c.Page)
	}
	if fmt.Sprint(pages) != "[1 2 4]" {
		t.Errorf("pages %v for %+v", pages, chunks)
	}
	checkChunks(t, x, chunks, 15, 0)
}

func TestSplitLongWordsAndEdges(t *testing.T) {
	tests := []string{
		"",
		"   \n\n\f  ",
		"x",
		strings.Repeat("a", 250),
		"short " + strings.Repeat("ü", 120) + " tail",
		strings.Repeat("中", 250),
		strings.Repeat("很长的中文句子没有任何标点符号", 30),
		"mixed 中文 and English, 混合在一起。Sentence two! 第三句？" + strings.Repeat(" word", 60),
	}
	for _, text := range tests {
		x := &Extracted{Text: text}
		checkChunks(t, x, Split(x, ChunkOptions{Size: 50, Overlap: 10}), 50, 10)
	}
}

// TestSplitRandom checks the contract on random texts of words, CJK runs,
// punctuation and white space, with random sizes and sections.
func TestSplitRandom(t *testing.T) {
	pieces := []string{"word", "lengthy", "a", "中文", "文字很多", "。", "，", ". ", ", ", "! ", " ", " ", " ", "\n", "\n\n", "\f", "é", "🙂", "x-y", strings.Repeat("z", 70)}
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 7))
		var b strings.Builder
		for range rng.IntN(400) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		x := &Extracted{Text: b.String()}
		if rng.IntN(2) == 0 && len(x.Text) > 0 { // random sections at rune starts
			cut := runeStart(x.Text, rng.IntN(len(x.Text)))
			x.Sections = []Section{{Headings: []string{"A"}, Start: 0, End: cut}, {Headings: []string{"A", "B"}, Start: cut, End: len(x.Text)}}
		}
		size := 20 + rng.IntN(200)
		overlap := rng.IntN(size)
		chunks := Split(x, ChunkOptions{Size: size, Overlap: overlap})
		if overlap == 0 {
			overlap = size * DefaultChunkOverlap / DefaultChunkSize
		}
		checkChunks(t, x, chunks, size, min(overlap, size/2))
	}
}

func BenchmarkSplit(b *testing.B) {
	text := strings.Repeat("The quick brown fox jumps over the lazy dog. It was not amused, however.\n", 1500) +
		strings.Repeat("中文的句子也要切分，标点很重要。", 500)
	x := &Extracted{Text: text}
	b.SetBytes(int64(len(text)))
	var n int
	for b.Loop() {
		n = len(Split(x, ChunkOptions{}))
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "chunks/s")
}

func TestSplitNeverCrossesPages(t *testing.T) {
	x := &Extracted{Format: PDF, Text: "Short page one.\fShort page two about Lisbon."}
	x.Pages = []Span{{N: 1, Start: 0, End: 15}, {N: 2, Start: 16, End: len(x.Text)}}
	chunks := Split(x, ChunkOptions{})
	if len(chunks) != 2 || chunks[1].Page != 2 || !strings.Contains(chunks[1].Text, "Lisbon") || strings.Contains(chunks[0].Text, "Lisbon") {
		t.Errorf("two small pages gave %+v", chunks)
	}
	checkChunks(t, x, chunks, DefaultChunkSize, DefaultChunkOverlap)
}

func TestSplitHasNoBareHeadingChunk(t *testing.T) {
	x := parseMarkdown("# Camping guide\n\n## Tents\n\nA good tent keeps you dry.\n\n## Water\n\nBoil water.\n")
	chunks := Split(x, ChunkOptions{})
	checkChunks(t, x, chunks, DefaultChunkSize, DefaultChunkOverlap)
	for _, c := range chunks {
		body := strings.TrimSpace(x.Text[c.Start:c.End])
		if body == "# Camping guide" || body == "Camping guide" {
			t.Errorf("a chunk holds only a heading: %q", c.Text)
		}
	}
	if len(chunks) != 2 || !strings.HasPrefix(chunks[0].Text, "Camping guide › Tents\n") {
		t.Errorf("chunks %+v", chunks)
	}
}
