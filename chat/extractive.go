package chat

import (
	"math"
	"regexp"
	"slices"
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
	block   int // index of its paragraph (or row, or field line) in the passage
	pos     int // index within its passage (or document)
	size    int // length in words (a CJK character counts half)
	score   float64
	// terms are the sentence's distinct terms, sorted; the answerer
	// computes them only for the sentences it considers picking.
	terms []string
	// heading is the heading the sentence stands under in its passage, if
	// any: its terms count in part for the sentence (headingCredit).
	heading string
	// initials are the initialisms of the sentence's runs of capitalised
	// words ("national transportation safety board" gives "ntsb"),
	// matched like terms when the question holds an acronym.
	initials []string
}

// carriedWeight is the weight of the terms a follow-up carries over from
// the conversation, against 1 for the question's own terms.
const carriedWeight = 0.75

// carriedShare bounds the weight of all the carried terms together: the
// topic they bring counts as much as one of the question's own words, so
// that a follow-up is answered by what it asks, within the topic.
const carriedShare = 1.0

// extractiveAnswer composes an answer from the sentences of passages that
// best match the question, as resolved in its conversation into query (the
// question itself, plus for a follow-up the terms it carries over from the
// turns it depends on); see scoreCandidates. Headings and page furniture
// are never candidates; near-duplicates are dropped. At most a few
// sentences are kept, best first (neighbouring sentences of a paragraph
// stay in reading order), each followed by its citation. The passages must
// not be empty.
func extractiveAnswer(question, query string, passages []Passage) string {
	cands, qterms := scoreCandidates(question, query, passages)
	if len(cands) == 0 {
		return NotFoundAnswer(question)
	}
	picked := pick(cands, maxAnswerSentences, maxAnswerRunes)
	if len(picked) == 0 {
		picked = []sentence{lead(cands)} // no term matches: the top passage leads
	}
	picked = bestFirst(picked)
	var b strings.Builder
	for i, s := range picked {
		text := excerpt(s.text, qterms, maxSentenceRunes)
		if i > 0 && !(isWideEnd(b.String()) && isWideStart(text)) {
			b.WriteByte(' ')
		}
		b.WriteString(cite(text, s.passage+1))
	}
	return b.String()
}

// scoreCandidates returns the candidate sentences of passages, scored, and
// the terms they were scored against. A sentence scores by the share of
// the query's terms it contains (weighted by their rarity among the
// candidates; the question's first words over its closing phrase, its own
// words over carried ones, words its wording implies least; exact matches
// over shared prefixes and plurals; a heading's words in part) and by its
// passage's rank; then the kind of answer asked for, a form label naming
// what is asked, a table row naming what the question names and a passage
// on the follow-up's topic count more.
func scoreCandidates(question, query string, passages []Passage) ([]sentence, []string) {
	qterms, weights := queryTerms(question, query)
	own := orderedTerms(question)
	implied, iweights := impliedTerms(question)
	focus := slices.Clone(own[:min(focusTerms, len(own))])
	for i, t := range implied {
		if !slices.Contains(qterms, t) {
			qterms, weights = append(qterms, t), append(weights, iweights[i])
		}
		focus = append(focus, t)
	}
	cands := answerCandidates(passages)
	if hasAcronym(question) {
		for i := range cands {
			cands[i].initials = initialisms(cands[i].text)
		}
	}
	scoreSentences(qterms, weights, cands)
	preferKind(expectedKind(question), cands)
	preferNamed(names(question), passages, cands)
	preferTopic(carriedTerms(qterms, own, implied), passages, cands)
	preferFields(focus, askedTerm(question), cands)
	preferLabelled(letterLabels(question), cands)
	preferCount(countedTerms(question, implied), cands)
	return cands, qterms
}

// focusDecay makes the first content words of a question weigh more than
// the later ones: a question asks first for what it wants ("How many
// patients will be enrolled …", "What was the probable cause …") and then
// says what it is about ("… in the stem cell trial?", "… of the accident
// at Belen?"), which the retrieved passages already match.
const focusDecay = 0.2

