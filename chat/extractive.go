package chat

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of an extractive answer.
const (
	maxAnswerSentences = 3
	maxAnswerRunes     = 700
	maxSentenceRunes   = 320
	// keepRatio drops sentences scoring under this fraction of the best.
	keepRatio = 0.6
	// similarJaccard is the term overlap above which two sentences count
	// as saying the same thing.
	similarJaccard = 0.7
)

// sentence is a candidate sentence of the extractive answerer and
// summarizer.
type sentence struct {
	text    string
	passage int // index of its passage (or chunk), from 0
	pos     int // index within its passage (or document)
	size    int // length in words (a CJK character counts half)
	score   float64
	// terms are the sentence's distinct terms, sorted; the answerer
	// computes them only for the sentences it considers picking.
	terms []string
}

// extractiveAnswer composes an answer from the sentences of passages that
// best match question (the search query: for a follow-up, the question
// plus the previous one's key terms): each scored by the share of its terms it
// contains (weighted by their rarity among the candidates, exact matches
// over shared prefixes) and by its passage's rank; near-duplicates
// dropped; at most a few, in passage then document order, each followed by
// its citation. The passages must not be empty.
func extractiveAnswer(question string, passages []Passage) string {
	query := terms(question)
	var cands []sentence
	for i, p := range passages {
		for j, s := range splitSentences(p.Text) {
			cands = append(cands, sentence{text: s, passage: i, pos: j, size: wordCount(s)})
		}
	}
	if len(cands) == 0 {
		return notFoundText(question)
	}
	scoreSentences(query, cands)
	picked := pick(cands, maxAnswerSentences, maxAnswerRunes)
	if len(picked) == 0 {
		picked = []sentence{lead(cands)} // no term matches: the top passage leads
	}
	sort.SliceStable(picked, func(a, b int) bool {
		if picked[a].passage != picked[b].passage {
			return picked[a].passage < picked[b].passage
		}
		return picked[a].pos < picked[b].pos
	})
	var b strings.Builder
	for i, s := range picked {
		text := excerpt(s.text, query, maxSentenceRunes)
		if i > 0 && !(isWideEnd(b.String()) && isWideStart(text)) {
			b.WriteByte(' ')
		}
		b.WriteString(cite(text, s.passage+1))
	}
	return b.String()
}

// lead returns the first sentence of the top passage that is not a
// fragment (heading, caption), or its first sentence.
func lead(cands []sentence) sentence {
	for _, s := range cands {
		if s.passage > 0 {
			break
		}
		if lengthFactor(s.size) == 1 {
			return s
		}
	}
	return cands[0]
}

// wordCount returns the length of text in words, counting a CJK character
// as half a word.
func wordCount(text string) int {
	words, wide := 0, 0
	inWord := false
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		i += size
		switch {
		case r < utf8.RuneSelf && (r|0x20 >= 'a' && r|0x20 <= 'z' || '0' <= r && r <= '9'),
			r >= utf8.RuneSelf && !isWide(r) && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if !inWord {
				words++
			}
			inWord = true
		case isWide(r):
			wide++
			inWord = false
		default:
			inWord = false
		}
	}
	return words + wide/2
}

// scoreSentences sets the score of each candidate against the query terms.
func scoreSentences(query []string, cands []sentence) {
	if len(query) == 0 {
		return
	}
	nq := len(query)
	match := make([]float64, len(cands)*nq) // match[i*nq+q]: 0, prefixMatch or 1
	df := make([]int, nq)
	for i := range cands {
		m := match[i*nq : (i+1)*nq]
		forEachTerm(cands[i].text, func(t []byte) {
			for q, term := range query {
				if m[q] < 1 {
					m[q] = max(m[q], matchTerm(term, t))
				}
			}
		})
		for q := range m {
			if m[q] > 0 {
				df[q]++
			}
		}
	}
	weights, total := make([]float64, nq), 0.0
	for q := range query {
		weights[q] = math.Log(1 + float64(len(cands))/float64(df[q]+1))
		total += weights[q]
	}
	for i := range cands {
		cover := 0.0
		for q := range query {
			cover += weights[q] * match[i*nq+q]
		}
		s := &cands[i]
		s.score = cover / total * (1 + 0.3/float64(1+s.passage)) * lengthFactor(s.size)
	}
}

