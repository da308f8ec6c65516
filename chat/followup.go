package chat

import (
	"strings"
	"unicode"
)

// resolution says how a question relates to its conversation, as judged
// without an LLM.
type resolution int

const (
	// standalone: a complete question, searched as asked.
	standalone resolution = iota
	// dependent: a follow-up (a pronoun, ellipsis, "and …?", "what about
	// …?"), searched with terms carried over from the turns it follows.
	dependent
	// tentative: a short question with no sign either way ("What was the
	// probable cause?"): searched both ways, and the reading whose best
	// passage holds more of the question's own terms wins.
	tentative
)

// Limits of follow-up resolution without an LLM.
const (
	// maxKeyTerms is how many terms of the earlier topic a follow-up
	// carries.
	maxKeyTerms = 8
	// maxTopicTurns is how many earlier questions are resolved in turn to
	// find the topic a follow-up continues.
	maxTopicTurns = 8
	// maxReferringContent is the most content words a question with a
	// pronoun may have and still be taken as a follow-up: a longer one
	// says enough to be searched on its own.
	maxReferringContent = 4
	// maxFragmentWords bounds a fragment ("Site C?", "Long guns?").
	maxFragmentWords = 5
	// maxTentativeContent is the most content words of a tentative
	// question; one naming something in two words or more ("Neel
	// Kashkari") stands alone.
	maxTentativeContent = 3
	// switchMargin is how much more of a tentative question's own terms
	// the passages found for it alone must hold than those found for it
	// with the conversation's terms, for the question to be taken alone:
	// a conversation is more often continued than left.
	switchMargin = 0.25
)

// resolveQuestion resolves a question against the conversation before it,
// without an LLM. The earlier user turns are resolved in order, each
// against the one before, so that a chain of follow-ups keeps its topic.
// A dependent or tentative question gets the key terms of the resolved
// previous question that it lacks (at most maxKeyTerms); a standalone one
// (or one with nothing before it) is returned as it is.
func resolveQuestion(question string, history []Turn) (string, resolution) {
	var asked []string
	for i := len(history) - 1; i >= 0 && len(asked) < maxTopicTurns; i-- {
		if history[i].Role == "user" {
			asked = append(asked, history[i].Content)
		}
	}
	topic := ""
	for i := len(asked) - 1; i >= 0; i-- {
		if how := classify(asked[i]); how == standalone || topic == "" {
			topic = asked[i]
		} else {
			topic = carry(asked[i], topic)
		}
	}
	how := classify(question)
	if topic == "" || how == standalone {
		return question, standalone
	}
	return carry(question, topic), how
}

// carry appends to question the key terms of topic that it lacks.
func carry(question, topic string) string {
	lower := strings.ToLower(question)
	var add []string
	for _, t := range keyTerms(topic) {
		if len(add) == maxKeyTerms {
			break
		}
		if !strings.Contains(lower, t) {
			add = append(add, t)
		}
	}
	if len(add) == 0 {
		return question
	}
	return question + " " + strings.Join(add, " ")
}

// classify tells whether a question depends on the conversation: it opens
// with a connective ("and", "what about"), refers back with a pronoun or a
// demonstrative and says little else, is a fragment without a question
// word, or has a single content word. A question of two or three content
// words with none of these signs is tentative, unless it names something
// in two words or more; a longer one stands alone.
func classify(question string) resolution {
	if hasCJK(question) {
		return classifyCJK(question)
	}
	words := questionWords(question)
	if len(words) == 0 {
		return standalone
	}
	content := len(keyTerms(question))
	switch {
	case opensWithConnective(words),
		refersBack(words) && content <= maxReferringContent,
		len(words) <= maxFragmentWords && !isQuestionWord(words[0]),
		content <= 1:
		return dependent
	case content <= maxTentativeContent && len(names(question)) < 2:
		return tentative
	}
	return standalone
}