// queryTerms returns the terms of query with their weights: the
// question's own terms from 1 down by focusDecay in the order they are
// asked, then the carried ones at carriedWeight of the last own term's.
func queryTerms(question, query string) ([]string, []float64) {
	own := orderedTerms(question)
	all := slices.Clone(own)
	for _, t := range orderedTerms(query) {
		if !slices.Contains(own, t) {
			all = append(all, t)
		}
	}
	weights := make([]float64, len(all))
	carried := len(all) - len(own)
	context := contextStart(question, own)
	for i := range all {
		weights[i] = 1 / (1 + focusDecay*float64(min(i, len(own))))
		if i >= context && i < len(own) {
			weights[i] *= contextWeight
		}
		if i >= len(own) {
			weights[i] = min(weights[i]*carriedWeight, carriedShare/float64(carried))
		}
	}
	return all, weights
}

// contextWeight is the weight of the terms of a question's closing phrase
// ("… in the Belen accident?"), which says what the question is about
// rather than what it asks.
const contextWeight = 0.5

// contextStart returns the index, in own (the question's terms in order),
// of the first term of its closing prepositional phrase: the terms after
// the first preposition that follows a content word. It is len(own) when
// there is none.
func contextStart(question string, own []string) int {
	seen := 0
	words := questionWords(question)
	for i, w := range words {
		if isPreposition(w) && seen > 0 && i+1 < len(words) {
			rest := orderedTerms(strings.Join(words[i+1:], " "))
			if len(rest) == 0 {
				return len(own)
			}
			if j := slices.Index(own, rest[0]); j >= 0 {
				return j
			}
			return len(own)
		}
		if len(orderedTerms(w)) > 0 {
			seen++
		}
	}
	return len(own)
}

// orderedTerms returns the distinct search terms of text in the order they
// first occur.
func orderedTerms(text string) []string {
	measure := measureWord(text)
	var out []string
	forEachTerm(text, func(t []byte) {
		if !slices.Contains(out, string(t)) && string(t) != measure {
			out = append(out, string(t))
		}
	})
	return out
}

// measureWord returns the word after "how" in a question that asks for a
// quantity ("far" in "How far from water…", "long" in "How long should…"):
// the answer's kind (a number) stands for it, and as a term it would match
// only chance uses of the word.
func measureWord(question string) string {
	w := questionWords(question)
	for i := 0; i+1 < len(w); i++ {
		if w[i] != "how" {
			continue
		}
		switch w[i+1] {
		case "far", "long", "much", "many", "old", "often", "big", "large", "high", "tall", "deep", "wide", "heavy", "soon", "late", "early":
			return w[i+1]
		}
	}
	return ""
}

// answerCandidates returns the sentences of the passages' text blocks,
// headings and page furniture left out (a line repeated on other pages of
// the same document among the passages counts as a running header).
func answerCandidates(passages []Passage) []sentence {
	repeated := repeatedByDocument(passages)
	var cands []sentence
	for i, p := range passages {
		pos := 0
		heading := ""
		for j, b := range blocks(p.Text, repeated[p.DocumentID]) {
			if b.heading || j == 0 && p.ChunkIndex == 0 && isTitle(b.text) {
				heading = b.text
				pos++
				continue
			}
			texts := []string{normalizeSpace(b.text)}
			if !b.row {
				texts = splitSentences(b.text)
			}
			for _, s := range texts {
				if strings.IndexFunc(s, isAlnum) < 0 {
					continue // ":" left of a form's layout
				}
				cands = append(cands, sentence{text: s, passage: i, block: j, pos: pos, size: wordCount(s), heading: heading})
				pos++
			}
		}
	}
	return cands
}

func isAlnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// maxDocTitleWords bounds a document's title.
const maxDocTitleWords = 20

// isTitle reports whether the first block of a document is its title: one
// line of a few words that does not end a sentence.
func isTitle(text string) bool {
	last, _ := utf8.DecodeLastRuneInString(text)
	return !strings.Contains(text, "\n") && strings.Count(text, " ") < maxDocTitleWords &&
		!strings.ContainsRune(".!?:;,。！？；：，", last) && !isField(text)
}

// repeatedByDocument finds the running headers and footers among passages:
// per document, the lines found on more than one of its pages.
func repeatedByDocument(passages []Passage) map[uint64]map[string]bool {
	byDoc := map[uint64][]int{}
	for i, p := range passages {
		if p.Page > 0 {
			byDoc[p.DocumentID] = append(byDoc[p.DocumentID], i)
		}
	}
	out := map[uint64]map[string]bool{}
	for doc, idx := range byDoc {
		if len(idx) < 2 {
			continue
		}
		texts, pages := make([]string, len(idx)), make([]int, len(idx))
		for j, i := range idx {
			texts[j], pages[j] = passages[i].Text, passages[i].Page
		}
		if rep := repeatedLines(texts, pages, 2); rep != nil {
			out[doc] = rep
		}
	}
	return out
}

