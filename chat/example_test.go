package chat_test

import (
	"context"
	"fmt"

	"docent/chat"
)

func ExampleEngine_Answer() {
	e, err := chat.New(chat.Config{}) // no LLM: extractive answers
	if err != nil {
		panic(err)
	}
	search := chat.RetrieverFunc(func(ctx context.Context, query string, topK int) ([]chat.Passage, error) {
		return []chat.Passage{
			{Filename: "handbook.pdf", Page: 3, Text: "Welcome to Acme. Employees receive 25 days of paid vacation per year."},
			{Filename: "it.md", Text: "Passwords are rotated every 90 days."},
		}, nil
	})
	ans, err := e.Answer(context.Background(), search, chat.Request{Question: "How many vacation days do employees get?"},
		func(ev chat.Event) error {
			if ev.Kind == chat.EventSources {
				fmt.Println("sources:", len(ev.Sources))
			}
			return nil
		})
	if err != nil {
		panic(err)
	}
	fmt.Println(ans.Mode+":", ans.Content)
	fmt.Println("cites:", chat.Citations(ans.Content), ans.Sources[0].Filename)
	// Output:
	// sources: 2
	// extractive: Employees receive 25 days of paid vacation per year [1].
	// cites: [1] handbook.pdf
}
