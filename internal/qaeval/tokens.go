package qaeval

import (
	"regexp"
	"strings"
	"unicode"
)

// citation matches a citation mark of an answer: "[1]", "[2, 3]".
var citation = regexp.MustCompile(`\s*\[\d+(?:\s*,\s*\d+)*\]`)

// stripCitations removes the citation marks from an answer.
func stripCitations(s string) string { return citation.ReplaceAllString(s, "") }

// answerTokens returns the tokens answers are compared by, in order:
// lower-cased runs of letters, and numbers with their thousands
// separators dropped and decimal points kept ("37,499.96" → "37499.96",
// "5194 ft" → "5194", "ft"). Each CJK character is a token of its own.
func answerTokens(s string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	rs := []rune(strings.ToLower(s))
	for i, r := range rs {
		digitsAround := i > 0 && i+1 < len(rs) && unicode.IsDigit(rs[i-1]) && unicode.IsDigit(rs[i+1])
		switch {
		case unicode.Is(unicode.Han, r) || unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Hangul):
			flush()
			out = append(out, string(r))
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if cur.Len() > 0 && isDigitRun(cur.String()) != unicode.IsDigit(r) {
				flush() // "5194ft" → "5194", "ft"
			}
			cur.WriteRune(r)
		case r == ',' && digitsAround:
		case r == '.' && digitsAround:
			cur.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
	return out
}

// isDigitRun reports whether a token is a number (digits and decimal
// points).
func isDigitRun(t string) bool {
	return strings.IndexFunc(t, func(r rune) bool { return !unicode.IsDigit(r) && r != '.' }) < 0
}

// containsTokens reports whether needle occurs in hay as a contiguous run.
func containsTokens(hay, needle []string) bool {
	if len(needle) == 0 {
		return false
	}
	for i := 0; i+len(needle) <= len(hay); i++ {
		match := true
		for j, t := range needle {
			if hay[i+j] != t {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// tokenF1 is the harmonic mean of the precision and recall of the answer's
// tokens against the gold tokens (as bags; articles ignored), as in SQuAD.
func tokenF1(answer, gold []string) float64 {
	answer, gold = withoutArticles(answer), withoutArticles(gold)
	if len(answer) == 0 || len(gold) == 0 {
		return 0
	}
	count := map[string]int{}
	for _, t := range gold {
		count[t]++
	}
	common := 0
	for _, t := range answer {
		if count[t] > 0 {
			count[t]--
			common++
		}
	}
	if common == 0 {
		return 0
	}
	p, r := float64(common)/float64(len(answer)), float64(common)/float64(len(gold))
	return 2 * p * r / (p + r)
}

func withoutArticles(ts []string) []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		if t != "a" && t != "an" && t != "the" {
			out = append(out, t)
		}
	}
	return out
}
