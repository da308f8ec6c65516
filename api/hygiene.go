package api

import (
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/go-chi/chi/v5/middleware"
)

// maxRequestID is the longest client request id that is kept; a longer or
// oddly spelled one is replaced by a generated id.
const maxRequestID = 64

// validRequestID reports whether a client's X-Request-Id is short and made
// of characters that are safe in headers, JSON and log lines: letters,
// digits and . _ - : / + = (UUIDs, ULIDs, trace ids, chi's own ids).
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestID {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == '_', c == '-', c == ':', c == '/', c == '+', c == '=':
		default:
			return false
		}
	}
	return true
}

// cleanRequestID drops a client's X-Request-Id unless it is well formed, so
// that middleware.RequestID generates one instead: a client cannot push a
// megabyte into every header, error body and log line it causes.
func cleanRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := r.Header.Values(middleware.RequestIDHeader); len(id) > 0 && (len(id) > 1 || !validRequestID(id[0])) {
			r.Header.Del(middleware.RequestIDHeader)
		}
		next.ServeHTTP(w, r)
	})
}

// Body pace defaults: a request body must deliver at least
// defaultBodyMinRate bytes per second, measured over windows of
// defaultBodyWindow.
const (
	defaultBodyMinRate = 1 << 10
	defaultBodyWindow  = 30 * time.Second
)

// errBodyTooSlow is the answer to a body that arrives slower than the floor.
var errBodyTooSlow = errors.New("request body too slow")

// bodyPace bounds how slowly a request body may arrive without fixing a
// total time: within every window the client must send at least
// minRate·window bytes, or the read fails and the connection is closed. An
// upload at 10 KB/s of any size finishes; a body trickled at 1 byte/s is
// cut after one window instead of holding a connection for ever.
func bodyPace(minRate int64, window time.Duration) func(http.Handler) http.Handler {
	quantum := max(int64(float64(minRate)*window.Seconds()), 1)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Body == nil || r.Body == http.NoBody {
				next.ServeHTTP(w, r)
				return
			}
			rc := http.NewResponseController(w)
			if err := rc.SetReadDeadline(time.Now().Add(window)); err != nil {
				next.ServeHTTP(w, r) // the connection has no deadlines (a test recorder)
				return
			}
			r.Body = &pacedBody{ReadCloser: r.Body, rc: rc, window: window, quantum: quantum, need: quantum}
			next.ServeHTTP(w, r)
		})
	}
}

// pacedBody moves the connection's read deadline one window ahead each
// time another quantum of bytes has arrived, and clears it at the end of
// the body (a WebSocket or a kept-alive connection must not inherit it).
type pacedBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	window  time.Duration
	quantum int64
	need    int64 // bytes still due in the current window
	done    bool
}

func (b *pacedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.done {
		return n, err
	}
	if b.need -= int64(n); b.need <= 0 && err == nil {
		b.need = b.quantum
		b.rc.SetReadDeadline(time.Now().Add(b.window))
	}
	switch {
	case errors.Is(err, io.EOF):
		b.done = true
		b.rc.SetReadDeadline(time.Time{})
	case errors.Is(err, os.ErrDeadlineExceeded):
		b.done = true
		return n, errBodyTooSlow
	}
	return n, err
}

// scrapeToken lets a request carrying the metrics scrape token through to
// open (the bare metrics handler); every other request goes to guarded
// (which asks for an admin). Without a configured token it is guarded.
func (s *Server) scrapeToken(open, guarded http.Handler) http.Handler {
	if s.cfg.MetricsToken == "" {
		return guarded
	}
	want := []byte(s.cfg.MetricsToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(bearerToken(r)), want) == 1 {
			open.ServeHTTP(w, r)
			return
		}
		guarded.ServeHTTP(w, r)
	})
}

// MetricsHandler serves /metrics alone, for a listener of its own
// (docent serve --metrics-addr): with a scrape token configured it is
// required there too; without one the address itself is the protection.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	metrics := s.metrics.handler()
	if s.cfg.MetricsToken != "" {
		unauthorized := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="docent-metrics"`)
			http.Error(w, "the metrics scrape token is required (Authorization: Bearer ...)", http.StatusUnauthorized)
		})
		metrics = s.scrapeToken(metrics, unauthorized)
	}
	mux.Handle("GET /metrics", metrics)
	return mux
}
