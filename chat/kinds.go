package chat

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// answerKind is the kind of answer a question expects.
type answerKind int

const (
	anyKind     answerKind = iota
	numberKind             // "How many …?", "How much …?"
	dateKind               // "When …?", "What date …?"
	timeKind               // "At what time …?"
	measureKind            // "How long …?", "How far …?": a number with its unit
	placeKind              // "Where …?": a street address or a town with its state
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
	if strings.HasPrefix(q, " where ") {
		return placeKind
	}
	if strings.Contains(q, " how long ") || strings.Contains(q, " how far ") {
		return measureKind
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
	digits      = regexp.MustCompile(`\d`)
	numWords    = regexp.MustCompile(`(?i)\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozen|half)\b|[一二三四五六七八九十百千万亿两]`)
	dateLike    = regexp.MustCompile(`(?i)\b(1[6-9]|20)\d\d\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{4}-\d\d-\d\d\b|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d|年|月|日`)
	measureLike = regexp.MustCompile(`(?i)(?:\b\d[\d,.]*|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|forty|sixty|ninety|hundred)\b)\s*(?:\(\d+\)\s*)?(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|ft|feet|foot|miles?|nm|km|kilomet(?:er|re)s?|met(?:er|re)s?|m|cm|mm|inch(?:es)?)\b`)
	placeLike   = regexp.MustCompile(`\b\d{1,5}(?: [A-Z][A-Za-z]*\.?){1,3} (?:Avenue|Ave|Street|St|Road|Rd|Boulevard|Blvd|Drive|Dr|Lane|Way|Place|Court|Square|Highway)\b|\b[A-Z][a-z]+(?: [A-Z][a-z]+)?, (?:[A-Z]{2}\b|D\.C\.)`)
	timeLike    = regexp.MustCompile(`(?i)\b\d{1,2}[:.]\d\d\b|\b\d{1,2} ?[ap]\.?m\b|\bnoon\b|\bmidnight\b|点`)
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
	case measureKind:
		return measureLike.MatchString(text)
	case placeKind:
		return placeLike.MatchString(text)
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

// hasAcronym reports whether a question holds an acronym: a word of two to
// six capital letters ("NTSB", "FAA").
func hasAcronym(question string) bool {
	for _, w := range strings.FieldsFunc(question, func(r rune) bool { return !unicode.IsLetter(r) }) {
		if n := len(w); n >= 2 && n <= 6 && strings.ToUpper(w) == w && strings.ToLower(w) != w {
			return true
		}
	}
	return false
}

// initialisms returns the lower-cased initials of the runs of two or more
// capitalised words in text, skipping the small words inside a name
// ("Department of Homeland Security" gives "dhs").
func initialisms(text string) []string {
	var out []string
	var run []byte
	flush := func() {
		if len(run) >= 2 {
			out = append(out, string(run))
		}
		run = run[:0]
	}
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' }) {
		r, _ := utf8.DecodeRuneInString(w)
		switch {
		case w == "The" || w == "A" || w == "An" || strings.ToUpper(w) == w:
			flush() // an article, or an acronym itself
		case unicode.IsUpper(r) && r < utf8.RuneSelf:
			run = append(run, byte(unicode.ToLower(r)))
		case len(run) > 0 && (w == "of" || w == "for" || w == "on"):
		default:
			flush()
		}
	}
	flush()
	return out
}

// impliedWeight is the weight of the words a question's wording hints at
// ("how long" → "length", "when" → "date") against 1 for its first own
// word; a word it says in other words ("how old" → "age", "took part" →
// "participants") weighs synonymWeight.
const (
	impliedWeight = 0.5
	synonymWeight = 1
)

// impliedTerms returns the words that name what a question asks for
// without it saying them, with their weights: forms label an age "Age:",
// a length "Length:", a date "Date:"; and the words documents use for a
// question's plain ones ("took part" → "participants", "died" →
// "fatalities"). Terms match by their stems too (see stemMatches).
func impliedTerms(question string) ([]string, []float64) {
	q := " " + strings.Join(questionWords(question), " ") + " "
	var out []string
	var weights []float64
	for _, m := range []struct {
		phrase string
		terms  []string
		weight float64
	}{
		{" how old ", []string{"age"}, synonymWeight},
		{" how long ", []string{"length", "duration"}, impliedWeight},
		{" how far ", []string{"distance"}, synonymWeight},
		{" how much ", []string{"amount", "cost", "total"}, impliedWeight},
		{" when ", []string{"date"}, impliedWeight},
		{" what time ", []string{"time"}, impliedWeight},
		{" where ", []string{"location", "address"}, impliedWeight},
		{" took part ", []string{"participants"}, synonymWeight},
		{" take part ", []string{"participants"}, synonymWeight},
		{" died ", []string{"fatalities", "deaths"}, synonymWeight},
		{" killed ", []string{"fatalities", "deaths"}, synonymWeight},
		{" made from ", []string{"materials"}, synonymWeight},
		{" made of ", []string{"materials"}, synonymWeight},
	} {
		if strings.Contains(q, m.phrase) {
			for _, t := range m.terms {
				out, weights = append(out, t), append(weights, m.weight)
			}
		}
	}
	return out, weights
}

// fieldBoost multiplies the score of a form field ("Total Injuries: 1
// None") whose label names what the question asks for.
const fieldBoost = 1.5

// focusTerms is how many of a question's first terms say what it asks
// for, as labels go.
const focusTerms = 2

// preferFields boosts the candidates holding a "Label: value" field whose
// label matches one of the question's first terms or a term its wording
// implies, and once more when it matches the word the question asks for
// ("Department: Hematology" for "What department is the principal
// investigator in?", over "Principal Investigator: Gao Lei").
func preferFields(focus []string, asked string, cands []sentence) {
	if len(focus) == 0 {
		return
	}
	for i := range cands {
		if cands[i].score > 0 && labelMatches(cands[i].text, focus) {
			cands[i].score *= fieldBoost
			if asked != "" && labelMatches(cands[i].text, []string{asked}) {
				cands[i].score *= fieldBoost
			}
		}
	}
}

// askedTerm returns the term a "what X" or "which X" question asks for
// ("department" in "What department is …", "class" in "Which class …"),
// or "".
func askedTerm(question string) string {
	w := questionWords(question)
	if len(w) < 2 || w[0] != "what" && w[0] != "which" {
		return ""
	}
	if t := orderedTerms(w[1]); len(t) == 1 {
		return t[0]
	}
	return ""
}

// labelMatches reports whether one of the up to three words before a
// colon in text matches one of terms.
func labelMatches(text string, terms []string) bool {
	for rest := text; ; {
		i := strings.Index(rest, ":")
		if i < 0 {
			return false
		}
		words := strings.FieldsFunc(rest[:i], func(r rune) bool { return !unicode.IsLetter(r) })
		for _, w := range words[max(0, len(words)-3):] {
			w = strings.ToLower(w)
			for _, t := range terms {
				if matchTerm(t, []byte(w)) > 0 {
					return true
				}
			}
		}
		rest = rest[i+1:]
	}
}
