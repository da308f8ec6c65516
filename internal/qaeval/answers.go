package qaeval

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"docent/chat"
	"docent/store"
)

// Conversation is a labelled conversation: questions asked in turn, each
// with the file that answers it and a short gold answer.
type Conversation struct {
	Turns []ConversationTurn `json:"turns"`
}

// ConversationTurn is one question of a Conversation.
type ConversationTurn struct {
	Question   string `json:"question"`
	SourceFile string `json:"source_file"`
	Answer     string `json:"answer"`
}

// Kinds of turn, as told apart by their labels: a conversation's first
// question, a later one answered from the same file as the turn before it
// (a follow-up), or from another file (a change of topic).
const (
	KindFirst       = "first"
	KindFollowUp    = "follow-up"
	KindTopicChange = "topic change"
)

// ReadConversations reads a JSON Lines file of conversations. Blank lines
// are skipped; unknown keys are ignored; a conversation without turns, or
// a turn without a question, source file or answer, is an error naming
// the line.
func ReadConversations(file string) ([]Conversation, error) {
	return readJSONL(file, "conversations", func(c *Conversation) error {
		if len(c.Turns) == 0 {
			return errors.New(`want "turns"`)
		}
		for i, t := range c.Turns {
			if strings.TrimSpace(t.Question) == "" || strings.TrimSpace(t.SourceFile) == "" || strings.TrimSpace(t.Answer) == "" {
				return fmt.Errorf(`turn %d: want "question", "source_file" and "answer"`, i+1)
			}
		}
		return nil
	})
}

// AnswerStats are the answer metrics over a set of turns, each a share of
// the turns (F1 a mean): the first source (Hit1) or one of the first five
// (Hit5) from the labelled file; a passage cited in the answer contains the
// gold answer (CitationContains); the answer text contains it
// (AnswerContains); and the token F1 of the answer against it.
type AnswerStats struct {
	Turns            int
	Hit1, Hit5       float64
	CitationContains float64
	AnswerContains   float64
	F1               float64
}

// TurnResult is how one turn was answered.
type TurnResult struct {
	Conversation, Turn int // from 1
	Kind               string
	Question, Query    string // the question and what was searched
	Answer             string
	// Rank is the 1-based rank of the first source from the labelled
	// file, 0 when none is.
	Rank int
	// PassageRank is the 1-based rank of the first source passage holding
	// the gold answer, 0 when none does (a retrieval miss).
	PassageRank      int
	CitationContains bool
	AnswerContains   bool
	F1               float64
}

// AnswerReport is the outcome of EvalAnswers.
type AnswerReport struct {
	AnswerStats
	ByKind  map[string]AnswerStats
	Results []TurnResult
	P50     time.Duration // time to answer a turn, median
}

// EvalAnswers asks every conversation of convs, turn after turn, through
// eng with the retriever the chat API uses, the earlier turns (questions
// and the answers given) as history, and judges each answer against its
// labels. topK is the number of passages per answer (0: the engine's
// default).
func (c *Corpus) EvalAnswers(ctx context.Context, convs []Conversation, eng *chat.Engine, topK int) (AnswerReport, error) {
	r := chat.LibraryRetriever{Library: c.Library, DB: c.db, Viewer: store.Viewer{UserID: store.Shared}}
	var rep AnswerReport
	sums := map[string]*sum{}
	all := &sum{}
	var lat []time.Duration
	for ci, conv := range convs {
		var history []chat.Turn
		for ti, t := range conv.Turns {
			start := time.Now()
			ans, err := eng.Answer(ctx, r, chat.Request{Question: t.Question, History: history, TopK: topK}, nil)
			if err != nil {
				return rep, fmt.Errorf("conversation %d turn %d: %w", ci+1, ti+1, err)
			}
			lat = append(lat, time.Since(start))
			res := c.judge(t, ans)
			res.Conversation, res.Turn, res.Kind = ci+1, ti+1, kind(conv.Turns, ti)
			rep.Results = append(rep.Results, res)
			all.add(res)
			if sums[res.Kind] == nil {
				sums[res.Kind] = &sum{}
			}
			sums[res.Kind].add(res)
			history = append(history, chat.Turn{Role: "user", Content: t.Question},
				chat.Turn{Role: "assistant", Content: ans.Content})
		}
	}
	if all.n == 0 {
		return rep, fmt.Errorf("no turns")
	}
	rep.AnswerStats = all.stats()
	rep.ByKind = map[string]AnswerStats{}
	for k, s := range sums {
		rep.ByKind[k] = s.stats()
	}
	rep.P50 = median(lat)
	return rep, nil
}

// kind tells a turn's kind from the labels of it and the turn before.
func kind(turns []ConversationTurn, i int) string {
	switch {
	case i == 0:
		return KindFirst
	case sameFile(turns[i].SourceFile, turns[i-1].SourceFile) || sameFile(turns[i-1].SourceFile, turns[i].SourceFile):
		return KindFollowUp
	}
	return KindTopicChange
}

// judge compares an answer with a turn's labels.
func (c *Corpus) judge(t ConversationTurn, ans chat.Answer) TurnResult {
	res := TurnResult{Question: t.Question, Query: ans.Query, Answer: ans.Content}
	for i, p := range ans.Sources {
		if sameFile(t.SourceFile, c.files[p.DocumentID]) {
			res.Rank = i + 1
			break
		}
	}
	gold := answerTokens(t.Answer)
	for i, p := range ans.Sources {
		if containsTokens(answerTokens(p.Text), gold) {
			res.PassageRank = i + 1
			break
		}
	}
	for _, n := range chat.Citations(ans.Content) {
		if n >= 1 && n <= len(ans.Sources) && containsTokens(answerTokens(ans.Sources[n-1].Text), gold) {
			res.CitationContains = true
		}
	}
	text := answerTokens(stripCitations(ans.Content))
	res.AnswerContains = containsTokens(text, gold)
	res.F1 = tokenF1(text, gold)
	return res
}

// sum accumulates TurnResults.
type sum struct {
	n                                  int
	hit1, hit5, cited, contains, f1sum float64
}

func (s *sum) add(r TurnResult) {
	s.n++
	if r.Rank == 1 {
		s.hit1++
	}
	if r.Rank >= 1 && r.Rank <= 5 {
		s.hit5++
	}
	if r.CitationContains {
		s.cited++
	}
	if r.AnswerContains {
		s.contains++
	}
	s.f1sum += r.F1
}

func (s *sum) stats() AnswerStats {
	n := float64(s.n)
	return AnswerStats{Turns: s.n, Hit1: s.hit1 / n, Hit5: s.hit5 / n, CitationContains: s.cited / n,
		AnswerContains: s.contains / n, F1: s.f1sum / n}
}
