package api

import (
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"docent/internal/auth"
	"docent/store"
)

// maxKeysPerUser bounds how many API keys one user may hold.
const maxKeysPerUser = 100

// keyJSON is an API key as listed: never the key itself (only its prefix)
// nor its hash.
type keyJSON struct {
	ID         uint64     `json:"id"`
	UserID     uint64     `json:"user_id"`
	Name       string     `json:"name"`
	Scope      string     `json:"scope"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func toKeyJSON(k *store.APIKey) keyJSON {
	out := keyJSON{ID: k.ID, UserID: k.UserID, Name: k.Name, Scope: string(k.Scope), Prefix: k.Prefix, CreatedAt: k.CreatedAt}
	if !k.LastUsedAt.IsZero() {
		t := k.LastUsedAt
		out.LastUsedAt = &t
	}
	return out
}

// newKeyJSON is a key just made: the one answer that holds the key.
type newKeyJSON struct {
	keyJSON
	Key string `json:"key"`
}

type keyCreate struct {
	Name  string `json:"name"`
	Scope string `json:"scope"`
}

// createKey makes an API key for the caller and shows it, once.
func (s *Server) createKey(w http.ResponseWriter, r *http.Request) {
	var req keyCreate
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	req.Name = strings.TrimSpace(req.Name)
	var fields []FieldError
	if req.Name == "" || utf8.RuneCountInString(req.Name) > 100 {
		fields = append(fields, FieldError{Field: "name", Message: "is required, at most 100 characters"})
	}
	scope := store.KeyScope(req.Scope)
	if scope == "" {
		scope = store.ScopeRead
	}
	if scope != store.ScopeRead && scope != store.ScopeWrite {
		fields = append(fields, FieldError{Field: "scope", Message: `must be "read" or "write"`})
	}
	if err := invalidFields(fields); err != nil {
		s.fail(w, r, err)
		return
	}
	u := currentUser(r.Context())
	if keys, err := s.db.Keys(r.Context(), u.ID); err != nil || len(keys) >= maxKeysPerUser {
		if err == nil {
			err = errorf(http.StatusUnprocessableEntity, "at most %d API keys per user: revoke one first", maxKeysPerUser)
		}
		s.fail(w, r, err)
		return
	}
	key, prefix, hash, err := auth.NewAPIKey()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	k := store.APIKey{UserID: u.ID, Name: req.Name, Scope: scope, Prefix: prefix, Hash: hash}
	if err := s.db.CreateKey(r.Context(), &k); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "API key created", "user_id", u.ID, "key_id", k.ID, "scope", scope)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, newKeyJSON{toKeyJSON(&k), key})
}

// listKeys lists the caller's keys; an admin's ?all=true lists everyone's.
func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r.Context())
	var keys []store.APIKey
	var err error
	switch all := r.URL.Query().Get("all"); {
	case all == "true" && !u.IsAdmin():
		err = errorf(http.StatusForbidden, "only an admin can list everyone's keys")
	case all == "true":
		keys, err = s.db.AllKeys(r.Context())
	case all == "" || all == "false":
		keys, err = s.db.Keys(r.Context(), u.ID)
	default:
		err = invalid("all", "must be true or false")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]keyJSON, len(keys))
	for i := range keys {
		out[i] = toKeyJSON(&keys[i])
	}
	writeJSON(w, http.StatusOK, out)
}

// deleteKey revokes a key: the caller's own, or anyone's for an admin.
func (s *Server) deleteKey(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "key")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.db.DeleteKey(r.Context(), viewer(r), id); err != nil {
		s.fail(w, r, storeError(err, "key"))
		return
	}
	s.dropKeySockets(id)
	s.log.InfoContext(r.Context(), "API key revoked", "user_id", currentUser(r.Context()).ID, "key_id", id)
	w.WriteHeader(http.StatusNoContent)
}
