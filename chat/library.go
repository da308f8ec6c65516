package chat

import (
	"context"
	"errors"
	"fmt"

	"docent/retrieval"
	"docent/store"
)

// ErrNoDocuments is returned (wrapped) by a Retriever when the asker can
// read no document at all: Engine.Answer then says to upload some first
// instead of saying that the documents hold no answer.
var ErrNoDocuments = errors.New("chat: no documents to search")

// Searcher searches a library on behalf of a viewer, as
// *retrieval.Library does.
type Searcher interface {
	Search(ctx context.Context, v store.Viewer, r retrieval.SearchRequest) ([]retrieval.Result, error)
}

// DocumentCounter tells whether a user can see any document at all
// (store.Store does).
type DocumentCounter interface {
	HasDocuments(ctx context.Context, userID uint64) (bool, error)
}

// LibraryRetriever searches a library on behalf of one viewer: the
// retriever of the chat API, docent ask and docent eval alike.
type LibraryRetriever struct {
	Library Searcher
	// DB, when set, is asked whether the viewer can read any document when
	// a search finds nothing at all; then Retrieve returns ErrNoDocuments.
	DB          DocumentCounter
	Viewer      store.Viewer
	DocumentIDs []uint64 // restrict the search to these documents; nil: all the viewer may read
	Workspace   uint64   // restrict the search to this workspace; 0: all the viewer may read
}

// Retrieve searches the documents the viewer may read.
func (r LibraryRetriever) Retrieve(ctx context.Context, query string, topK int) ([]Passage, error) {
	res, err := r.Library.Search(ctx, r.Viewer, retrieval.SearchRequest{Text: query, TopK: topK, DocumentIDs: r.DocumentIDs, Workspace: r.Workspace})
	if err != nil {
		return nil, err
	}
	if len(res) == 0 && r.DB != nil && r.DocumentIDs == nil && r.Workspace == 0 {
		any, err := r.DB.HasDocuments(ctx, r.Viewer.UserID)
		if err != nil {
			return nil, err
		}
		if !any {
			return nil, fmt.Errorf("%w: the library is empty", ErrNoDocuments)
		}
	}
	return PassagesFrom(res), nil
}

// PassagesFrom turns search results into passages.
func PassagesFrom(rs []retrieval.Result) []Passage {
	out := make([]Passage, len(rs))
	for i, r := range rs {
		out[i] = Passage{DocumentID: r.DocumentID, Filename: r.Filename, Title: r.Title, ChunkIndex: r.ChunkIndex,
			Page: r.Page, Score: r.Score, Text: r.Text, BelowFloor: r.BelowFloor}
		if r.EndPage > r.Page {
			out[i].EndPage = r.EndPage
		}
	}
	return out
}
