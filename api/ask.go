package api

import (
	"errors"
	"net/http"

	"docent/chat"
)

// askRequest is a one-shot question: answered, never stored.
type askRequest struct {
	Question    string   `json:"question"`
	TopK        *int     `json:"top_k"`
	DocumentIDs []uint64 `json:"document_ids"`
	WorkspaceID uint64   `json:"workspace_id"`
	Stream      bool     `json:"stream"`
}

// answerJSON is an answer that belongs to no conversation.
type answerJSON struct {
	Content    string       `json:"content"`
	Mode       string       `json:"mode"`
	Model      string       `json:"model,omitempty"`
	TokensUsed int          `json:"tokens_used"`
	Sources    []sourceJSON `json:"sources"`
	Partial    bool         `json:"partial,omitempty"`
}

func toAnswerJSON(a chat.Answer) answerJSON {
	out := answerJSON{Content: a.Content, Mode: a.Mode, Model: a.Model, TokensUsed: a.TokensUsed,
		Sources: toSourcesJSON(a.Sources), Partial: a.Partial}
	if out.Mode != chat.ModeLLM {
		out.Model = ""
	}
	return out
}

// ask answers one question from the documents the caller may read, as JSON
// or streamed as Server-Sent Events (sources, deltas, then done with
// {"answer"}), without storing a conversation: what `docent ask --server`
// uses unless told to --save.
func (s *Server) ask(w http.ResponseWriter, r *http.Request) {
	var req askRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	u := currentUser(r.Context())
	sc := scope{req.WorkspaceID, req.DocumentIDs}
	k, err := s.checkSearch(r.Context(), viewer(r), req.Question, req.TopK, sc)
	var he *httpError
	if errors.As(err, &he) && len(he.fields) == 1 && he.fields[0].Field == "query" {
		err = invalid("question", he.fields[0].Message)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	release, ok := s.admitChat(w, r)
	if !ok {
		return
	}
	defer release()
	x := &exchange{user: u, scope: sc, req: chat.Request{Question: req.Question, TopK: k}}
	if !wantsStream(r, req.Stream) {
		ans, err := s.chat.Answer(r.Context(), s.retriever(x), x.req, nil)
		if err != nil {
			s.fail(w, r, answerError(err, u.IsAdmin()))
			return
		}
		writeJSON(w, http.StatusOK, toAnswerJSON(ans))
		return
	}
	out, err := startSSE(w)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ans, err := s.chat.Answer(r.Context(), s.retriever(x), x.req, s.emitTo(out))
	if err != nil {
		if r.Context().Err() == nil {
			out.send("error", map[string]string{"detail": publicDetail(answerError(err, u.IsAdmin()))})
		}
		s.log.WarnContext(r.Context(), "answer failed", "err", err)
		return
	}
	out.send("done", map[string]answerJSON{"answer": toAnswerJSON(ans)})
}
