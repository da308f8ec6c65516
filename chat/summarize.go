package chat

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tmc/langchaingo/llms"
)

// ErrNoText is returned by Engine.Summarize for a document without text.
var ErrNoText = errors.New("chat: the document has no text to summarize")

// Summarizing limits.
const (
	// maxMapCalls bounds the LLM calls of the first map round; a longer
	// document is first shortened extractively to fit.
	maxMapCalls = 32
	// maxReduceRounds bounds the rounds of summarizing summaries.
	maxReduceRounds = 4
	// mapReplyTokens caps each partial summary.
	mapReplyTokens = 400
	// summary sizes of the extractive summarizer.
	minSummarySentences = 3
	maxSummarySentences = 6
	maxSummaryRunes     = 1000
	maxKeyPoints        = 5
	maxKeyPointRunes    = 200
)

const summarizeSystem = `You summarize documents faithfully, using only the text given.
Keep names, numbers and dates exact. Write in the language of the document.`

// Summary is the summary and key points of a document.
type Summary struct {
	Summary    string   `json:"summary"`
	KeyPoints  []string `json:"key_points"`
	Mode       string   `json:"mode"`            // ModeLLM or ModeExtractive
	Model      string   `json:"model,omitempty"` // the LLM's name in ModeLLM
	TokensUsed int      `json:"tokens_used"`     // LLM tokens over all calls
}

// Summarize summarizes the document filename from its chunks, in order.
//
// With an LLM it maps and reduces: consecutive chunks are grouped to fit
// the context and each group is summarized, then the partial summaries
// (grouped again if need be) are combined into a summary and key points.
// A document needing more than 32 groups is first shortened to its most
// central sentences. Without an LLM the summary is the document's most
// central sentences (those sharing the most frequent terms), in document
// order, and the key points the next ones, one per chunk.
func (e *Engine) Summarize(ctx context.Context, filename string, chunks []string) (Summary, error) {
	var texts []string
	for _, c := range chunks {
		if c = strings.TrimSpace(c); c != "" {
			texts = append(texts, c)
		}
	}
	if len(texts) == 0 {
		return Summary{}, ErrNoText
	}
	if e.llm == nil {
		s, points := extractiveSummary(texts)
		return Summary{Summary: s, KeyPoints: points, Mode: ModeExtractive}, nil
	}
	return e.summarizeLLM(ctx, oneLine(filename), texts)
}

func (e *Engine) summarizeLLM(ctx context.Context, filename string, texts []string) (Summary, error) {
	sum := Summary{Mode: ModeLLM, Model: e.Model()}
	budget := e.cfg.ContextTokens - e.cfg.AnswerTokens - EstimateTokens(summarizeSystem) - 100
	if total := totalTokens(texts); total > maxMapCalls*budget {
		// Aim under the limit: grouping wastes part of each group.
		texts = shorten(texts, 0.8*float64(maxMapCalls*budget)/float64(total))
	}
	for round := 0; ; round++ {
		groups := group(texts, budget)
		if len(groups) == 1 || round == maxReduceRounds {
			prompt := fmt.Sprintf(finalPrompt, filename, truncateTokens(strings.Join(groups, "\n\n"), budget))
			out, err := e.call(ctx, prompt, e.cfg.AnswerTokens, &sum.TokensUsed)
			if err != nil {
				return sum, err
			}
			sum.Summary, sum.KeyPoints = parseSummary(out)
			return sum, nil
		}
		partials := make([]string, 0, len(groups))
		for i, g := range groups {
			prompt := fmt.Sprintf(mapPrompt, i+1, len(groups), filename, g)
			out, err := e.call(ctx, prompt, min(mapReplyTokens, e.cfg.AnswerTokens), &sum.TokensUsed)
			if err != nil {
				return sum, err
			}
			partials = append(partials, out)
		}
		texts = partials
	}
}

const mapPrompt = `Summarize part %d of %d of the document %q in a few sentences, keeping its key facts:

%s`

const finalPrompt = `Here is the text (or summaries of the parts) of the document %q:

%s

Summarize the document. Reply in exactly this format:
SUMMARY: one paragraph of at most six sentences
KEY POINTS:
- a key point
- another key point
(three to seven key points)`