// bestFirst orders picked sentences by score, best first, except that
// neighbouring sentences of one paragraph stay together in reading order.
func bestFirst(picked []sentence) []sentence {
	sort.SliceStable(picked, func(a, b int) bool {
		if picked[a].passage != picked[b].passage {
			return picked[a].passage < picked[b].passage
		}
		return picked[a].pos < picked[b].pos
	})
	type run struct {
		from, to int
		score    float64
	}
	var runs []run
	for i, s := range picked {
		if n := len(runs); n > 0 && picked[i-1].passage == s.passage && picked[i-1].block == s.block && picked[i-1].pos+1 == s.pos {
			runs[n-1].to = i + 1
			runs[n-1].score = max(runs[n-1].score, s.score)
			continue
		}
		runs = append(runs, run{i, i + 1, s.score})
	}
	sort.SliceStable(runs, func(a, b int) bool { return runs[a].score > runs[b].score })
	out := make([]sentence, 0, len(picked))
	for _, r := range runs {
		out = append(out, picked[r.from:r.to]...)
	}
	return out
}

// unnamedFactor discounts a sentence that names none of what the question
// names, when another sentence does.
const unnamedFactor = 0.3

// namedRowBoost multiplies the score of a table row naming what the
// question names.
const namedRowBoost = 2

// preferNamed discounts the candidates that contain none of the names of
// the question when a table row contains one: asked about Kentucky, the
// Kentucky row of a table answers, not the table's general note. (In
// prose, a sentence naming what the question names is often only the one
// that introduces it.) A name
// found in a passage's file name ("cupertino_agenda.pdf") says which
// document the question is about, not which sentence, and is left out.
func preferNamed(names []string, passages []Passage, cands []sentence) {
	names = slices.DeleteFunc(names, func(n string) bool { return inFilenames(n, passages) })
	if len(names) == 0 {
		return
	}
	has := make([]bool, len(cands))
	inRow := false
	for i := range cands {
		forEachTerm(cands[i].text, func(t []byte) {
			if !has[i] && slices.Contains(names, string(t)) {
				has[i] = true
			}
		})
		inRow = inRow || has[i] && isRow(cands[i].text)
	}
	if !inRow {
		return
	}
	for i := range cands {
		switch {
		case !has[i]:
			cands[i].score *= unnamedFactor
		case isRow(cands[i].text):
			cands[i].score *= namedRowBoost
		}
	}
}

// carriedTerms returns the terms of qterms that are neither the question's
// own nor implied by it.
func carriedTerms(qterms, own, implied []string) []string {
	var out []string
	for _, t := range qterms {
		if !slices.Contains(own, t) && !slices.Contains(implied, t) {
			out = append(out, t)
		}
	}
	return out
}

// offTopicFactor discounts the sentences of a passage that holds none of
// the terms a follow-up carries over from the conversation: it is not about
// the topic the follow-up continues.
const offTopicFactor = 0.5

// preferTopic discounts the candidates from passages that hold none of
// the carried terms.
func preferTopic(carried []string, passages []Passage, cands []sentence) {
	if len(carried) == 0 {
		return
	}
	off := make([]bool, len(passages))
	for i, p := range passages {
		off[i] = ownCoverage(carried, p.Text) == 0
	}
	for i := range cands {
		if off[cands[i].passage] {
			cands[i].score *= offTopicFactor
		}
	}
}

// inFilenames reports whether a lower-cased name occurs in the file name of
// one of the passages.
func inFilenames(name string, passages []Passage) bool {
	for _, p := range passages {
		if strings.Contains(strings.ToLower(p.Filename), name) {
			return true
		}
	}
	return false
}

// names returns the lower-cased proper names of a question: its words in
// title case (a capital then small letters) other than the first word,
// which is capitalised anyway. Acronyms are left out, since passages often
// spell them out.
func names(question string) []string {
	var out []string
	for i, w := range strings.FieldsFunc(question, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	}) {
		r, size := utf8.DecodeRuneInString(w)
		if i == 0 || !unicode.IsUpper(r) || strings.IndexFunc(w[size:], unicode.IsUpper) >= 0 ||
			strings.IndexFunc(w[size:], unicode.IsLower) < 0 {
			continue
		}
		w = strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "'"))
		if !isStopWord(w) && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
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

