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
)

// standaloneReply is what the condensing model answers for a question that
// does not depend on the conversation.
const standaloneReply = "STANDALONE"

const condensePrompt = `You rewrite follow-up questions for a document search engine.
Given a conversation and a follow-up question, decide whether the follow-up depends on the conversation: it uses pronouns or references to earlier turns ("it", "they", "that report", "the same"), leaves out what it is about ("and at sea level?", "what about Texas?"), or continues the earlier topic.
If it does, rewrite it as one standalone question that can be understood without the conversation: replace pronouns and references with what they refer to, and keep the language of the follow-up question.
If it does not (a complete question, even on a new topic), reply exactly ` + standaloneReply + `.
Reply with the question or ` + standaloneReply + ` only: no explanation, no quotes, no prefix.`

// searchQuery returns the question as resolved in its conversation: the
// query to retrieve with and to score an extractive answer against. A
// first question, and a follow-up that stands alone, are searched as they
// are. With an LLM a follow-up is condensed (the model may reply that it
// stands alone); without one the rule of resolveQuestion applies. It also
// returns the LLM tokens spent and whether the resolution is tentative
// (see resolution).
func (e *Engine) searchQuery(ctx context.Context, question string, history []Turn) (string, int, resolution, error) {
	if len(history) == 0 {
		return question, 0, standalone, nil
	}
	if e.llm == nil {
		q, how := resolveQuestion(question, history)
		return q, 0, how, nil
	}
	q, used, err := e.condense(ctx, question, history)
	return q, used, standalone, err
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
	if q == "" || strings.EqualFold(strings.TrimRight(q, ".!"), standaloneReply) || utf8.RuneCountInString(q) > 3*utf8.RuneCountInString(question)+200 {
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
