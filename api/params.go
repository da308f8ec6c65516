package api

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
)

// Paging defaults for list endpoints.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// pageParams reads ?skip= and ?limit= (default 100, at most 1000).
func pageParams(r *http.Request) (skip, limit int, err error) {
	skip, limit = 0, defaultLimit
	q := r.URL.Query()
	if v := q.Get("skip"); v != "" {
		if skip, err = strconv.Atoi(v); err != nil || skip < 0 {
			return 0, 0, invalid("skip", "must be a whole number ≥ 0")
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxLimit {
			return 0, 0, invalid("limit", "must be a whole number from 1 to 1000")
		}
	}
	return skip, limit, nil
}

// idParam reads the {id} path segment; a malformed id is simply not found.
func idParam(r *http.Request, what string) (uint64, error) {
	id, err := strconv.ParseUint(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id == 0 {
		return 0, errorf(http.StatusNotFound, "%s not found", what)
	}
	return id, nil
}
