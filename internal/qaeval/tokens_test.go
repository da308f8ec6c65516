package qaeval

import (
	"math"
	"slices"
	"testing"
)

func TestAnswerTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"$37,499.96 paid [1].", []string{"37499.96", "paid", "1"}},
		{"5194 ft", []string{"5194", "ft"}},
		{"5194ft, 7:30 a.m.", []string{"5194", "ft", "7", "30", "a", "m"}},
		{"Model 737–8", []string{"model", "737", "8"}},
		{"十五天", []string{"十", "五", "天"}},
	}
	for _, tt := range tests {
		if got := answerTokens(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("answerTokens(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAnswerMatching(t *testing.T) {
	answer := answerTokens(stripCitations("The pilot had 1,364 hours in total [1]. He held a Class 3 certificate [2, 3]."))
	if !containsTokens(answer, answerTokens("1364 hours")) || !containsTokens(answer, answerTokens("class 3")) {
		t.Errorf("gold answers not found in %q", answer)
	}
	if containsTokens(answer, answerTokens("hours 1364")) || containsTokens(answer, nil) {
		t.Error("tokens out of order, or an empty gold answer, matched")
	}
	if f := tokenF1(answerTokens("1364 hours"), answerTokens("1,364 hours")); f != 1 {
		t.Errorf("F1 of equal answers = %v", f)
	}
	// 2 of 4 answer tokens are right, and both gold tokens are found.
	if f := tokenF1(answerTokens("the pilot flew 1364 hours"), answerTokens("1364 hours")); math.Abs(f-2*0.5*1/1.5) > 1e-9 {
		t.Errorf("F1 = %v", f)
	}
	if f := tokenF1(answerTokens("no match"), answerTokens("1364")); f != 0 {
		t.Errorf("F1 of disjoint answers = %v", f)
	}
}
