package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"docent/chat"
	"docent/internal/llmtest"
)

// Documents of the conversations that change topic.
var (
	travelPolicy = file{"travel.md", []byte("# Travel policy\n\n## Hotels\n\nHotel rooms are booked through the travel desk. In Geneva the limit is 210 euros per night; elsewhere it is 150 euros.\n\n" +
		"## Trains\n\nFirst class is allowed on trains for journeys over four hours. Book train tickets at least a week ahead.\n\n" +
		"## Meals\n\nDinner is reimbursed up to 35 euros with a receipt. Lunch is reimbursed up to 20 euros.\n")}
	football = file{"football.md", []byte("# World Cup history\n\nWest Germany won the 1954 football World Cup final, beating Hungary 3–2 in Bern. " +
		"The match is remembered as the Miracle of Bern.\n")}
	protocol = file{"protocol.txt", []byte("Treatment of Oral Chronic Graft-versus-host Disease With Human Umbilical Cord Mesenchymal Stem Cell Dressing\n\n" +
		"4.1 Number of Cases\nA total of 38 patients will be enrolled in the trial of the stem cell dressing for oral chronic GVHD.\n\n" +
		"5.1 Methods\nThe dressing was applied 4 times a day for 2 weeks.\n")}
	shiftWork = file{"shiftwork.txt", []byte("Shift work interventions for reduced work-family conflict\n\n" +
		"The inclusion of social coping strategies combined with family involvement in the training significantly reduced work-family conflict for shift workers. " +
		"Training on physiological coping alone appears to increase family conflicts.\n")}
	waterGuide = file{"water.md", []byte("# Drinking water\n\nAt altitudes above 2000 metres, boil water for three minutes before drinking it. " +
		"At sea level, boiling water for one minute makes it safe to drink.\n")}
	climate = file{"climate.md", []byte("# Coasts\n\nThe global sea level rose by about 20 centimetres over the last century, and the rise is speeding up.\n")}
)

// ask posts a question and returns the assistant's message.
func (e *testEnv) ask(token string, conv uint64, question string) messageJSON {
	e.t.Helper()
	r := e.do("POST", sprintf("/api/v1/conversations/%d/messages", conv), token, map[string]string{"content": question})
	expect(e.t, "ask "+question, r, http.StatusCreated)
	var ex struct {
		Assistant messageJSON `json:"assistant_message"`
	}
	r.JSON(e.t, &ex)
	return ex.Assistant
}

// citedFiles returns the file names of the sources an answer cites.
func citedFiles(m messageJSON) []string {
	var out []string
	for _, n := range chat.Citations(m.Content) {
		if m.Sources != nil && n >= 1 && n <= len(*m.Sources) {
			out = append(out, (*m.Sources)[n-1].Filename)
		}
	}
	return out
}

