package retrieval

import (
	"slices"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
)

// maxTokenBytes is the longest token that is indexed; longer runs (hashes,
// base64, URLs without separators) are skipped as a whole.
const maxTokenBytes = 64

// maxStemCache bounds the number of cached stems of one Analyzer. When it
// is full the cache is cleared and refilled with the words in use.
const maxStemCache = 1 << 18

// tokenKind says what a raw token is and therefore how it is normalised.
type tokenKind uint8

const (
	tokenWord     tokenKind = iota // letters and digits, maybe apostrophes: stop-word filtered, stemmed when ASCII letters only
	tokenCompound                  // a run with inner joiners ("v1.2", "x86_64"): kept verbatim
	tokenCJK                       // one CJK character bigram, or a lone CJK character
)

// Analyzer turns text into index terms: Unicode-aware tokens, lower-cased,
// English stop words removed, English words reduced by the Snowball
// stemmer, identifiers and numbers kept whole (and also split into their
// parts), words mixing letters and digits also split into their letter and
// digit runs ("IL6" → "il6" "il" "6"), Greek letters spelled out ("κB" →
// "kappab"), the plural 's' of an acronym dropped ("MSCs" → "msc"), CJK
// runs as overlapping character bigrams. (This is the analysis of Terms
// version 2; on the SciFact train split the letter/digit split is worth
// +0.011 nDCG@10, the other two are neutral there.)
//
// An Analyzer caches stems (the stemmer is slow) and is safe for concurrent
// use. The zero value is ready to use.
type Analyzer struct {
	mu    sync.RWMutex
	terms map[string]string // lower-cased token → index term (stem or the interned token)
}

// NewAnalyzer returns an Analyzer with an empty stem cache.
func NewAnalyzer() *Analyzer { return &Analyzer{} }

// Analyze returns the index terms of text with their frequencies, the form
// the BM25 index is built from. It uses a cache local to the call; for bulk
// work share one [Analyzer] (or call [Index.Analyze]) so that stems are
// computed once.
func Analyze(text string) Terms { return NewAnalyzer().Analyze(text) }

// Analyze returns the index terms of text with their frequencies.
func (a *Analyzer) Analyze(text string) Terms {
	var list []string
	a.each(text, func(_ []byte, term string, _ tokenKind) {
		if term != "" {
			list = append(list, term)
		}
	})
	return termsFromList(list)
}

// Tokens returns the index terms of text in order, with repetitions; stop
// words are left out. It is meant for tests and debugging.
func (a *Analyzer) Tokens(text string) []string {
	var out []string
	a.each(text, func(_ []byte, term string, _ tokenKind) {
		if term != "" {
			out = append(out, term)
		}
	})
	return out
}

// each calls fn for every token of text with its lower-cased raw form, its
// index term ("" for a stop word) and its kind. raw is only valid during the
// call.
func (a *Analyzer) each(text string, fn func(raw []byte, term string, kind tokenKind)) {
	scanTokens(text, func(raw []byte, kind tokenKind) {
		fn(raw, a.term(raw, kind), kind)
	})
}

// term maps one lower-cased raw token to its index term.
func (a *Analyzer) term(raw []byte, kind tokenKind) string {
	if kind == tokenWord && isStopWord(string(raw)) {
		return ""
	}
	a.mu.RLock()
	t, ok := a.terms[string(raw)]
	a.mu.RUnlock()
	if ok {
		return t
	}
	t = string(raw)
	if kind == tokenWord && isASCIIWord(raw) {
		t = english.Stem(t, true)
	}
	a.mu.Lock()
	if a.terms == nil || len(a.terms) >= maxStemCache {
		a.terms = make(map[string]string, 1024)
	}
	a.terms[string(raw)] = t
	a.mu.Unlock()
	return t
}

// isASCIIWord reports whether b is made of ASCII letters and apostrophes
// only, the words the English stemmer is meant for.
func isASCIIWord(b []byte) bool {
	for _, c := range b {
		if (c < 'a' || c > 'z') && c != '\'' {
			return false
		}
	}
	return true
}