// call makes one summarizing call and adds its tokens to used.
func (e *Engine) call(ctx context.Context, prompt string, maxTokens int, used *int) (string, error) {
	msgs := []llms.MessageContent{
		llms.TextParts(llms.ChatMessageTypeSystem, summarizeSystem),
		llms.TextParts(llms.ChatMessageTypeHuman, prompt),
	}
	out, err := e.llm.generate(ctx, "summarize", msgs, maxTokens, nil)
	*used += out.tokens(EstimateTokens(summarizeSystem) + EstimateTokens(prompt))
	if err != nil {
		return "", err
	}
	text := out.text
	if i := strings.LastIndex(text, "</think>"); i >= 0 {
		text = text[i+len("</think>"):]
	}
	if text = strings.TrimSpace(text); text == "" {
		return "", e.llm.emptyReply("summarize")
	}
	return text, nil
}

func totalTokens(texts []string) int {
	n := 0
	for _, t := range texts {
		n += EstimateTokens(t)
	}
	return n
}

// group joins consecutive texts into groups of at most budget tokens; a
// text larger than that is truncated into a group of its own.
func group(texts []string, budget int) []string {
	var groups []string
	var cur strings.Builder
	used := 0
	for _, t := range texts {
		cost := EstimateTokens(t) + 1
		if cur.Len() > 0 && used+cost > budget {
			groups = append(groups, cur.String())
			cur.Reset()
			used = 0
		}
		if cost > budget {
			t, cost = truncateTokens(t, budget-1), budget
		}
		if cur.Len() > 0 {
			cur.WriteString("\n\n")
		}
		cur.WriteString(t)
		used += cost
	}
	return append(groups, cur.String())
}

// parseSummary reads the "SUMMARY: ... KEY POINTS: - ..." reply format. A
// reply that does not follow it is taken whole as the summary.
func parseSummary(reply string) (string, []string) {
	lines := strings.Split(reply, "\n")
	head := len(lines)
	for i, l := range lines {
		h := strings.ToLower(strings.Trim(l, " *#:："))
		if h == "key points" || h == "要点" || h == "关键要点" || strings.HasPrefix(h, "key points:") {
			head = i
			break
		}
	}
	summary := strings.TrimSpace(strings.Join(lines[:head], "\n"))
	summary = strings.TrimSpace(strings.TrimLeft(summary, "*# "))
	for _, p := range []string{"summary:", "summary", "摘要：", "摘要:"} {
		if len(summary) >= len(p) && strings.EqualFold(summary[:len(p)], p) {
			summary = strings.TrimSpace(strings.TrimLeft(summary[len(p):], "*: "))
			break
		}
	}
	var points []string
	for _, l := range lines[min(head+1, len(lines)):] {
		if p := trimBullet(l); p != "" {
			points = append(points, p)
		}
	}
	return summary, points
}

// trimBullet removes a list marker ("- ", "* ", "• ", "1. ", "1) ") and
// bold markup from a line.
func trimBullet(line string) string {
	l := strings.TrimSpace(line)
	l = strings.TrimLeft(l, "-*•·")
	digits := strings.TrimLeft(l, "0123456789")
	if len(digits) < len(l) && (strings.HasPrefix(digits, ".") || strings.HasPrefix(digits, ")")) {
		l = digits[1:]
	}
	return strings.TrimSpace(strings.ReplaceAll(l, "**", ""))
}

// extractiveSummary returns the most central sentences of a document, in
// document order, and key points: the next most central sentences, one per
// chunk.
func extractiveSummary(chunks []string) (string, []string) {
	cands := documentSentences(chunks)
	if len(cands) == 0 {
		return "", nil
	}
	scoreCentrality(cands)
	n := min(max(len(cands)/15, minSummarySentences), maxSummarySentences)
	chosen := pickDistinct(cands, nil, n, maxSummaryRunes, false)
	points := pickDistinct(cands, chosen, maxKeyPoints, maxKeyPoints*maxKeyPointRunes, true)

	var b strings.Builder
	for i, s := range chosen {
		if i > 0 && !(isWideEnd(b.String()) && isWideStart(s.text)) {
			b.WriteByte(' ')
		}
		b.WriteString(excerpt(s.text, nil, maxSentenceRunes))
	}
	var kp []string
	for _, s := range points {
		kp = append(kp, excerpt(s.text, nil, maxKeyPointRunes))
	}
	return b.String(), kp
}

