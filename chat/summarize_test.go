package chat

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"docent/internal/llmtest"
)

var manual = []string{
	"The Acme vacation policy gives every employee 25 days of paid vacation per year. Vacation is booked in the HR portal.",
	"Lunch is served in the cafeteria on the ground floor. The menu changes weekly.",
	"Unused vacation days can be carried over to the next year, up to 5 days. Vacation days beyond that expire in March.",
	"Managers approve vacation requests within three working days. Employees get an email when their vacation is approved.",
	"The office is closed on public holidays. Parking is free for employees.",
}

func TestSummarizeExtractive(t *testing.T) {
	e := newEngine(t, Config{})
	sum, err := e.Summarize(context.Background(), "handbook.pdf", manual)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Mode != ModeExtractive || sum.Model != "" || sum.TokensUsed != 0 {
		t.Errorf("summary %+v", sum)
	}
	// The vacation sentences share the document's recurring terms.
	for _, want := range []string{"25 days of paid vacation", "carried over"} {
		if !strings.Contains(sum.Summary, want) {
			t.Errorf("summary %q lacks %q", sum.Summary, want)
		}
	}
	if strings.Contains(sum.Summary, "cafeteria") {
		t.Errorf("summary %q quotes an unrelated sentence", sum.Summary)
	}
	if i, j := strings.Index(sum.Summary, "25 days"), strings.Index(sum.Summary, "carried over"); i > j {
		t.Errorf("summary %q is not in document order", sum.Summary)
	}
	if len(sum.KeyPoints) == 0 || len(sum.KeyPoints) > maxKeyPoints {
		t.Fatalf("%d key points", len(sum.KeyPoints))
	}
	for _, kp := range sum.KeyPoints {
		if strings.Contains(sum.Summary, kp) {
			t.Errorf("key point %q repeats the summary", kp)
		}
	}
}

func TestSummarizeNoText(t *testing.T) {
	for _, p := range append(providers, provider{name: "extractive"}) {
		cfg := Config{}
		if p.start != nil {
			cfg = p.cfg(p.start(t).URL)
		}
		if _, err := newEngine(t, cfg).Summarize(context.Background(), "empty.txt", []string{"", "  \n"}); !errors.Is(err, ErrNoText) {
			t.Errorf("%s: %v", p.name, err)
		}
	}
}

// summaryScript answers map prompts with "Partial summary N." and the
// final prompt in the requested format.
func summaryScript(r llmtest.Request) string {
	if m := regexp.MustCompile(`Summarize part (\d+) of`).FindStringSubmatch(r.LastUser()); m != nil {
		return "Partial summary " + m[1] + "."
	}
	return "SUMMARY: Acme's handbook covers vacation.\n\nKEY POINTS:\n- 25 days a year\n- Booked in the HR portal"
}

func TestSummarizeLLM(t *testing.T) {
	long := make([]string, 12)
	for i := range long {
		long[i] = fmt.Sprintf("Chunk %02d. ", i) + strings.Repeat("Vacation requests go through the HR portal. ", 8)
	}
	tests := []struct {
		name   string
		chunks []string
		maps   int // map calls expected; 0 means a single call
	}{
		{"short", manual, 0},
		{"map-reduce", long, -1}, // several
	}
	for _, p := range providers {
		for _, tt := range tests {
			s := p.start(t)
			s.Reply = summaryScript
			s.PromptTokens = 50
			cfg := p.cfg(s.URL)
			cfg.ContextTokens, cfg.AnswerTokens = 512, 128
			sum, err := newEngine(t, cfg).Summarize(context.Background(), "handbook.pdf", tt.chunks)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Summary != "Acme's handbook covers vacation." || !slices.Equal(sum.KeyPoints, []string{"25 days a year", "Booked in the HR portal"}) {
				t.Errorf("%s/%s: %+v", p.name, tt.name, sum)
			}
			if sum.Mode != ModeLLM || sum.Model != cfg.Model {
				t.Errorf("%s/%s: mode %q model %q", p.name, tt.name, sum.Mode, sum.Model)
			}
			reqs := s.ChatRequests()
			final := reqs[len(reqs)-1].LastUser()
			maps := reqs[:len(reqs)-1]
			wantTokens := 0
			for _, r := range reqs {
				wantTokens += 50 + len(llmtest.Tokens(summaryScript(r)))
			}
			if sum.TokensUsed != wantTokens {
				t.Errorf("%s/%s: TokensUsed %d, want %d", p.name, tt.name, sum.TokensUsed, wantTokens)
			}
			if tt.maps == 0 {
				if len(maps) != 0 || !strings.Contains(final, manual[2]) {
					t.Errorf("%s/%s: %d map calls; final prompt %q", p.name, tt.name, len(maps), final)
				}
				continue
			}
			if len(maps) < 2 {
				t.Fatalf("%s/%s: %d map calls for %d tokens", p.name, tt.name, len(maps), totalTokens(long))
			}
			// Every chunk is summarized once, in order; the final call combines the parts.
			next := 0
			for i, r := range maps {
				for next < len(long) && strings.Contains(r.LastUser(), fmt.Sprintf("Chunk %02d.", next)) {
					next++
				}
				if !strings.Contains(final, fmt.Sprintf("Partial summary %d.", i+1)) {
					t.Errorf("%s: final prompt lacks part %d", p.name, i+1)
				}
				if EstimateTokens(r.LastUser()) > cfg.ContextTokens-cfg.AnswerTokens {
					t.Errorf("%s: map prompt %d exceeds the context", p.name, i+1)
				}
			}
			if next != len(long) {
				t.Errorf("%s: chunks summarized in order up to %d of %d", p.name, next, len(long))
			}
		}
	}
}