// scanTokens splits text into raw lower-cased tokens (Greek letters
// spelled out, an acronym's plural 's' dropped) and calls emit for
// each. Letters and digits form runs; a single joiner ('.', '-', '_', '\”)
// between two letters or digits keeps the run together, and such a
// compound is emitted whole and then part by part (a run joined only by
// apostrophes is one word: "patient's"). CJK characters form runs of their
// own that are emitted as overlapping bigrams, or as one character when the
// run has only one.
func scanTokens(text string, emit func(raw []byte, kind tokenKind)) {
	var s scanner
	s.emit = emit
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		i += size
		s.push(r, fold(r))
	}
	s.flushWord()
	s.flushCJK()
}

// scanner is the state of scanTokens.
type scanner struct {
	emit    func(raw []byte, kind tokenKind)
	word    []byte // current alphanumeric run, lower-cased
	pending rune   // joiner seen after the run, kept only if an alphanumeric follows
	joined  bool   // word holds a joiner other than an apostrophe
	apos    bool   // word holds an apostrophe
	prevCJK rune   // previous character of the current CJK run, or -1
	nCJK    int    // length of the current CJK run
	pair    []byte // scratch for a CJK bigram

	upper     int  // upper-case letters in word (before folding)
	prevUpper bool // the last letter pushed was upper case
	plural    bool // word ends in a lower-case 's' right after an upper-case letter ("MSCs")
}

// push consumes one rune, orig as written and r folded.
func (s *scanner) push(orig, r rune) {
	switch {
	case isCJK(r):
		s.flushWord()
		if s.nCJK > 0 {
			s.pair = utf8.AppendRune(utf8.AppendRune(s.pair[:0], s.prevCJK), r)
			s.emit(s.pair, tokenCJK)
		}
		s.prevCJK = r
		s.nCJK++
	case r < utf8.RuneSelf && isASCIIAlnum(byte(r)) || r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)):
		s.flushCJK()
		if s.pending != 0 {
			s.word = utf8.AppendRune(s.word, s.pending)
			if s.pending == '\'' {
				s.apos = true
			} else {
				s.joined = true
			}
			s.pending = 0
		}
		if r < utf8.RuneSelf {
			upper := orig != r
			s.plural = orig == 's' && s.prevUpper
			s.prevUpper = upper
			if upper {
				s.upper++
			}
			s.word = append(s.word, byte(r))
			break
		}
		upper := orig != r && unicode.IsUpper(orig)
		s.plural, s.prevUpper = false, upper
		if upper {
			s.upper++
		}
		if name := greekName(r); name != "" {
			s.word = append(s.word, name...)
		} else {
			s.word = utf8.AppendRune(s.word, r)
		}
	case isJoiner(r) && len(s.word) > 0 && s.pending == 0:
		s.pending = r
	default:
		s.flushWord()
		s.flushCJK()
	}
}

// flushWord emits the current alphanumeric run, if any.
func (s *scanner) flushWord() {
	w := s.word
	joined := s.joined
	if s.plural && s.upper >= 2 && !joined {
		w = w[:len(w)-1] // "MSCs" is the plural of "MSC"
	}
	s.word, s.pending, s.joined, s.apos = s.word[:0], 0, false, false
	s.upper, s.prevUpper, s.plural = 0, false, false
	if len(w) == 0 {
		return
	}
	if !joined {
		s.emitWord(w)
		return
	}
	if len(w) <= maxTokenBytes {
		s.emit(w, tokenCompound)
	}
	start := 0
	for i := 0; i <= len(w); i++ {
		if i < len(w) && !isJoiner(rune(w[i])) || i < len(w) && w[i] == '\'' {
			continue
		}
		if part := w[start:i]; len(part) > 0 {
			s.emitWord(part)
		}
		start = i + 1
	}
}

// emitWord emits one word and, when it mixes ASCII letters and digits
// ("il6", "p53", "1beta"), also its letter and digit runs, so that "IL6"
// matches "IL-6" and "IL 6".
func (s *scanner) emitWord(w []byte) {
	if len(w) > maxTokenBytes {
		return
	}
	s.emit(w, tokenWord)
	start := 0
	for i := 1; i < len(w); i++ {
		a, b := w[i-1], w[i]
		if isASCIIAlnum(a) && isASCIIAlnum(b) && isDigit(a) != isDigit(b) {
			s.emit(w[start:i], tokenWord)
			start = i
		}
	}
	if start > 0 {
		s.emit(w[start:], tokenWord)
	}
}

