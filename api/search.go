package api

import (
	"context"
	"net/http"
	"strings"
	"unicode/utf8"

	"docent/retrieval"
	"docent/store"
)

// sourceJSON is a cited or found passage (API.md's Source).
type sourceJSON struct {
	DocumentID uint64   `json:"document_id"`
	Filename   string   `json:"filename"`
	Title      string   `json:"title,omitempty"`
	ChunkIndex int      `json:"chunk_index"`
	Page       int      `json:"page,omitempty"`
	EndPage    int      `json:"end_page,omitempty"`
	Headings   []string `json:"headings,omitempty"`
	Score      float64  `json:"score"`
	Text       string   `json:"text"`
	// BelowFloor marks a passage too weak to answer from (see README, "Relevance floor").
	BelowFloor bool `json:"below_floor,omitempty"`
}

func toSourceJSON(r retrieval.Result) sourceJSON {
	s := sourceJSON{DocumentID: r.DocumentID, Filename: r.Filename, Title: r.Title, ChunkIndex: r.ChunkIndex, Page: r.Page,
		Headings: r.Headings, Score: r.Score, Text: r.Text, BelowFloor: r.BelowFloor}
	if r.EndPage > r.Page {
		s.EndPage = r.EndPage
	}
	return s
}

type searchRequest struct {
	Query       string   `json:"query"`
	TopK        *int     `json:"top_k"`
	DocumentIDs []uint64 `json:"document_ids"`
	Mode        string   `json:"mode"`
	Diversify   bool     `json:"diversify"`
}

const maxQuery = 4000 // characters

// checkSearch validates the parts shared by search and chat: a question, a
// top_k of 1..100 (default 5) and document ids the caller may read (a
// foreign id is 404, as everywhere).
func (s *Server) checkSearch(ctx context.Context, v store.Viewer, query string, topK *int, docIDs []uint64) (int, error) {
	if strings.TrimSpace(query) == "" {
		return 0, invalid("query", "is required")
	}
	if utf8.RuneCountInString(query) > maxQuery {
		return 0, invalid("query", "must be at most 4000 characters")
	}
	k := 5
	if topK != nil {
		k = *topK
	}
	if k < 1 || k > 100 {
		return 0, invalid("top_k", "must be from 1 to 100")
	}
	if len(docIDs) > 1000 {
		return 0, invalid("document_ids", "at most 1000 ids")
	}
	for _, id := range docIDs {
		if _, err := s.db.Document(ctx, v, id); err != nil {
			return 0, storeError(err, "document")
		}
	}
	return k, nil
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	var req searchRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	k, err := s.checkSearch(r.Context(), viewer(r), req.Query, req.TopK, req.DocumentIDs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	mode := retrieval.Mode(req.Mode)
	switch mode {
	case "":
		mode = retrieval.ModeHybrid
	case retrieval.ModeHybrid, retrieval.ModeVector, retrieval.ModeKeyword:
	default:
		s.fail(w, r, invalid("mode", `must be "hybrid", "vector" or "keyword"`))
		return
	}
	results, err := s.library.Search(r.Context(), viewer(r), retrieval.SearchRequest{
		Text: req.Query, TopK: k, Mode: mode, DocumentIDs: req.DocumentIDs, Diversify: req.Diversify})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]sourceJSON, len(results))
	for i, res := range results {
		out[i] = toSourceJSON(res)
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": out})
}
