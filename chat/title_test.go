package chat

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"docent/internal/llmtest"
)

func TestTitleExtractive(t *testing.T) {
	e := newEngine(t, Config{})
	tests := []struct{ question, want string }{
		{"What is the vacation policy?", "What is the vacation policy?"},
		{"  What   is\nthe vacation policy? ", "What is the vacation policy?"},
		{"How many days of paid vacation do employees get after the merger of the two companies in 2021?",
			"How many days of paid vacation do employees get after the…"},
		{"", "New conversation"},
		{strings.Repeat("年假", 40), strings.Repeat("年假", 29) + "年…"},
	}
	for _, tt := range tests {
		got := e.Title(context.Background(), tt.question)
		if got != tt.want {
			t.Errorf("Title(%q) = %q, want %q", tt.question, got, tt.want)
		}
		if utf8.RuneCountInString(got) > maxTitleRunes {
			t.Errorf("Title(%q) is %d characters long", tt.question, utf8.RuneCountInString(got))
		}
	}
}

func TestTitleLLM(t *testing.T) {
	const question = "How many vacation days do employees get?"
	tests := []struct {
		reply  string
		status int
		want   string
	}{
		{reply: `"Employee Vacation Days."`, want: "Employee Vacation Days"},
		{reply: "Title: Vacation days at Acme\nI chose this because…", want: "Vacation days at Acme"},
		{reply: "<think>The user asks about leave.</think>\n**Paid leave allowance**", want: "Paid leave allowance"},
		{reply: "One two three four five six seven eight nine ten eleven", want: "One two three four five six seven eight"},
		{reply: "", want: question},
		{status: 500, want: question},
	}
	for _, p := range providers {
		for _, tt := range tests {
			s := p.start(t)
			s.Reply = func(llmtest.Request) string { return tt.reply }
			s.Status = tt.status
			got := newEngine(t, p.cfg(s.URL)).Title(context.Background(), question)
			if got != tt.want {
				t.Errorf("%s: reply %q, status %d: title %q, want %q", p.name, tt.reply, tt.status, got, tt.want)
			}
			req := s.ChatRequests()[0]
			if !strings.Contains(req.LastUser(), question) || req.MaxTokens != titleTokens {
				t.Errorf("%s: title request %+v", p.name, req)
			}
		}
	}
}
