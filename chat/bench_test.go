package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tmc/langchaingo/llms"
)

// benchPassages returns k passages of about 1,000 characters, like the
// chunks retrieval returns.
func benchPassages(k int) []Passage {
	ps := make([]Passage, k)
	for i := range ps {
		var b strings.Builder
		for j := 0; b.Len() < 1000; j++ {
			fmt.Fprintf(&b, "Section %d.%d of the handbook says employees in team %d book vacation through the HR portal, at least %d days ahead. ", i, j, j*7%13, j+2)
		}
		ps[i] = Passage{DocumentID: uint64(i), Filename: fmt.Sprintf("handbook-%d.pdf", i), Page: i + 1, Text: b.String()}
	}
	return ps
}

// firstToken is an llms.Model that streams one token at once: what is
// measured around it is docent's own overhead.
type firstToken struct{}

func (firstToken) GenerateContent(ctx context.Context, _ []llms.MessageContent, opts ...llms.CallOption) (*llms.ContentResponse, error) {
	var o llms.CallOptions
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.StreamingFunc(ctx, []byte("Yes [1].")); err != nil {
		return nil, err
	}
	return &llms.ContentResponse{Choices: []*llms.ContentChoice{{Content: "Yes [1].", GenerationInfo: map[string]any{"PromptTokens": 1, "CompletionTokens": 1}}}}, nil
}

func (firstToken) Call(context.Context, string, ...llms.CallOption) (string, error) {
	return "", errors.New("unused")
}

func BenchmarkExtractiveAnswer(b *testing.B) {
	ps := benchPassages(DefaultTopK)
	b.ReportAllocs()
	for b.Loop() {
		q := "How many days ahead do employees in team 5 book vacation?"
		extractiveAnswer(q, q, ps)
	}
}

func BenchmarkBuildPrompt(b *testing.B) {
	e := newEngine(b, Config{ContextTokens: 8192})
	ps, history := benchPassages(10), longHistory(20)
	b.ReportAllocs()
	for b.Loop() {
		e.buildPrompt("How many days ahead do employees book vacation?", history, ps)
	}
}

// BenchmarkTimeToFirstToken measures Answer from its call to the first
// delta, in LLM mode with an instant model and in extractive mode. The
// retriever returns precomputed passages: the search itself, the part that
// grows with the corpus, is retrieval's to measure.
func BenchmarkTimeToFirstToken(b *testing.B) {
	ps := benchPassages(DefaultTopK)
	r := RetrieverFunc(func(context.Context, string, int) ([]Passage, error) { return ps, nil })
	history := longHistory(10)
	for _, mode := range []string{ModeLLM, ModeExtractive} {
		b.Run(mode, func(b *testing.B) {
			e := newEngine(b, Config{})
			req := Request{Question: "How many days ahead do employees book vacation?"}
			if mode == ModeLLM {
				e.llm = &llm{provider: ProviderOllama, model: "stub", timeout: time.Minute, client: firstToken{}}
			} else {
				req.History = history // extractive follow-ups are expanded, not condensed
			}
			var firsts []time.Duration
			b.ReportAllocs()
			for b.Loop() {
				start := time.Now()
				seen := false
				_, err := e.Answer(context.Background(), r, req, func(ev Event) error {
					if ev.Kind == EventDelta && !seen {
						firsts = append(firsts, time.Since(start))
						seen = true
					}
					return nil
				})
				if err != nil || !seen {
					b.Fatal(err)
				}
			}
			slices.Sort(firsts)
			b.ReportMetric(float64(firsts[len(firsts)/2].Nanoseconds())/1e3, "µs-p50-first-token")
		})
	}
}
