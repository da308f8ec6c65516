package chat

import (
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/tmc/langchaingo/llms"

	"docent/retrieval"
)

// DefaultSystemPrompt is the system prompt used when Config.SystemPrompt is
// empty. The numbered sources follow in the user message, next to the
// question.
const DefaultSystemPrompt = `You are docent, an assistant that answers questions about the user's documents.
Answer only from the numbered sources given with the question; do not use outside knowledge.
Cite the sources you use by their numbers in square brackets, like [1] or [2][3], right after the statement they support.
If the sources do not contain the answer, say plainly that the documents do not contain it; do not guess.
Answer in the language of the question, concisely.`

// Prompt budget constants, in estimated tokens.
const (
	// messageOverhead is what a chat template adds around each message.
	messageOverhead = 4
	// minSourceTokens is the least room the sources get, however long the
	// system prompt and the question.
	minSourceTokens = 256
	// minPassageTokens is the least a truncated passage keeps; a passage
	// that would get less is left out.
	minPassageTokens = 32
)

// prompt is a built prompt and what went into it.
type prompt struct {
	messages []llms.MessageContent
	sources  []Passage // the passages included, numbered from 1
	turns    int       // history turns included
	tokens   int       // estimated size
}

// buildPrompt lays out the messages for an answer: the system prompt, the
// recent history, and a last user message holding the numbered sources and
// the question. It fits them in the context minus the room kept for the
// answer: the sources may use up to three quarters of what is left after
// the system prompt and the question, the history gets the rest (and what
// the sources leave unused), newest turns first; then passages are
// trimmed, the last ones first, to what the history left.
func (e *Engine) buildPrompt(question string, history []Turn, passages []Passage) prompt {
	return e.buildPromptWith(e.system, question, history, passages)
}

// buildPromptWith is buildPrompt with another system prompt.
func (e *Engine) buildPromptWith(system, question string, history []Turn, passages []Passage) prompt {
	const framing = "\nAnswer from the sources above, citing them as [n].\nQuestion: "
	fixed := EstimateTokens(system) + EstimateTokens(question) + EstimateTokens(framing) + 2*messageOverhead
	avail := max(e.cfg.ContextTokens-e.cfg.AnswerTokens-fixed, minSourceTokens)
	costs, need := make([]int, len(passages)), 0
	for i, p := range passages {
		costs[i] = EstimateTokens(strings.TrimSpace(p.Text))
		need += costs[i] + EstimateTokens(sourceHeader(i, p))
	}
	turns, used := historyWindow(history, avail-min(need, avail*3/4))
	sources, text := numberSources(passages, costs, avail-used)

	msgs := make([]llms.MessageContent, 0, len(turns)+2)
	msgs = append(msgs, llms.TextParts(llms.ChatMessageTypeSystem, system))
	for _, t := range turns {
		role := llms.ChatMessageTypeHuman
		if t.Role == "assistant" {
			role = llms.ChatMessageTypeAI
		}
		msgs = append(msgs, llms.TextParts(role, t.Content))
	}
	msgs = append(msgs, llms.TextParts(llms.ChatMessageTypeHuman, text+framing+question))
	return prompt{
		messages: msgs, sources: sources, turns: len(turns),
		tokens: fixed + used + EstimateTokens(text),
	}
}

// historyWindow returns the most recent turns that fit in budget tokens,
// oldest first, and their cost. Turns are kept whole, newest first, except
// the first one that does not fit: it is shortened to the room left (if
// that is at least minTurnTokens, and keeping room for the question an
// answer replies to). Empty turns and unknown roles are skipped, old
// citation marks removed (they numbered other sources), and the window
// made to alternate user and assistant turns, from a user turn to an
// assistant turn, as strict chat templates require.
func historyWindow(history []Turn, budget int) ([]Turn, int) {
	var kept []Turn
	used, cut := 0, false
	for i := len(history) - 1; i >= 0; i-- {
		t, ok := cleanTurn(history[i])
		if !ok {
			continue
		}
		cost := turnCost(t)
		if used+cost > budget {
			room := budget - used - messageOverhead
			if t.Role == "assistant" && i > 0 && history[i-1].Role == "user" {
				room -= EstimateTokens(history[i-1].Content) + messageOverhead
			}
			if cut || room < minTurnTokens {
				break
			}
			t.Content, cut = truncateTokens(t.Content, room), true
			cost = turnCost(t)
		}
		kept = append(kept, t)
		used += cost
	}
	slices.Reverse(kept)
	kept = alternate(kept)
	used = 0
	for _, t := range kept {
		used += turnCost(t)
	}
	return kept, used
}

// minTurnTokens is the least a shortened history turn keeps.
const minTurnTokens = 64

func turnCost(t Turn) int { return EstimateTokens(t.Content) + messageOverhead }