func TestConversationChangesTopic(t *testing.T) {
	e := newTestEnv(t, Config{})
	ann := e.register("ann")
	e.ingest(ann.Token, travelPolicy, football, protocol, shiftWork, waterGuide, climate)
	tests := []struct {
		name        string
		first, then string
		file        string   // the file the second answer must cite, and only it
		want        []string // in the second answer
		not         []string
	}{
		{"a new question in a conversation about hotels", "What is the hotel limit in Geneva?", "Who won the 1954 football world cup final?",
			"football.md", []string{"West Germany"}, []string{"Geneva"}},
		{"a new question sharing the travel document", "Is first class allowed on trains?", "How much is dinner reimbursed?",
			"travel.md", []string{"Dinner is reimbursed up to 35 euros"}, []string{"First class", "train"}},
		{"a new question after a clinical trial", "How many patients will be enrolled in the stem cell dressing trial for oral chronic GVHD?",
			"Which training intervention reduced work-family conflict for shift workers?",
			"shiftwork.txt", []string{"family involvement"}, []string{"patients"}},
		{"a true follow-up uses the previous turn", "How long should water boil at high altitude?", "And at sea level?",
			"water.md", []string{"one minute"}, []string{"centimetres"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conv := e.conversation(ann.Token)
			e.ask(ann.Token, conv, tt.first)
			m := e.ask(ann.Token, conv, tt.then)
			files := citedFiles(m)
			if len(files) == 0 {
				t.Fatalf("answer %q cites nothing", m.Content)
			}
			for _, f := range files {
				if f != tt.file {
					t.Errorf("answer %q cites %s, want only %s", m.Content, f, tt.file)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(m.Content, w) {
					t.Errorf("answer %q lacks %q", m.Content, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(m.Content, n) {
					t.Errorf("answer %q holds %q, from the earlier question", m.Content, n)
				}
			}
		})
	}
}

func TestEmptyLibraryAsksForUploads(t *testing.T) {
	e := newTestEnv(t, Config{})
	ann := e.register("ann")
	conv := e.conversation(ann.Token)
	m := e.ask(ann.Token, conv, "How long should water boil?")
	if !strings.Contains(m.Content, "no documents yet") || !strings.Contains(m.Content, "upload some first") {
		t.Errorf("answer over an empty library: %q", m.Content)
	}
	if m.Sources == nil || len(*m.Sources) != 0 || m.Mode != chat.ModeExtractive {
		t.Errorf("message %+v", m)
	}

	// With documents that do not answer, the answer says so instead.
	e.ingest(ann.Token, campingGuide)
	if m := e.ask(ann.Token, conv, "What is the capital of Mongolia?"); !strings.Contains(m.Content, "do not contain") {
		t.Errorf("answer over an unrelated library: %q", m.Content)
	}
}

func TestStoredModeSaysTheLLMWasNotCalled(t *testing.T) {
	fake := llmtest.NewOpenAI(t)
	fake.Reply = func(llmtest.Request) string { return "Boil it for three minutes [1]." }
	e := newLLMEnv(t, fake)
	ann := e.register("ann")
	e.ingest(ann.Token, campingGuide)
	conv := e.conversation(ann.Token)

	events := e.streamQuestion(t.Context(), ann.Token, conv, "What is the capital of Mongolia?", nil)
	if n := answerCalls(fake); n != 0 {
		t.Fatalf("the LLM was asked to answer %d times a question with nothing relevant", n)
	}
	if !strings.Contains(string(events[0].Data), `"mode":"extractive"`) || strings.Contains(string(events[0].Data), "fake-gpt") {
		t.Errorf("sources event %s: want mode extractive without a model", events[0].Data)
	}
	var done struct {
		AssistantMessage messageJSON `json:"assistant_message"`
	}
	json.Unmarshal(events[len(events)-1].Data, &done)
	if m := done.AssistantMessage; m.Mode != chat.ModeExtractive || m.Model != "" || !strings.Contains(m.Content, "do not contain") {
		t.Errorf("stored %+v: want mode extractive, no model", m)
	}
	var msgs []messageJSON
	e.do("GET", sprintf("/api/v1/conversations/%d/messages", conv), ann.Token, nil).JSON(t, &msgs)
	if len(msgs) != 2 || msgs[1].Mode != chat.ModeExtractive || msgs[1].Model != "" {
		t.Errorf("stored messages %+v", msgs)
	}

	// A question the documents answer is written by the model and says so.
	m := e.ask(ann.Token, conv, "How long should water boil at high altitude?")
	if m.Mode != chat.ModeLLM || m.Model != "fake-gpt" {
		t.Errorf("LLM answer stored as %q %q", m.Mode, m.Model)
	}
}

// answerCalls counts the requests that asked the fake LLM for an answer
// (not for a title).
func answerCalls(fake *llmtest.Server) int {
	n := 0
	for _, r := range fake.ChatRequests() {
		if len(r.Messages) > 0 && r.Messages[0].Content == chat.DefaultSystemPrompt {
			n++
		}
	}
	return n
}
