package chat

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tmc/langchaingo/llms"
)

// Condensing limits.
const (
	// condenseHistoryTokens bounds the conversation shown to the model.
	condenseHistoryTokens = 1024
	// condenseTurnTokens bounds each turn within it.
	condenseTurnTokens = 200
	// condenseReplyTokens caps the condensed query.
	condenseReplyTokens = 128
	// maxKeyTerms is how many terms of the previous question are added to
	// a follow-up without an LLM.
	maxKeyTerms = 8
)

const condensePrompt = `You rewrite follow-up questions for a document search engine.
Given a conversation and a follow-up question, rewrite the follow-up as one standalone question that can be understood without the conversation: replace pronouns and references with what they refer to.
Keep the language of the follow-up question. If it is already standalone, repeat it unchanged.
Reply with the question only: no explanation, no quotes, no prefix.`

// searchQuery returns the query to retrieve with and the LLM tokens spent
// on it. A first question is searched as is. A follow-up is condensed into
// a standalone question by the LLM; without one, the key terms of the
// previous user turn are appended to it.
func (e *Engine) searchQuery(ctx context.Context, question string, history []Turn) (string, int, error) {
	if len(history) == 0 {
		return question, 0, nil
	}
	if e.llm == nil {
		return expandQuery(question, history), 0, nil
	}
	return e.condense(ctx, question, history)
}

// condense asks the LLM to rewrite question as a standalone query. An
// unusable reply (empty, or rambling) leaves the question as it is; a
// failing server is an error.
func (e *Engine) condense(ctx context.Context, question string, history []Turn) (string, int, error) {
	var b strings.Builder
	b.WriteString("Conversation:\n")
	for _, t := range condenseWindow(history) {
		b.WriteString(t.Role)
		b.WriteString(": ")
		b.WriteString(oneLine(t.Content))
		b.WriteByte('\n')
	}
	b.WriteString("\nFollow-up question: ")
	b.WriteString(question)
	b.WriteString("\nStandalone question:")
	msgs := []llms.MessageContent{
		llms.TextParts(llms.ChatMessageTypeSystem, condensePrompt),
		llms.TextParts(llms.ChatMessageTypeHuman, b.String()),
	}
	out, err := e.llm.generate(ctx, "condense", msgs, condenseReplyTokens, nil)
	used := out.tokens(EstimateTokens(condensePrompt) + EstimateTokens(b.String()))
	if err != nil {
		return question, used, err
	}
	q := cleanLine(out.text, "standalone question:", "question:")
	if q == "" || utf8.RuneCountInString(q) > 3*utf8.RuneCountInString(question)+200 {
		return question, used, nil
	}
	return q, used, nil
}

// condenseWindow returns the recent turns shown when condensing, each
// shortened, within condenseHistoryTokens.
func condenseWindow(history []Turn) []Turn {
	short := make([]Turn, 0, len(history))
	for _, t := range history {
		t.Content = truncateTokens(stripCitations(t.Content), condenseTurnTokens)
		short = append(short, t)
	}
	turns, _ := historyWindow(short, condenseHistoryTokens)
	return turns
}

// cleanLine tidies a one-line LLM reply: reasoning blocks, surrounding
// quotes and markup, and any of the given prefixes (matched without case)
// are removed; only the first non-empty line is kept.
func cleanLine(reply string, prefixes ...string) string {
	if i := strings.LastIndex(reply, "</think>"); i >= 0 {
		reply = reply[i+len("</think>"):]
	} else if strings.HasPrefix(strings.TrimSpace(reply), "<think>") {
		return "" // reasoning cut off by the token limit: no answer
	}
	line := ""
	for _, l := range strings.Split(reply, "\n") {
		if line = strings.TrimSpace(l); line != "" {
			break
		}
	}
	for _, p := range prefixes {
		if len(line) >= len(p) && strings.EqualFold(line[:len(p)], p) {
			line = strings.TrimSpace(line[len(p):])
		}
	}
	return strings.TrimSpace(strings.Trim(line, "\"'“”‘’「」*`#"))
}

// expandQuery appends to question the key terms of the previous user turn
// that it lacks, so that a follow-up like "and in 2023?" still finds the
// passages about the earlier topic.
func expandQuery(question string, history []Turn) string {
	prev := ""
	for i := len(history) - 1; i >= 0; i-- {
		if history[i].Role == "user" {
			prev = history[i].Content
			break
		}
	}
	lower := strings.ToLower(question)
	var add []string
	for _, t := range keyTerms(prev) {
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

// keyTerms returns the content words of text in order, lower-cased and
// without duplicates: words that are not stop words, and CJK runs split at
// stop characters (pieces of two characters or more).
func keyTerms(text string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(t string) {
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	fields := strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for _, f := range fields {
		for _, piece := range splitScripts(strings.ToLower(f)) {
			switch r, _ := utf8.DecodeRuneInString(piece); {
			case isCJK(r):
				for _, seg := range strings.FieldsFunc(piece, isStopChar) {
					if utf8.RuneCountInString(seg) > 1 && !isStopWord(seg) {
						add(seg)
					}
				}
			case len(piece) > 1 && !isStopWord(piece):
				add(piece)
			}
		}
	}
	return out
}

// splitScripts splits a word at changes between CJK and other letters:
// "iphone手机" → "iphone", "手机".
func splitScripts(word string) []string {
	var out []string
	start := 0
	prev := false
	for i, r := range word {
		c := isCJK(r)
		if i > 0 && c != prev {
			out = append(out, word[start:i])
			start = i
		}
		prev = c
	}
	return append(out, word[start:])
}