// lengthFactor discounts fragments (headings, captions) and run-ons.
func lengthFactor(words int) float64 {
	switch {
	case words < 4:
		return 0.5
	case words > 80:
		return 0.8
	}
	return 1
}

// prefixMatch is the credit for terms sharing a long prefix ("policy" and
// "policies"), a stemming-free stand-in for inflection.
const prefixMatch = 0.7

// matchTerm returns how well term matches t: 1 when equal, prefixMatch
// when they share a long prefix, else 0.
func matchTerm(term string, t []byte) float64 {
	switch {
	case term == string(t):
		return 1
	case samePrefix(term, t):
		return prefixMatch
	}
	return 0
}

// samePrefix reports whether two Latin words of four letters or more share
// a prefix of at least four letters that covers all but two of the shorter
// and all but four of the longer.
func samePrefix(a string, b []byte) bool {
	if len(a) < 4 || len(b) < 4 || a[0] != b[0] || a[0] >= utf8.RuneSelf {
		return false
	}
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	short, long := min(len(a), len(b)), max(len(a), len(b))
	return n >= 4 && n >= short-2 && n >= long-4
}

// pick returns the best-scoring distinct sentences, at most n and about
// maxRunes long in all, each scoring at least keepRatio of the best.
func pick(cands []sentence, n, maxRunes int) []sentence {
	order := make([]int, len(cands))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return cands[order[a]].score > cands[order[b]].score })
	var out []sentence
	runes := 0
	for _, i := range order {
		s := cands[i]
		if s.score <= 0 || s.score < keepRatio*cands[order[0]].score || len(out) == n {
			break
		}
		size := min(utf8.RuneCountInString(s.text), maxSentenceRunes)
		if len(out) > 0 && runes+size > maxRunes {
			continue
		}
		if s.terms == nil {
			s.terms = terms(s.text)
		}
		if similarToAny(s, out) {
			continue
		}
		out = append(out, s)
		runes += size
	}
	return out
}

// similarToAny reports whether s says the same as one of picked.
func similarToAny(s sentence, picked []sentence) bool {
	for _, p := range picked {
		if s.text == p.text || jaccard(s.terms, p.terms) >= similarJaccard {
			return true
		}
	}
	return false
}

// jaccard is the overlap of two sorted, distinct term lists.
func jaccard(a, b []string) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	common := 0
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch c := strings.Compare(a[i], b[j]); {
		case c == 0:
			common++
			i++
			j++
		case c < 0:
			i++
		default:
			j++
		}
	}
	return float64(common) / float64(len(a)+len(b)-common)
}

// cite appends the citation [n] to a sentence, before its closing full stop
// when it has one: "It is 25 days [1]." and "年假为十五天[1]。".
func cite(text string, n int) string {
	mark := "[" + strconv.Itoa(n) + "]"
	switch {
	case strings.HasSuffix(text, "。"):
		return strings.TrimSuffix(text, "。") + mark + "。"
	case strings.HasSuffix(text, ".") && !strings.HasSuffix(text, "..."):
		return strings.TrimSuffix(text, ".") + " " + mark + "."
	case isWideEnd(text):
		return text + mark
	}
	return text + " " + mark
}

func isWideEnd(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return isWide(r)
}

func isWideStart(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return isWide(r)
}

// excerpt shortens a sentence longer than maxRunes to a window around the
// first query term it contains, marking cuts with "…".
func excerpt(text string, query []string, maxRunes int) string {
	if utf8.RuneCountInString(text) <= maxRunes {
		return text
	}
	at := 0
	if lower := strings.ToLower(text); len(lower) == len(text) {
		for _, q := range query {
			if i := strings.Index(lower, q); i >= 0 && (at == 0 || i < at) {
				at = i
			}
		}
	}
	runes := []rune(text)
	start := max(0, min(utf8.RuneCountInString(text[:at])-maxRunes/4, len(runes)-maxRunes))
	for start > 0 && start < len(runes) && !unicode.IsSpace(runes[start-1]) && !isWide(runes[start]) {
		start++ // begin at a word
	}
	out := string(runes[start:min(len(runes), start+maxRunes)])
	if start+maxRunes < len(runes) {
		out = cutAtBoundary(out) + "…"
	}
	if start > 0 {
		out = "…" + out
	}
	return out
}