// scoreSentences sets the score of each candidate against the query terms,
// weighted by qweights (nil: all 1).
func scoreSentences(query []string, qweights []float64, cands []sentence) {
	if len(query) == 0 {
		return
	}
	nq := len(query)
	match := make([]float64, len(cands)*nq) // match[i*nq+q]: 0, prefixMatch or 1
	df := make([]int, nq)
	stems := queryStems(query)
	for i := range cands {
		m := match[i*nq : (i+1)*nq]
		match := func(t []byte) {
			for q, term := range query {
				if m[q] < 1 {
					m[q] = max(m[q], matchTerm(term, t))
				}
				if m[q] == 0 && stemMatches(stems[q], t) {
					m[q] = prefixMatch
				}
			}
		}
		forEachTerm(cands[i].text, match)
		for _, a := range cands[i].initials {
			match([]byte(a))
		}
		if h := cands[i].heading; h != "" {
			forEachTerm(h, func(t []byte) {
				for q, term := range query {
					m[q] = max(m[q], headingCredit*matchTerm(term, t))
				}
			})
		}
		for q := range m {
			if m[q] > 0 {
				df[q]++
			}
		}
	}
	weights, total := make([]float64, nq), 0.0
	for q := range query {
		weights[q] = math.Log(1 + float64(len(cands))/float64(df[q]+1))
		if qweights != nil {
			weights[q] *= qweights[q]
		}
		total += weights[q]
	}
	for i := range cands {
		cover := 0.0
		for q := range query {
			cover += weights[q] * match[i*nq+q]
		}
		s := &cands[i]
		length := lengthFactor(s.size)
		if s.size >= 2 && isField(s.text) {
			length = 1 // "Department: Hematology" is complete
		}
		s.score = cover / total * (1 + 0.3/float64(1+s.passage)) * length
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

// headingCredit is the credit for a term found in the heading a sentence
// stands under rather than in the sentence: under "Exclusion Criteria",
// "Severe heart, kidney, or liver dysfunction." is about exclusion
// criteria.
const headingCredit = 0.5

// prefixMatch is the credit for terms sharing a long prefix ("policy" and
// "policies"), a stemming-free stand-in for inflection.
const prefixMatch = 0.7

// matchTerm returns how well term matches t: 1 when equal, prefixMatch
// when they share a long prefix or one is the other's plural, else 0.
func matchTerm(term string, t []byte) float64 {
	switch {
	case term == string(t):
		return 1
	case samePrefix(term, t), isPlural(term, t):
		return prefixMatch
	}
	return 0
}

// isPlural reports whether one of two short words is the other with "s"
// or "es" ("dog" and "dogs"), which samePrefix leaves to words of four
// letters or more.
func isPlural(a string, b []byte) bool {
	long, short := string(b), a
	if len(long) < len(short) {
		long, short = short, long
	}
	return len(short) >= 2 && strings.HasPrefix(long, short) && (long[len(short):] == "s" || long[len(short):] == "es")
}

// samePrefix reports whether two Latin words of four letters or more share
// a prefix of at least four letters that covers all but two of the shorter
// and all but four of the longer.
func samePrefix(a string, b []byte) bool {
	if len(a) < 4 || len(b) < 4 || a[0] != b[0] || a[0] >= utf8.RuneSelf || hasDigit(a) || hasDigit(string(b)) {
		return false // codes and numbers match only as they are: DHAW20190003 is not DHAW20190005
	}
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	short, long := min(len(a), len(b)), max(len(a), len(b))
	return n >= 4 && n >= short-2 && n >= long-4
}

func hasDigit(s string) bool {
	return strings.IndexAny(s, "0123456789") >= 0
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
	case strings.HasSuffix(text, ".") && !strings.HasSuffix(text, "...") && !endsWithAbbreviation(text):
		return strings.TrimSuffix(text, ".") + " " + mark + "."
	case isWideEnd(text):
		return text + mark
	}
	return text + " " + mark
}

// endsWithAbbreviation reports whether text ends with a word that has a
// full stop inside it too ("p.m.", "U.S."), whose last full stop is part
// of the word.
func endsWithAbbreviation(text string) bool {
	last := text[strings.LastIndexByte(text, ' ')+1:]
	return strings.Count(last, ".") > 1 && abbreviationEnd.MatchString(last)
}

// abbreviationEnd matches text ending with a dotted abbreviation.
var abbreviationEnd = regexp.MustCompile(`(?:^|[^\pL])\pL\.(?:\pL\.)+$`)

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
