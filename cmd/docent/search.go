package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"docent/chat"
	"docent/retrieval"
	"docent/store"
)

type searchCmd struct {
	Query  string `arg:"" help:"What to look for."`
	TopK   int    `name:"top-k" short:"k" default:"5" help:"Number of passages (1-100)."`
	Mode   string `name:"mode" default:"hybrid" enum:"hybrid,vector,keyword" help:"Ranking: ${enum}."`
	JSON   bool   `name:"json" help:"Print the results as JSON."`
	User   string `name:"user" help:"Search as this user (their documents and the shared library); default: the shared library."`
	Server string `name:"server" env:"DOCENT_SERVER" help:"Search through a running server at this URL."`
	Token  string `name:"token" env:"DOCENT_TOKEN" help:"Access token for --server."`

	embedFlags
}

// source is a found or cited passage as the CLI prints it.
type source struct {
	DocumentID uint64  `json:"document_id"`
	Filename   string  `json:"filename"`
	Title      string  `json:"title,omitempty"`
	ChunkIndex int     `json:"chunk_index"`
	Page       int     `json:"page,omitempty"`
	EndPage    int     `json:"end_page,omitempty"`
	Score      float64 `json:"score"`
	Text       string  `json:"text"`
}

// sourceOf is the CLI form of a passage.
func sourceOf(p chat.Passage) source {
	return source{DocumentID: p.DocumentID, Filename: p.Filename, Title: p.Title, ChunkIndex: p.ChunkIndex,
		Page: p.Page, EndPage: p.EndPage, Score: p.Score, Text: p.Text}
}

func (c *searchCmd) Run(ctx context.Context, g *Globals) error {
	if c.TopK < 1 || c.TopK > 100 {
		return fmt.Errorf("--top-k must be from 1 to 100")
	}
	var results []source
	var err error
	if c.Server != "" {
		var out struct{ Results []source }
		body, _ := json.Marshal(map[string]any{"query": c.Query, "top_k": c.TopK, "mode": c.Mode})
		var cl *client
		if cl, err = newClient(c.Server, c.Token); err == nil {
			err = cl.do(ctx, "POST", "/api/v1/search", "application/json", strings.NewReader(string(body)), &out)
		}
		results = out.Results
	} else {
		results, err = c.local(ctx, g)
	}
	if err != nil {
		return err
	}
	if c.JSON {
		return json.NewEncoder(g.stdout).Encode(map[string]any{"results": results})
	}
	printSources(g.stdout, results, true)
	return nil
}

func (c *searchCmd) local(ctx context.Context, g *Globals) ([]source, error) {
	db, lib, err := openLibrary(ctx, g, c.embedFlags, true)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	v, err := viewerFor(ctx, db, c.User)
	if err != nil {
		return nil, err
	}
	res, err := lib.Search(ctx, v, retrieval.SearchRequest{Text: c.Query, TopK: c.TopK, Mode: retrieval.Mode(c.Mode)})
	if err != nil {
		return nil, err
	}
	out := make([]source, len(res))
	for i, r := range res {
		out[i] = sourceOf(chat.PassagesFrom([]retrieval.Result{r})[0])
	}
	return out, nil
}

// viewerFor returns the viewer for --user NAME (the shared library when empty).
func viewerFor(ctx context.Context, db store.Store, name string) (store.Viewer, error) {
	if name == "" {
		return store.Viewer{UserID: store.Shared}, nil
	}
	u, err := db.UserByLogin(ctx, name)
	if err != nil {
		return store.Viewer{}, fmt.Errorf("no user %q", name)
	}
	return store.Viewer{UserID: u.ID, Admin: u.IsAdmin()}, nil
}

// printSources lists passages as "[n] title — file, page p (score)" with
// a snippet; the title is left out when it only repeats the file name.
func printSources(w io.Writer, sources []source, withScore bool) {
	if len(sources) == 0 {
		fmt.Fprintln(w, "no passages found")
	}
	for i, s := range sources {
		where := s.Filename
		if s.Title != "" && !strings.EqualFold(s.Title, retrieval.ReadableName(s.Filename)) {
			where = s.Title + " — " + where
		}
		switch {
		case s.EndPage > s.Page && s.Page > 0:
			where += fmt.Sprintf(", pages %d–%d", s.Page, s.EndPage)
		case s.Page > 0:
			where += fmt.Sprintf(", page %d", s.Page)
		}
		if withScore {
			where += fmt.Sprintf(" (score %.3f)", s.Score)
		}
		fmt.Fprintf(w, "[%d] %s\n    %s\n", i+1, where, snippet(s.Text, 240))
	}
}

// snippet flattens text to one line of at most n runes.
func snippet(text string, n int) string {
	t := strings.Join(strings.Fields(text), " ")
	if r := []rune(t); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return t
}
