package chat

import (
	"regexp"
	"strings"
)

// answerKind is the kind of answer a question expects.
type answerKind int

const (
	anyKind    answerKind = iota
	numberKind            // "How many …?", "How much …?"
	dateKind              // "When …?", "What date …?"
	timeKind              // "At what time …?"
)

// kindBoost multiplies the score of a sentence that holds an answer of the
// expected kind.
const kindBoost = 1.5

// expectedKind tells the kind of answer a question asks for from its
// question words.
func expectedKind(question string) answerKind {
	q := " " + strings.Join(questionWords(question), " ") + " "
	switch {
	case strings.Contains(q, " what time ") || strings.Contains(q, " which time "):
		return timeKind
	case strings.HasPrefix(q, " when ") || strings.Contains(q, " what date ") || strings.Contains(q, " which date ") ||
		strings.Contains(q, " what year ") || strings.Contains(q, " which year ") || strings.Contains(q, " what day "):
		return dateKind
	}
	for _, p := range []string{" how many ", " how much ", " how long ", " how old ", " how often ", " how far ",
		" how big ", " how large ", " how high ", " what percentage ", " what proportion ", " what share ",
		" what number ", " what amount ", " what age "} {
		if strings.Contains(q, p) {
			return numberKind
		}
	}
	if strings.Contains(question, "多少") || strings.Contains(question, "几") {
		return numberKind
	}
	return anyKind
}

var (
	digits   = regexp.MustCompile(`\d`)
	numWords = regexp.MustCompile(`(?i)\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozen|half)\b|[一二三四五六七八九十百千万亿两]`)
	dateLike = regexp.MustCompile(`(?i)\b(1[6-9]|20)\d\d\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{4}-\d\d-\d\d\b|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d|年|月|日`)
	timeLike = regexp.MustCompile(`(?i)\b\d{1,2}[:.]\d\d\b|\b\d{1,2} ?[ap]\.?m\b|\bnoon\b|\bmidnight\b|点`)
)

// hasKind reports whether text holds an answer of kind k.
func hasKind(text string, k answerKind) bool {
	switch k {
	case numberKind:
		return digits.MatchString(text) || numWords.MatchString(text)
	case dateKind:
		return dateLike.MatchString(text)
	case timeKind:
		return timeLike.MatchString(text)
	}
	return false
}

// preferKind boosts the candidates that hold an answer of the kind the
// question expects: a number for "how many", a date for "when".
func preferKind(k answerKind, cands []sentence) {
	if k == anyKind {
		return
	}
	for i := range cands {
		if cands[i].score > 0 && hasKind(cands[i].text, k) {
			cands[i].score *= kindBoost
		}
	}
}
