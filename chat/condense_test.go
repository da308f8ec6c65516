package chat

import (
	"slices"
	"testing"
)

func TestExpandQuery(t *testing.T) {
	tests := []struct {
		question string
		history  []Turn
		want     string
	}{
		{"and for managers?", []Turn{{"user", "What is the vacation policy?"}, {"assistant", "25 days [1]."}},
			"and for managers? vacation policy"},
		{"what about the vacation policy?", []Turn{{"user", "What is the vacation policy?"}},
			"what about the vacation policy?"},
		{"经理呢？", []Turn{{"user", "公司的年假政策是什么？"}, {"assistant", "十五天。"}},
			"经理呢？ 公司 年假政策"},
		{"and then?", []Turn{{"assistant", "only an assistant turn"}}, "and then?"},
	}
	for _, tt := range tests {
		if got := expandQuery(tt.question, tt.history); got != tt.want {
			t.Errorf("expandQuery(%q) = %q, want %q", tt.question, got, tt.want)
		}
	}
}

func TestKeyTerms(t *testing.T) {
	got := keyTerms("What's the company's vacation policy for 2024? iPhone手机")
	want := []string{"company", "vacation", "policy", "2024", "iphone", "手机"}
	if !slices.Equal(got, want) {
		t.Errorf("keyTerms = %q, want %q", got, want)
	}
}

func TestCleanLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{`"What is chapter two of the report about?"`, "What is chapter two of the report about?"},
		{"Standalone question: What is X?\nBecause the user asked.", "What is X?"},
		{"<think>hmm, the user means…</think>\n\n**Vacation policy**", "Vacation policy"},
		{"\n\n  「年假政策」  ", "年假政策"},
		{"<think>The user wants a standalone question, so", ""},
	}
	for _, tt := range tests {
		if got := cleanLine(tt.in, "standalone question:"); got != tt.want {
			t.Errorf("cleanLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
