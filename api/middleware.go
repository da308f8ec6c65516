package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"docent/internal/auth"
	"docent/store"
)

// accessLog logs one line per request with its status and duration.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		level := slog.LevelInfo
		switch {
		case ww.Status() == http.StatusServiceUnavailable:
			level = slog.LevelWarn
		case ww.Status() >= 500:
			level = slog.LevelError
		}
		s.log.LogAttrs(r.Context(), level, "request",
			slog.String("request_id", middleware.GetReqID(r.Context())),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("route", routePattern(r)),
			slog.Int("status", statusOf(ww)),
			slog.Int("bytes", ww.BytesWritten()),
			slog.Duration("duration", time.Since(start)),
			slog.String("client", middleware.GetClientIP(r.Context())),
		)
	})
}

// statusOf is the status a handler wrote, 200 when it wrote only a body.
func statusOf(ww middleware.WrapResponseWriter) int {
	if ww.Status() == 0 {
		return http.StatusOK
	}
	return ww.Status()
}

// routePattern is the chi pattern that matched r ("/api/v1/conversations/{id}"),
// so logs and metrics group by route, not by raw path.
func routePattern(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil {
		if p := rc.RoutePattern(); p != "" {
			return p
		}
	}
	return "unmatched"
}

// recoverer turns a handler panic into a logged 500 problem, keeping the
// server up. http.ErrAbortHandler is re-raised as net/http expects.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic serving request",
				"request_id", middleware.GetReqID(r.Context()),
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if r.Header.Get("Connection") != "Upgrade" {
				writeProblem(w, r, http.StatusInternalServerError, "internal error; the request id identifies it in the server log", nil)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// securityHeaders sets the headers every response carries, including the
// request id that also appears in the access log. The page
// Content-Security-Policy allows only same-origin scripts and styles: no
// inline script can run.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Request-Id", middleware.GetReqID(r.Context()))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; "+
			"img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "+
			"form-action 'self'; frame-ancestors 'none'")
		next.ServeHTTP(w, r)
	})
}

type ctxKey int

const userKey ctxKey = iota

// currentUser returns the authenticated user put in the context by authenticate.
func currentUser(ctx context.Context) *store.User {
	u, _ := ctx.Value(userKey).(*store.User)
	return u
}

// withUser returns ctx carrying u.
func withUser(ctx context.Context, u *store.User) context.Context {
	return context.WithValue(ctx, userKey, u)
}

// bearerToken extracts the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// authenticate requires a valid access token of an active user whose token
// version still matches, and puts that user in the request context.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := s.userFromToken(r.Context(), bearerToken(r))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(withUser(r.Context(), u)))
	})
}

// errUnauthorized is the answer to every authentication failure but one:
// a genuine token that has only expired gets errExpired.
var (
	errUnauthorized = errorf(http.StatusUnauthorized, "not authenticated: a valid bearer token is required")
	errExpired      = errorf(http.StatusUnauthorized, "the access token has expired: log in again (POST /api/v1/auth/token) for a new one")
)

// userFromToken verifies token and loads its user, refusing deleted and
// deactivated users and tokens issued before a password change.
func (s *Server) userFromToken(ctx context.Context, token string) (*store.User, error) {
	if token == "" {
		return nil, errUnauthorized
	}
	claims, err := s.tokens.Verify(token)
	if errors.Is(err, auth.ErrExpiredToken) {
		return nil, errExpired
	}
	if err != nil {
		return nil, errUnauthorized
	}
	u, err := s.db.UserByID(ctx, claims.UserID)
	if err != nil || !u.Active || u.TokenVersion != claims.Version { // deleted, deactivated or revoked
		return nil, errUnauthorized
	}
	return &u, nil
}

// adminOnly refuses non-admin users with 403.
func adminOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := currentUser(r.Context()); u == nil || !u.IsAdmin() {
			writeProblem(w, r, http.StatusForbidden, "this requires an admin account", nil)
			return
		}
		next.ServeHTTP(w, r)
	})
}
