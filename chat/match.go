package chat

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
)

// queryStems returns the English stems of query terms, "" for a term that
// is not a Latin word of three letters or more (a number, a code, a CJK
// bigram): those match only as they are.
func queryStems(query []string) []string {
	out := make([]string, len(query))
	for i, t := range query {
		if len(t) >= 3 && isLatinWord(t) {
			out[i] = english.Stem(t, true)
		}
	}
	return out
}

// stemMatches reports whether the term t has the English stem stem
// ("aged" and "age", "participated" and "participants"). It stems t only
// when it starts like stem, which most terms of a sentence do not.
func stemMatches(stem string, t []byte) bool {
	if len(stem) < 3 || len(t) < len(stem)-1 || string(t[:len(stem)-1]) != stem[:len(stem)-1] || !isLatinWord(string(t)) {
		return false
	}
	return english.Stem(string(t), true) == stem
}

// isLatinWord reports whether t is made of the letters a to z only.
func isLatinWord(t string) bool {
	for i := 0; i < len(t); i++ {
		if t[i] < 'a' || t[i] > 'z' {
			return false
		}
	}
	return t != ""
}

// letterLabels returns the labels a question names with a word and a
// capital letter ("site C", "Group B", "Appendix A"), lower-cased ("site
// c"): the letter alone is no search term, so the label is matched as a
// phrase. The capital must stand on its own, not start the question, and
// not be the pronoun "I".
func letterLabels(question string) []string {
	words := strings.FieldsFunc(question, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-'
	})
	var out []string
	for i := 1; i < len(words); i++ {
		w, prev := words[i], words[i-1]
		r, size := utf8.DecodeRuneInString(w)
		if size != len(w) || !unicode.IsUpper(r) || w == "I" || len(prev) < 3 || isStopWord(strings.ToLower(prev)) {
			continue
		}
		out = append(out, strings.ToLower(prev)+" "+strings.ToLower(w))
	}
	return out
}

// labelLetters returns the capital letters that follow word ("site") as
// labels in text: "In Site C, …" and "at site A" give "CA".
func labelLetters(text, word string) string {
	lower := strings.ToLower(text)
	if len(lower) != len(text) {
		return ""
	}
	var out []byte
	for from := 0; ; {
		i := strings.Index(lower[from:], word)
		if i < 0 {
			return string(out)
		}
		i += from
		end := i + len(word)
		from = end
		if i > 0 && isWordByte(lower[i-1]) || end+2 > len(text) || text[end] != ' ' ||
			text[end+1] < 'A' || text[end+1] > 'Z' || end+2 < len(text) && isWordByte(lower[end+2]) {
			continue
		}
		out = append(out, text[end+1])
	}
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
}

// preferLabelled discounts the candidates that are not about any of the
// letter labels of the question when one is: asked about site C, the
// sentences about site A do not answer. A sentence is about a label when
// it names it, or when an earlier sentence of its paragraph does and no
// sentence in between names another label of the same word ("In site B,
// training focused on … The training occurred in two half-day sessions,
// conducted by …").
func preferLabelled(labels []string, cands []sentence) {
	if len(labels) == 0 {
		return
	}
	about := make([]bool, len(cands))
	any := false
	for _, l := range labels {
		word, letter, _ := strings.Cut(l, " ")
		want := strings.ToUpper(letter)
		on := false
		for i := range cands {
			if i == 0 || cands[i].passage != cands[i-1].passage || cands[i].block != cands[i-1].block {
				on = false
			}
			if found := labelLetters(cands[i].text, word); found != "" {
				on = strings.Contains(found, want)
			}
			about[i] = about[i] || on
			any = any || on
		}
	}
	if !any {
		return
	}
	for i := range cands {
		if !about[i] {
			cands[i].score *= unnamedFactor
		}
	}
}

// countBoost multiplies the score of a sentence that gives a count of what
// a "how many" question counts ("A total of 38 patients", "503
// participants", "189 fatalities").
const countBoost = 2.5

// countedTerms returns the terms a "how many" question counts: the first
// content word after "how many", and the words the question's wording
// implies for it ("took part" → "participants"). It is nil for other
// questions.
func countedTerms(question string, implied []string) []string {
	w := questionWords(question)
	for i := 0; i+2 < len(w); i++ {
		if w[i] != "how" || w[i+1] != "many" {
			continue
		}
		var out []string
		for _, x := range w[i+2:] {
			if t := orderedTerms(x); len(t) > 0 {
				out = append(out, t[0])
				break
			}
		}
		return append(out, implied...)
	}
	return nil
}

// isCount reports whether a lower-cased word is a count in digits or
// words.
func isCount(w string) bool {
	if w == "" {
		return false
	}
	if '0' <= w[0] && w[0] <= '9' {
		return true
	}
	switch w {
	case "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
		"twenty", "thirty", "forty", "fifty", "hundred", "thousand", "million", "dozen":
		return true
	}
	return false
}

// givesCount reports whether text holds a count directly followed (one
// word may come between: "38 adult patients") by one of terms, as a word,
// its plural or its stem (stems holds the terms' stems).
func givesCount(text string, terms, stems []string) bool {
	words := strings.Fields(text)
	for i, w := range words {
		if !isCount(strings.ToLower(strings.Trim(w, ",.;:()"))) {
			continue
		}
		for _, next := range words[i+1 : min(len(words), i+3)] {
			next = strings.ToLower(strings.Trim(next, ",.;:()"))
			for j, t := range terms {
				if matchTerm(t, []byte(next)) > 0 || stemMatches(stems[j], []byte(next)) {
					return true
				}
			}
		}
	}
	return false
}

// preferCount boosts the candidates that give a count of what the
// question counts. It runs last of the preferences: the best score it
// sees is final but for its own boosts.
func preferCount(counted []string, cands []sentence) {
	if len(counted) == 0 {
		return
	}
	best := 0.0
	for _, c := range cands {
		best = max(best, c.score)
	}
	stems := queryStems(counted)
	for i := range cands {
		// A sentence the boost cannot lift to keepRatio of the best is
		// not looked at.
		if cands[i].score > 0 && cands[i].score*countBoost >= keepRatio*best &&
			hasKind(cands[i].text, numberKind) && givesCount(cands[i].text, counted, stems) {
			cands[i].score *= countBoost
		}
	}
}
