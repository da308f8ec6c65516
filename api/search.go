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
	WorkspaceID uint64   `json:"workspace_id"`
	Mode        string   `json:"mode"`
	Diversify   bool     `json:"diversify"`
}

// scope is what a question or search looks at: a workspace (0: all the
// caller may read), narrowed to some documents when DocumentIDs is set.
type scope struct {
	Workspace   uint64
	DocumentIDs []uint64
}

const maxQuery = 4000 // characters

// checkSearch validates the parts shared by search and chat: a question, a
// top_k of 1..100 (default 5), a workspace the caller sees and document
// ids the caller may read (a foreign id is 404, as everywhere).
func (s *Server) checkSearch(ctx context.Context, v store.Viewer, query string, topK *int, sc scope) (int, error) {
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
	return k, s.checkScope(ctx, v, sc)
}

// checkScope fails with 404 when the caller may not see the workspace or
// one of the documents of sc.
func (s *Server) checkScope(ctx context.Context, v store.Viewer, sc scope) error {
	if len(sc.DocumentIDs) > 1000 {
		return invalid("document_ids", "at most 1000 ids")
	}
	if err := s.checkWorkspace(ctx, v, sc.Workspace); err != nil {
		return err
	}
	for _, id := range sc.DocumentIDs {
		if _, err := s.db.Document(ctx, v, id); err != nil {
			return storeError(err, "document")
		}
	}
	return nil
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	var req searchRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	k, err := s.checkSearch(r.Context(), viewer(r), req.Query, req.TopK, scope{req.WorkspaceID, req.DocumentIDs})
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
		Text: req.Query, TopK: k, Mode: mode, DocumentIDs: req.DocumentIDs, Workspace: req.WorkspaceID, Diversify: req.Diversify})
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
