package chat

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tmc/langchaingo/llms"
)

func textOf(m llms.MessageContent) string {
	var b strings.Builder
	for _, p := range m.Parts {
		if t, ok := p.(llms.TextContent); ok {
			b.WriteString(t.Text)
		}
	}
	return b.String()
}

// longHistory returns n turns, alternating user and assistant, each about
// 60 tokens and tagged with its index.
func longHistory(n int) []Turn {
	h := make([]Turn, n)
	for i := range h {
		role := "user"
		if i%2 == 1 {
			role = "assistant"
		}
		h[i] = Turn{Role: role, Content: fmt.Sprintf("turn-%02d %s", i, strings.Repeat("words in the conversation ", 10))}
	}
	return h
}

func TestBuildPrompt(t *testing.T) {
	e, err := New(Config{ContextTokens: 1024, AnswerTokens: 256})
	if err != nil {
		t.Fatal(err)
	}
	p := e.buildPrompt("How many vacation days?", longHistory(20), handbook)

	if got := textOf(p.messages[0]); got != DefaultSystemPrompt || p.messages[0].Role != llms.ChatMessageTypeSystem {
		t.Errorf("first message %s %q", p.messages[0].Role, got)
	}
	last := textOf(p.messages[len(p.messages)-1])
	for i, s := range handbook {
		if !strings.Contains(last, fmt.Sprintf("[%d] %s", i+1, s.Filename)) || !strings.Contains(last, s.Text[:30]) {
			t.Errorf("last message lacks source %d: %q", i+1, last)
		}
	}
	if !strings.Contains(last, "[1] handbook.pdf, page 3\n") || !strings.HasSuffix(last, "Question: How many vacation days?") {
		t.Errorf("last message %q", last)
	}
	if len(p.sources) != len(handbook) {
		t.Errorf("%d sources kept, want %d", len(p.sources), len(handbook))
	}

	// The window holds the newest turns, starts with a user turn and drops
	// the oldest past the budget.
	if p.turns == 0 || p.turns >= 20 || len(p.messages) != p.turns+2 {
		t.Fatalf("%d turns kept in %d messages", p.turns, len(p.messages))
	}
	first, newest := textOf(p.messages[1]), textOf(p.messages[len(p.messages)-2])
	if p.messages[1].Role != llms.ChatMessageTypeHuman || !strings.HasPrefix(newest, "turn-19") || strings.Contains(textOf(p.messages[1]), "turn-00") {
		t.Errorf("window from %.8q to %.8q", first, newest)
	}
	if p.tokens > 1024-256 {
		t.Errorf("prompt of %d tokens exceeds the budget", p.tokens)
	}
}

func TestBuildPromptBudget(t *testing.T) {
	big := make([]Passage, 5)
	for i := range big {
		big[i] = Passage{Filename: fmt.Sprintf("f%d.txt", i), Text: strings.Repeat(fmt.Sprintf("Passage %d says something long. ", i), 60)}
	}
	for _, ctx := range []int{1024, 2048, 4096, 8192} {
		e, _ := New(Config{ContextTokens: ctx})
		p := e.buildPrompt("question?", longHistory(30), big)
		est := 0
		for _, m := range p.messages {
			est += EstimateTokens(textOf(m)) + messageOverhead
		}
		if limit := ctx - e.cfg.AnswerTokens; est > limit {
			t.Errorf("context %d: prompt of %d tokens exceeds %d", ctx, est, limit)
		}
		if len(p.sources) == 0 || !slices.Equal(p.sources, big[:len(p.sources)]) {
			t.Errorf("context %d: sources are not a prefix of the passages", ctx)
		}
		last := textOf(p.messages[len(p.messages)-1])
		if strings.Contains(last, fmt.Sprintf("[%d]", len(p.sources)+1)) {
			t.Errorf("context %d: a dropped source is numbered", ctx)
		}
	}
}

func TestHistoryWindow(t *testing.T) {
	long := strings.Repeat("The policy says many things about vacation. ", 100) // ~1,100 tokens
	tests := []struct {
		name    string
		history []Turn
		budget  int
		want    []Turn
	}{
		{"cleaned", []Turn{
			{"user", "first question"}, {"assistant", "It is 25 days [1]."},
			{"system", "ignored"}, {"user", "  "}, {"user", "second question"}, {"assistant", "Yes [2]."},
		}, 1000, []Turn{{"user", "first question"}, {"assistant", "It is 25 days."}, {"user", "second question"}, {"assistant", "Yes."}}},
		{"alternating", []Turn{
			{"assistant", "greeting"}, {"user", "a"}, {"user", "b"}, {"assistant", "c"}, {"user", "unanswered"},
		}, 1000, []Turn{{"user", "a\n\nb"}, {"assistant", "c"}}},
		{"too small for a pair", []Turn{{"user", "first question"}, {"assistant", "It is 25 days."}}, 10, nil},
	}
	for _, tt := range tests {
		got, used := historyWindow(tt.history, tt.budget)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
		if used > tt.budget {
			t.Errorf("%s: %d tokens used of %d", tt.name, used, tt.budget)
		}
	}

	// A long last answer is shortened, not dropped, and keeps its question.
	got, used := historyWindow([]Turn{{"user", "old"}, {"assistant", "old answer"}, {"user", "What does the policy say?"}, {"assistant", long}}, 300)
	if len(got) != 2 || got[0].Content != "What does the policy say?" || !strings.HasSuffix(got[1].Content, "…") || used > 300 {
		t.Errorf("long answer: %d tokens, %q", used, got)
	}
}

func TestCitations(t *testing.T) {
	tests := []struct {
		in   string
		want []int
	}{
		{"no citations", nil},
		{"a [1] b [2, 3] c [1][4]", []int{1, 2, 3, 4}},
		{"full width【5】and [12]", []int{5, 12}},
		{"not [x], [0], [1-2] or [3", nil},
	}
	for _, tt := range tests {
		if got := Citations(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Citations(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if got := stripCitations("It is 25 days [1]. Also [2][3] this."); got != "It is 25 days. Also this." {
		t.Errorf("stripCitations: %q", got)
	}
}
