package api

import (
	"docent/store"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// backup streams a consistent snapshot of the store (bbolt Tx.WriteTo)
// while the server keeps serving.
func (s *Server) backup(w http.ResponseWriter, r *http.Request) {
	name := fmt.Sprintf("docent-backup-%s.db", time.Now().UTC().Format("20060102T150405Z"))
	started := false
	_, err := s.db.Backup(r.Context(), w, func(size int64) {
		started = true
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		w.Header().Set("Cache-Control", "no-store")
	})
	switch {
	case err != nil && !started:
		s.fail(w, r, err)
	case err != nil:
		// Once bytes are out the status cannot change: a short body (cut
		// connection) tells the client it failed.
		s.log.ErrorContext(r.Context(), "backup failed", "err", err)
		panic(http.ErrAbortHandler)
	}
}

// checkReport is the answer of the consistency check.
type checkReport struct {
	OK    bool               `json:"ok"`
	Store *store.CheckReport `json:"store"`
	// Index lists differences between the live index and a fresh rebuild
	// from the store.
	Index []string `json:"index"`
}

// check verifies the store's invariants and that the live index equals
// what the store holds (read-only; `docent check --repair` fixes a stopped
// store).
func (s *Server) check(w http.ResponseWriter, r *http.Request) {
	rep, err := s.db.Check(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	diffs, err := s.library.Verify(r.Context(), nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if diffs == nil {
		diffs = []string{}
	}
	writeJSON(w, http.StatusOK, checkReport{OK: rep.OK() && len(diffs) == 0, Store: rep, Index: diffs})
}
