package chat

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/tmc/langchaingo/llms"
)

// Title limits.
const (
	maxTitleRunes  = 60
	maxTitleWords  = 8
	titleTokens    = 64
	untitled       = "New conversation"
	titleLLMPrompt = `Write a title for a conversation that starts with the question below.
Use at most 8 words, in the language of the question. Reply with the title only: no quotes, no final punctuation.`
)

// Title returns a short title for a conversation that starts with
// question: written by the LLM (at most 8 words, quotes removed) when one
// is configured, else the first words of the question, at most 60
// characters, cut at a word boundary. When the LLM fails, or says nothing
// usable, the question's first words are used: a title is never an error.
func (e *Engine) Title(ctx context.Context, question string) string {
	fallback := shortTitle(question)
	if e.llm == nil || fallback == untitled {
		return fallback
	}
	msgs := []llms.MessageContent{
		llms.TextParts(llms.ChatMessageTypeSystem, titleLLMPrompt),
		llms.TextParts(llms.ChatMessageTypeHuman, truncateTokens(question, 500)),
	}
	out, err := e.llm.generate(ctx, "title", msgs, titleTokens, nil)
	if err != nil {
		return fallback
	}
	t := strings.TrimRight(cleanLine(out.text, "title:"), ".。!！?？:：")
	if t == "" {
		return fallback
	}
	if words := strings.Fields(t); len(words) > maxTitleWords {
		t = strings.Join(words[:maxTitleWords], " ")
	}
	return shortTitle(t)
}

// shortTitle returns text on one line, at most maxTitleRunes characters,
// cut at a word boundary (CJK text, having none, is cut anywhere) and
// marked with "…"; untitled for blank text.
func shortTitle(text string) string {
	t := strings.Join(strings.Fields(text), " ")
	if t == "" {
		return untitled
	}
	if utf8.RuneCountInString(t) <= maxTitleRunes {
		return t
	}
	runes := []rune(t)[:maxTitleRunes-1]
	cut := string(runes)
	if i := strings.LastIndexByte(cut, ' '); i > len(cut)/3 && !isWide(runes[len(runes)-1]) {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:，、") + "…"
}