// isDigit reports whether c is an ASCII digit.
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// greekName returns the Latin name of a lower-case Greek letter (and of
// the micro sign), so that "TNF-α" matches "TNF-alpha"; "" for any other
// rune.
func greekName(r rune) string {
	if r < 0xB5 || r > 0x3C9 {
		return ""
	}
	switch r {
	case 'µ', 'μ':
		return "mu"
	case 'ς':
		return "sigma"
	}
	if 'α' <= r && r <= 'ω' {
		return greekLetters[r-'α']
	}
	return ""
}

// greekLetters are the names of α … ω (ς, the final sigma, in its place).
var greekLetters = [...]string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
	"iota", "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "sigma", "tau",
	"upsilon", "phi", "chi", "psi", "omega"}

// flushCJK ends the current CJK run, emitting a lone character.
func (s *scanner) flushCJK() {
	if s.nCJK == 1 {
		s.pair = utf8.AppendRune(s.pair[:0], s.prevCJK)
		s.emit(s.pair, tokenCJK)
	}
	s.nCJK, s.prevCJK = 0, -1
}

// fold lower-cases r, maps full-width ASCII forms to ASCII and typographic
// apostrophes to '\”.
func fold(r rune) rune {
	switch {
	case r < utf8.RuneSelf:
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	case 0xFF01 <= r && r <= 0xFF5E:
		return fold(r - 0xFEE0)
	case r == '\u2019' || r == '\u2018' || r == '\u201B':
		return '\''
	}
	return unicode.ToLower(r)
}

// isASCIIAlnum reports whether c is an ASCII letter or digit (lower case
// after fold).
func isASCIIAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
}

// isJoiner reports whether r may join two alphanumeric runs into one
// token. A hyphen does not: "COVID-19" is "covid" and "19", so it matches
// "COVID 19" and "covid" alone (joining hyphenated runs cost nDCG on the
// SciFact train split).
func isJoiner(r rune) bool {
	return r == '.' || r == '_' || r == '\''
}

// isCJK reports whether r is a Han, Hiragana, Katakana or Hangul character
// (or the Katakana prolonged sound mark).
func isCJK(r rune) bool {
	if r < 0x1100 {
		return false
	}
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) || r == 0x30FC
}

// termsFromList sorts list in place and encodes it as Terms.
func termsFromList(list []string) Terms {
	slices.Sort(list)
	var enc termsEncoder
	for i := 0; i < len(list); {
		j := i + 1
		for j < len(list) && list[j] == list[i] {
			j++
		}
		enc.add(list[i], j-i)
		i = j
	}
	return enc.finish()
}

// isStopWord reports whether w is an English stop word (the Snowball
// English list, plus a few contractions).
func isStopWord(w string) bool {
	switch w {
	case "a", "about", "above", "after", "again", "against", "all", "am", "an",
		"and", "any", "are", "as", "at", "be", "because", "been", "before",
		"being", "below", "between", "both", "but", "by", "can", "did", "do",
		"does", "doing", "don", "down", "during", "each", "few", "for", "from",
		"further", "had", "has", "have", "having", "he", "her", "here", "hers",
		"herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is",
		"it", "its", "itself", "just", "me", "more", "most", "my", "myself",
		"no", "nor", "not", "now", "of", "off", "on", "once", "only", "or",
		"other", "our", "ours", "ourselves", "out", "over", "own", "s", "same",
		"she", "should", "so", "some", "such", "t", "than", "that", "the", "their",
		"theirs", "them", "themselves", "then", "there", "these", "they",
		"this", "those", "through", "to", "too", "under", "until", "up",
		"very", "was", "we", "were", "what", "when", "where", "which", "while",
		"who", "whom", "why", "will", "with", "you", "your", "yours", "yourself",
		"yourselves", "it's", "don't", "doesn't", "isn't", "aren't", "wasn't",
		"weren't", "can't", "won't", "i'm", "we're", "they're", "you're":
		return true
	}
	return false
}