// cleanTurn prepares a turn for the prompt; it reports false for a turn to
// skip.
func cleanTurn(t Turn) (Turn, bool) {
	if t.Role != "user" && t.Role != "assistant" {
		return t, false
	}
	if t.Role == "assistant" {
		t.Content = stripCitations(t.Content)
	}
	t.Content = strings.TrimSpace(t.Content)
	return t, t.Content != ""
}

// alternate merges consecutive turns of one role and trims the window to
// run from a user turn to an assistant turn.
func alternate(turns []Turn) []Turn {
	var out []Turn
	for _, t := range turns {
		switch {
		case len(out) == 0 && t.Role == "assistant":
		case len(out) > 0 && out[len(out)-1].Role == t.Role:
			out[len(out)-1].Content += "\n\n" + t.Content
		default:
			out = append(out, t)
		}
	}
	if len(out) > 0 && out[len(out)-1].Role == "user" {
		out = out[:len(out)-1] // the question follows: no two user turns in a row
	}
	return out
}

// numberSources writes the passages, whose texts cost costs tokens, as
// numbered sources within budget tokens and returns those included. A
// passage that does not fit whole is truncated, and the ones after it are
// left out; the first passage is always included.
func numberSources(passages []Passage, costs []int, budget int) ([]Passage, string) {
	var b strings.Builder
	b.Grow(len("Sources:\n") + 4*budget)
	b.WriteString("Sources:\n")
	left := budget - 3
	for i, p := range passages {
		header := sourceHeader(i, p)
		text, cost := strings.TrimSpace(p.Text), costs[i]
		room := left - EstimateTokens(header)
		full := cost <= room
		if !full {
			if room < minPassageTokens && i > 0 {
				return passages[:i], b.String()
			}
			text = truncateTokens(text, max(room, minPassageTokens))
			cost = EstimateTokens(text)
		}
		b.WriteString(header)
		b.WriteString(text)
		b.WriteByte('\n')
		left -= EstimateTokens(header) + cost
		if !full {
			return passages[:i+1], b.String()
		}
	}
	return passages, b.String()
}

// sourceHeader is the line introducing source i: "\n[1] report.pdf, page 3\n",
// with the document's title first when it says more than the file name
// ("[1] Annual Report 2023 — report.pdf, pages 3–4").
func sourceHeader(i int, p Passage) string {
	h := "\n[" + strconv.Itoa(i+1) + "] "
	if p.Title != "" && !strings.EqualFold(p.Title, retrieval.ReadableName(p.Filename)) {
		h += oneLine(p.Title) + " — "
	}
	h += oneLine(p.Filename)
	switch {
	case p.EndPage > p.Page && p.Page > 0:
		h += ", pages " + strconv.Itoa(p.Page) + "–" + strconv.Itoa(p.EndPage)
	case p.Page > 0:
		h += ", page " + strconv.Itoa(p.Page)
	}
	return h + "\n"
}

// oneLine replaces control characters, newlines included, with spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// Citations returns the source numbers cited in text — as [1], [1, 2],
// [1][2] or 【1】 — in order of first appearance, without duplicates.
func Citations(text string) []int {
	var out []int
	seen := map[int]bool{}
	forEachCitation(text, func(_, _ int, nums []int) {
		for _, n := range nums {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	})
	return out
}

// stripCitations removes citation marks from text.
func stripCitations(text string) string {
	var b strings.Builder
	last := 0
	forEachCitation(text, func(start, end int, _ []int) {
		b.WriteString(strings.TrimRight(text[last:start], " "))
		last = end
	})
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// forEachCitation calls fn with the byte span and the numbers of each
// citation mark in text.
func forEachCitation(text string, fn func(start, end int, nums []int)) {
	for i := 0; i < len(text); i++ {
		open := 0
		switch {
		case text[i] == '[':
			open = 1
		case strings.HasPrefix(text[i:], "【"):
			open = len("【")
		default:
			continue
		}
		nums, n := parseCitation(text[i+open:])
		if n > 0 {
			fn(i, i+open+n, nums)
			i += open + n - 1
		}
	}
}

// parseCitation parses "1, 2]" (the text after an opening bracket) and
// returns the numbers and the length consumed, closing bracket included;
// 0 when s does not start with a citation.
func parseCitation(s string) ([]int, int) {
	var nums []int
	cur, digits := 0, 0
	for i := 0; i < len(s) && i < 32; i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9' && digits < 4:
			cur = cur*10 + int(c-'0')
			digits++
		case c == ',' || c == ' ':
			if digits > 0 {
				nums = append(nums, cur)
			}
			cur, digits = 0, 0
		case c == ']' || strings.HasPrefix(s[i:], "】"):
			if digits > 0 {
				nums = append(nums, cur)
			}
			if len(nums) == 0 || slices.Contains(nums, 0) {
				return nil, 0
			}
			if c == ']' {
				return nums, i + 1
			}
			return nums, i + len("】")
		default:
			return nil, 0
		}
	}
	return nil, 0
}