// documentSentences splits chunks into sentences numbered in document
// order; sentences repeated by overlapping chunks appear once. Headings,
// page furniture and running headers (lines found in three chunks or more)
// are left out, and so are fragments when the document has body
// sentences (see isBodySentence).
func documentSentences(chunks []string) []sentence {
	group := make([]int, len(chunks))
	for i := range group {
		group[i] = i
	}
	repeated := repeatedLines(chunks, group, 3)
	var out, body []sentence
	seen := map[string]bool{}
	for i, c := range chunks {
		for _, b := range blocks(c, repeated) {
			if b.heading {
				continue
			}
			for _, s := range splitSentences(b.text) {
				if seen[s] {
					continue
				}
				seen[s] = true
				sen := sentence{text: s, passage: i, pos: len(out), size: wordCount(s), terms: terms(s)}
				out = append(out, sen)
				if isBodySentence(s, sen.size) {
					body = append(body, sen)
				}
			}
		}
	}
	if len(body) >= minSummarySentences {
		return body
	}
	return out
}

// isBodySentence reports whether s reads as a sentence of running text
// rather than a form field, table row or caption: five words or more (a
// CJK character counts half), not starting in lower case (the tail of a
// sentence cut by a chunk boundary), closed by a full stop, question or
// exclamation mark, and mostly in lower case.
func isBodySentence(s string, words int) bool {
	if first, _ := utf8.DecodeRuneInString(s); words < 5 || unicode.IsLower(first) {
		return false // a fragment, or the tail of a sentence cut by a chunk boundary
	}
	t := strings.TrimRight(s, `"')]”’」』）`)
	last, _ := utf8.DecodeLastRuneInString(t)
	if !strings.ContainsRune(".!?。！？", last) {
		return false
	}
	upper, lower := 0, 0
	for _, r := range s {
		switch {
		case unicode.IsUpper(r):
			upper++
		case unicode.IsLower(r):
			lower++
		}
	}
	return lower >= 2*upper || hasCJK(s)
}

// scoreCentrality scores each sentence by how much it shares the
// document's recurring terms: the sum, over its terms found in other
// sentences too, of log(1 + the number of sentences holding the term),
// divided by the square root of its term count, discounted for fragments
// and run-ons; the opening sentences get a small bonus.
func scoreCentrality(cands []sentence) {
	df := map[string]int{}
	for _, s := range cands {
		for _, t := range s.terms {
			df[t]++
		}
	}
	for i := range cands {
		s := &cands[i]
		sum := 0.0
		for _, t := range s.terms {
			if df[t] > 1 {
				sum += math.Log(1 + float64(df[t]))
			}
		}
		s.score = (sum/math.Sqrt(float64(len(s.terms)+1)) + 0.01) * lengthFactor(s.size)
		if s.pos < 3 {
			s.score *= 1.1
		}
	}
}

// pickDistinct returns up to n of the best-scoring sentences that are not
// similar to one in exclude or to each other, about maxRunes long in all,
// in document order; with perChunk, at most one per chunk and none from a
// chunk in exclude.
func pickDistinct(cands, exclude []sentence, n, maxRunes int, perChunk bool) []sentence {
	order := make([]int, len(cands))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return cands[order[a]].score > cands[order[b]].score })
	used := map[int]bool{}
	for _, s := range exclude {
		used[s.passage] = true
	}
	var out []sentence
	runes := 0
	for _, i := range order {
		s := cands[i]
		size := min(len([]rune(s.text)), maxSentenceRunes)
		switch {
		case len(out) == n:
			return byPosition(out)
		case perChunk && used[s.passage], len(out) > 0 && runes+size > maxRunes,
			similarToAny(s, exclude), similarToAny(s, out):
			continue
		}
		out = append(out, s)
		runes += size
		used[s.passage] = true
	}
	return byPosition(out)
}

func byPosition(s []sentence) []sentence {
	sort.Slice(s, func(a, b int) bool { return s[a].pos < s[b].pos })
	return s
}

// shorten keeps about ratio of each text: its most central sentences, in
// order. It lets a long document fit maxMapCalls LLM calls.
func shorten(texts []string, ratio float64) []string {
	cands := documentSentences(texts)
	scoreCentrality(cands)
	budget := make([]float64, len(texts))
	for i, t := range texts {
		budget[i] = ratio * float64(EstimateTokens(t))
	}
	keep := make([]bool, len(cands))
	order := make([]int, len(cands))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return cands[order[a]].score > cands[order[b]].score })
	for _, i := range order {
		s := cands[i]
		if cost := float64(EstimateTokens(s.text)); cost <= budget[s.passage] {
			budget[s.passage] -= cost
			keep[i] = true
		}
	}
	out := make([]string, len(texts))
	for i, s := range cands {
		if keep[i] {
			out[s.passage] += s.text + " "
		}
	}
	var nonEmpty []string
	for _, t := range out {
		if t = strings.TrimSpace(t); t != "" {
			nonEmpty = append(nonEmpty, t)
		}
	}
	return nonEmpty
}
