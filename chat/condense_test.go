package chat

import (
	"slices"
	"testing"
)

func TestResolveQuestion(t *testing.T) {
	vacation := []Turn{{"user", "What is the vacation policy?"}, {"assistant", "25 days [1]."}}
	boil := []Turn{{"user", "How long should water boil at high altitude?"}, {"assistant", "Three minutes [1]."}}
	tests := []struct {
		name     string
		question string
		history  []Turn
		want     string
		how      resolution
	}{
		{"ellipsis with and", "and for managers?", vacation, "and for managers? vacation policy", dependent},
		{"and at sea level", "And at sea level?", boil, "And at sea level? long water boil high altitude", dependent},
		{"what about", "What about hikers?", boil, "What about hikers? long water boil high altitude", dependent},
		{"pronoun", "Why does it take longer?", boil, "Why does it take longer? water boil high altitude", dependent},
		{"demonstrative", "Who approved this policy?", vacation, "Who approved this policy? vacation", dependent},
		{"fragment", "Managers?", vacation, "Managers? vacation policy", dependent},
		{"one content word", "What is the limit?", vacation, "What is the limit? vacation policy", dependent},
		{"short without a sign", "Who signs expenses?", vacation, "Who signs expenses? vacation policy", tentative},
		{"new topic", "Who won the 1954 football world cup final?", vacation, "Who won the 1954 football world cup final?", standalone},
		{"new topic sharing a word", "How much is dinner reimbursed on a trip?", []Turn{{"user", "Is first class allowed on trains during a trip?"}},
			"How much is dinner reimbursed on a trip? first class allowed trains during", tentative},
		{"short question naming something", "How many votes did Neel Kashkari get?", vacation, "How many votes did Neel Kashkari get?", standalone},
		{"existential there", "Is there a limit on hotel rooms in Geneva?", vacation, "Is there a limit on hotel rooms in Geneva?", standalone},
		{"relative that", "What is the date that comments on the rule are due?", vacation, "What is the date that comments on the rule are due?", standalone},
		{"long question with a pronoun", "Which training intervention reduced work-family conflict for shift workers and their families?",
			[]Turn{{"user", "How many patients will be enrolled in the stem cell dressing trial?"}},
			"Which training intervention reduced work-family conflict for shift workers and their families?", standalone},
		{"chain keeps the topic", "What about in Denver?", append(boil, Turn{"user", "And at sea level?"}, Turn{"assistant", "One minute [1]."}),
			"What about in Denver? sea level long water boil high altitude", dependent},
		{"chinese follow-up", "经理呢？", []Turn{{"user", "公司的年假政策是什么？"}, {"assistant", "十五天。"}}, "经理呢？ 公司 年假政策", dependent},
		{"no user turn", "and then?", []Turn{{"assistant", "only an assistant turn"}}, "and then?", standalone},
		{"first question", "And at sea level?", nil, "And at sea level?", standalone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, how := resolveQuestion(tt.question, tt.history)
			if got != tt.want || how != tt.how {
				t.Errorf("resolveQuestion(%q) = %q, %d; want %q, %d", tt.question, got, how, tt.want, tt.how)
			}
		})
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