// questionWords returns the lower-cased words of a question ("what's"
// gives "what" and "s").
func questionWords(q string) []string {
	return strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// opensWithConnective reports whether a question starts by continuing the
// previous one: "and …", "also …", "what about …", "how about …", "what
// else …".
func opensWithConnective(w []string) bool {
	switch w[0] {
	case "and", "also", "but", "so", "or", "plus", "then", "same", "likewise":
		return true
	}
	if len(w) > 1 {
		switch w[0] + " " + w[1] {
		case "what about", "how about", "what else", "anything else", "as for", "any other", "is that", "was that":
			return true
		}
	}
	return false
}

// refersBack reports whether a question holds a word that points back at
// the conversation: a personal pronoun, a demonstrative ("this trial",
// "in that case"), or "there" when it is not existential ("is there").
func refersBack(w []string) bool {
	for i, word := range w {
		prev, next := "", ""
		if i > 0 {
			prev = w[i-1]
		}
		if i+1 < len(w) {
			next = w[i+1]
		}
		switch word {
		case "it", "its", "itself", "they", "them", "their", "theirs", "themselves",
			"he", "him", "his", "himself", "she", "her", "hers", "herself",
			"this", "these", "those", "former", "latter", "aforementioned":
			return true
		case "that":
			if next == "" || i == 0 || isAuxiliary(next) || isPreposition(prev) || isAuxiliary(prev) {
				return true
			}
		case "there":
			if !isAuxiliary(prev) && !isAuxiliary(next) && prev != "any" {
				return true
			}
		}
	}
	return false
}

func isAuxiliary(w string) bool {
	switch w {
	case "is", "are", "was", "were", "be", "been", "do", "does", "did", "has", "have", "had",
		"will", "would", "can", "could", "should", "may", "might", "must", "s", "mean", "means":
		return true
	}
	return false
}

func isPreposition(w string) bool {
	switch w {
	case "in", "of", "on", "for", "with", "after", "before", "from", "to", "by", "about",
		"at", "during", "under", "like", "than":
		return true
	}
	return false
}

// isQuestionWord reports whether a question starting with w is a full
// question or request rather than a fragment.
func isQuestionWord(w string) bool {
	switch w {
	case "what", "who", "whom", "whose", "which", "when", "where", "why", "how",
		"is", "are", "was", "were", "do", "does", "did", "can", "could", "will", "would",
		"should", "has", "have", "had", "may", "might", "must", "shall",
		"list", "name", "give", "tell", "show", "describe", "explain", "summarize",
		"summarise", "find", "define", "compare", "please", "i", "in", "on", "at", "for", "from",
		"according", "under", "during", "after", "before":
		return true
	}
	return false
}

// classifyCJK classifies a Chinese (or Japanese) question: a trailing 呢,
// an opening 那/还有/另外, or a pronoun makes it a follow-up, and so does
// having at most one content term.
func classifyCJK(q string) resolution {
	t := strings.TrimRight(strings.TrimSpace(q), "？?！!。. ")
	for _, p := range []string{"那么", "那", "还有", "另外", "同样", "那个", "这个"} {
		if strings.HasPrefix(t, p) {
			return dependent
		}
	}
	if strings.HasSuffix(t, "呢") || strings.ContainsAny(t, "它他她其该此") || strings.Contains(t, "上述") {
		return dependent
	}
	if len(keyTerms(q)) <= 1 {
		return dependent
	}
	return standalone
}

// ownCoverage returns the share of the question's own terms that text
// contains (prefix matches count in part, as in sentence scoring).
func ownCoverage(own []string, text string) float64 {
	if len(own) == 0 {
		return 0
	}
	got := make([]float64, len(own))
	forEachTerm(text, func(t []byte) {
		for i, q := range own {
			if got[i] < 1 {
				got[i] = max(got[i], matchTerm(q, t))
			}
		}
	})
	sum := 0.0
	for _, g := range got {
		sum += g
	}
	return sum / float64(len(own))
}

// bestCoverage returns the most of the own terms that one of passages
// holds (see ownCoverage).
func bestCoverage(own []string, passages []Passage) float64 {
	best := 0.0
	for _, p := range passages {
		best = max(best, ownCoverage(own, p.Text))
	}
	return best
}
