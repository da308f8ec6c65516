package api

import "net/http"

// root serves the web page, or the JSON banner to a client that asks for
// JSON and not HTML.
func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	if !prefersJSON(r) {
		s.page(w, r)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"message": "docent: ask questions about your documents. API under /api/v1, description at /openapi.json",
		"version": s.cfg.Version,
	})
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "healthy"})
}

func (s *Server) readiness(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		w.Header().Set("Retry-After", "1")
		writeProblem(w, r, http.StatusServiceUnavailable, "loading the index", nil)
		return
	}
	if ok := s.healthy.Load(); ok != nil && !(*ok)() {
		w.Header().Set("Retry-After", "1")
		writeProblem(w, r, http.StatusServiceUnavailable, "the store is unreachable or the index is catching up", nil)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
