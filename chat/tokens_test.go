package chat

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEstimateTokens(t *testing.T) {
	// Real counts are those of GPT-4o's tokenizer; the estimate may exceed
	// them by up to 60% but must not fall more than 10% short.
	tests := []struct {
		text string
		real int
	}{
		{"", 0},
		{"The quick brown fox jumps over the lazy dog.", 10},
		{"Employees receive 25 days of paid vacation per year, and unused days expire in March.", 18},
		{"公司的年假政策是什么？", 8},
		{"员工每年享有十五天带薪年假，病假需要医生证明。", 16},
		{"3.14159265358979", 7},
		{`func main() { fmt.Println("hi") }`, 10},
	}
	for _, tt := range tests {
		got := EstimateTokens(tt.text)
		if float64(got) < 0.9*float64(tt.real) || float64(got) > 1.6*float64(tt.real)+1 {
			t.Errorf("EstimateTokens(%q) = %d, real %d", tt.text, got, tt.real)
		}
	}
}

func TestEstimateTokensCJK(t *testing.T) {
	text := strings.Repeat("年假", 100)
	if got := EstimateTokens(text); got != 200 {
		t.Errorf("200 Han characters: %d tokens, want 200", got)
	}
}

func TestTruncateTokens(t *testing.T) {
	long := strings.Repeat("Vacation requests go through the HR portal. ", 50)
	zh := strings.Repeat("员工每年享有十五天带薪年假。", 50)
	tests := []struct {
		text string
		max  int
	}{
		{long, 40}, {long, 7}, {zh, 30}, {"short", 10}, {long, 1},
	}
	for _, tt := range tests {
		got := truncateTokens(tt.text, tt.max)
		if n := EstimateTokens(got); n > tt.max {
			t.Errorf("truncateTokens(%.20q…, %d) costs %d", tt.text, tt.max, n)
		}
		if !utf8.ValidString(got) {
			t.Errorf("truncateTokens(%.20q…, %d) split a character", tt.text, tt.max)
		}
		if EstimateTokens(tt.text) <= tt.max && got != tt.text {
			t.Errorf("text that fits was changed: %q", got)
		}
		if EstimateTokens(tt.text) > tt.max && !strings.HasSuffix(got, "…") {
			t.Errorf("cut not marked: %q", got)
		}
	}
	if got := truncateTokens(long, 40); !strings.HasSuffix(got, "portal.…") {
		t.Errorf("not cut at a sentence end: %q", got)
	}
}
