package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"docent/store"
)

type conversationJSON struct {
	ID    uint64 `json:"id"`
	Title string `json:"title"`
	// WorkspaceID and DocumentIDs are the conversation's scope: null and
	// empty for everything its user may read.
	WorkspaceID *uint64   `json:"workspace_id"`
	DocumentIDs []uint64  `json:"document_ids"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// conversationWithMessages is one conversation with its whole thread.
type conversationWithMessages struct {
	conversationJSON
	Messages []messageJSON `json:"messages"`
}

func toConversationJSON(c *store.Conversation) conversationJSON {
	out := conversationJSON{ID: c.ID, Title: c.Title, DocumentIDs: c.DocumentIDs, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if c.Workspace != 0 {
		ws := c.Workspace
		out.WorkspaceID = &ws
	}
	if out.DocumentIDs == nil {
		out.DocumentIDs = []uint64{}
	}
	return out
}

// messageJSON is a message as API.md shows it: assistant messages always
// carry sources and mode.
type messageJSON struct {
	ID             uint64          `json:"id"`
	ConversationID uint64          `json:"conversation_id"`
	Role           string          `json:"role"`
	Content        string          `json:"content"`
	TokensUsed     int             `json:"tokens_used"`
	CreatedAt      time.Time       `json:"created_at"`
	Sources        *[]store.Source `json:"sources,omitempty"` // always set on assistant messages
	Mode           string          `json:"mode,omitempty"`
	Model          string          `json:"model,omitempty"`
	Partial        bool            `json:"partial,omitempty"`
}

func toMessageJSON(m *store.Message) messageJSON {
	out := messageJSON{ID: m.ID, ConversationID: m.ConversationID, Role: m.Role, Content: m.Content,
		TokensUsed: m.TokensUsed, CreatedAt: m.CreatedAt, Mode: m.Mode, Model: m.Model, Partial: m.Partial}
	if m.Role == store.RoleAssistantMessage {
		sources := m.Sources
		if sources == nil {
			sources = []store.Source{}
		}
		out.Sources = &sources
	}
	return out
}

func toMessagesJSON(ms []store.Message) []messageJSON {
	out := make([]messageJSON, len(ms))
	for i := range ms {
		out[i] = toMessageJSON(&ms[i])
	}
	return out
}

const maxTitle = 200

// cleanTitle trims a title and checks its length.
func cleanTitle(t string) (string, error) {
	t = strings.TrimSpace(t)
	if utf8.RuneCountInString(t) > maxTitle {
		return "", invalid("title", "must be at most 200 characters")
	}
	return t, nil
}

func (s *Server) listConversations(w http.ResponseWriter, r *http.Request) {
	skip, limit, err := pageParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	convs, err := s.db.Conversations(r.Context(), currentUser(r.Context()).ID, skip, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]conversationJSON, len(convs))
	for i := range convs {
		out[i] = toConversationJSON(&convs[i])
	}
	writeJSON(w, http.StatusOK, out)
}

type conversationCreate struct {
	Title       string   `json:"title"`
	WorkspaceID uint64   `json:"workspace_id"`
	DocumentIDs []uint64 `json:"document_ids"`
}

func (s *Server) createConversation(w http.ResponseWriter, r *http.Request) {
	var req conversationCreate
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &req); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	title, err := cleanTitle(req.Title)
	if err == nil {
		err = s.checkScope(r.Context(), viewer(r), scope{req.WorkspaceID, req.DocumentIDs})
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c := store.Conversation{UserID: currentUser(r.Context()).ID, Title: title, Workspace: req.WorkspaceID, DocumentIDs: req.DocumentIDs}
	if err := s.db.CreateConversation(r.Context(), &c); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toConversationJSON(&c))
}

func (s *Server) getConversation(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "conversation")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	uid := currentUser(r.Context()).ID
	c, err := s.db.Conversation(r.Context(), uid, id)
	if err != nil {
		s.fail(w, r, storeError(err, "conversation"))
		return
	}
	msgs, err := s.db.Messages(r.Context(), uid, id, 0, 0)
	if err != nil {
		s.fail(w, r, storeError(err, "conversation"))
		return
	}
	writeJSON(w, http.StatusOK, conversationWithMessages{toConversationJSON(&c), toMessagesJSON(msgs)})
}

// conversationUpdate renames a conversation or changes its scope; a
// workspace_id of 0 (or null) and an empty document_ids widen it to
// everything the user may read.
type conversationUpdate struct {
	Title       *string         `json:"title"`
	WorkspaceID json.RawMessage `json:"workspace_id"`
	DocumentIDs *[]uint64       `json:"document_ids"`
}

func (s *Server) renameConversation(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "conversation")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req conversationUpdate
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	uid := currentUser(r.Context()).ID
	if _, err := s.db.Conversation(r.Context(), uid, id); err != nil {
		s.fail(w, r, storeError(err, "conversation"))
		return
	}
	change, err := s.conversationChange(r, req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.db.UpdateConversation(r.Context(), uid, id, change)
	if err != nil {
		s.fail(w, r, storeError(err, "conversation"))
		return
	}
	writeJSON(w, http.StatusOK, toConversationJSON(&c))
}

// conversationChange validates an update and returns the change to make.
func (s *Server) conversationChange(r *http.Request, req conversationUpdate) (func(*store.Conversation), error) {
	if req.Title == nil && req.WorkspaceID == nil && req.DocumentIDs == nil {
		return nil, invalid("title", "is required (or workspace_id, document_ids to change what the conversation looks at)")
	}
	var title string
	if req.Title != nil {
		var err error
		if title, err = cleanTitle(*req.Title); err != nil {
			return nil, err
		}
		if title == "" {
			return nil, invalid("title", "is required")
		}
	}
	var ws uint64
	if req.WorkspaceID != nil && string(req.WorkspaceID) != "null" {
		if err := json.Unmarshal(req.WorkspaceID, &ws); err != nil {
			return nil, invalid("workspace_id", "must be a workspace id or null")
		}
	}
	var docs []uint64
	if req.DocumentIDs != nil {
		docs = *req.DocumentIDs
	}
	if err := s.checkScope(r.Context(), viewer(r), scope{ws, docs}); err != nil {
		return nil, err
	}
	return func(c *store.Conversation) {
		if req.Title != nil {
			c.Title = title
		}
		if req.WorkspaceID != nil {
			c.Workspace = ws
		}
		if req.DocumentIDs != nil {
			c.DocumentIDs = docs
		}
	}, nil
}

func (s *Server) deleteConversation(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "conversation")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.db.DeleteConversation(r.Context(), currentUser(r.Context()).ID, id); err != nil {
		s.fail(w, r, storeError(err, "conversation"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "conversation")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	skip, limit, err := pageParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msgs, err := s.db.Messages(r.Context(), currentUser(r.Context()).ID, id, skip, limit)
	if err != nil {
		s.fail(w, r, storeError(err, "conversation"))
		return
	}
	writeJSON(w, http.StatusOK, toMessagesJSON(msgs))
}

type messageCreate struct {
	Content     string   `json:"content"`
	Stream      bool     `json:"stream"`
	TopK        *int     `json:"top_k"`
	DocumentIDs []uint64 `json:"document_ids"`
	WorkspaceID *uint64  `json:"workspace_id"`
}