func TestSummarizeLongDocumentIsBounded(t *testing.T) {
	s := llmtest.NewOllama(t)
	s.Reply = summaryScript
	cfg := providers[0].cfg(s.URL)
	cfg.ContextTokens, cfg.AnswerTokens = 512, 128
	doc := make([]string, 300) // about 25,000 tokens, 100 contexts
	for i := range doc {
		for j := range 5 {
			doc[i] += fmt.Sprintf("In section %d, rule %d says that team %d books vacation in week %d. ", i, j, (i*7+j)%13, (i+j)%52)
		}
	}
	if _, err := newEngine(t, cfg).Summarize(context.Background(), "big.pdf", doc); err != nil {
		t.Fatal(err)
	}
	// At most maxMapCalls map calls, one or two reduce calls.
	if n := len(s.ChatRequests()); n < maxMapCalls/2 || n > maxMapCalls+2 {
		t.Errorf("%d LLM calls for a long document, want %d to %d", n, maxMapCalls/2, maxMapCalls+2)
	}
}

func TestSummarizeLLMError(t *testing.T) {
	s := llmtest.NewOpenAI(t)
	s.Status = 503
	_, err := newEngine(t, providers[1].cfg(s.URL)).Summarize(context.Background(), "a.txt", manual)
	var pe *ProviderError
	if !errors.As(err, &pe) || pe.Op != "summarize" || pe.StatusCode != 503 {
		t.Errorf("error %v", err)
	}
}

func TestParseSummary(t *testing.T) {
	tests := []struct {
		in     string
		sum    string
		points []string
	}{
		{"SUMMARY: It is about X.\nKEY POINTS:\n- one\n- two", "It is about X.", []string{"one", "two"}},
		{"**Summary:** It is about X.\nMore.\n\n**Key points:**\n1. one\n2) two\n* **three**", "It is about X.\nMore.", []string{"one", "two", "three"}},
		{"摘要：关于年假。\n要点：\n- 十五天", "关于年假。", []string{"十五天"}},
		{"Just a paragraph.", "Just a paragraph.", nil},
	}
	for _, tt := range tests {
		sum, points := parseSummary(tt.in)
		if sum != tt.sum || !slices.Equal(points, tt.points) {
			t.Errorf("parseSummary(%q) = %q, %q; want %q, %q", tt.in, sum, points, tt.sum, tt.points)
		}
	}
}

func TestKeyPointsAreBodySentences(t *testing.T) {
	report := []string{
		"National Transportation Safety Board\nAviation Accident Final Report\n\nLocation: Belen, NM Accident Number: DEN08CA034\n\n" +
			"Analysis\n\nAccording to the pilot's statement, he was landing on runway 21 and the winds were light and\nvariable. " +
			"Shortly after touchdown on the runway, he lost directional control and the airplane\nground looped. " +
			"The airplane departed the left side of the runway and came to rest upright.\n\nPage 1 of 4",
		"Factual Information\n\nPilot Information\nCertificate: Private; Recreational Age: 48, Male\n\n" +
			"Examination of the airplane revealed that one main landing gear was separated and one was\nfolded under the fuselage. " +
			"Several right wing ribs were broken. No anomalies with the aircraft systems were reported.\n\nPage 2 of 4 DEN08CA034",
		"Airport Information\nAirport: Alexander Municipal Airport (E80) Runway Surface Type: Asphalt\n\n" +
			"The National Transportation Safety Board determines the probable cause of this accident to be the pilot's loss of directional control during landing resulting in a ground loop.\n\nPage 3 of 4 DEN08CA034",
	}
	sum, err := newEngine(t, Config{}).Summarize(context.Background(), "ntsb.pdf", report)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.KeyPoints) == 0 {
		t.Fatal("no key points")
	}
	for _, s := range append([]string{sum.Summary}, sum.KeyPoints...) {
		for _, bad := range []string{"Page ", "DEN08CA034", "Analysis", "Airport Information", "Pilot Information", "Certificate:", "Aviation Accident Final Report"} {
			if strings.Contains(s, bad) {
				t.Errorf("summary or key point %q holds %q", s, bad)
			}
		}
	}
	for _, kp := range sum.KeyPoints {
		if !strings.HasSuffix(kp, ".") {
			t.Errorf("key point %q is not a sentence", kp)
		}
	}
}
