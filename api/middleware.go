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

const (
	userKey ctxKey = iota
	apiKeyKey
)

// currentUser returns the authenticated user put in the context by authenticate.
func currentUser(ctx context.Context) *store.User {
	u, _ := ctx.Value(userKey).(*store.User)
	return u
}

// currentKey returns the API key the request came with, nil for an access
// token.
func currentKey(ctx context.Context) *store.APIKey {
	k, _ := ctx.Value(apiKeyKey).(*store.APIKey)
	return k
}

// withUser returns ctx carrying u.
func withUser(ctx context.Context, u *store.User) context.Context {
	return context.WithValue(ctx, userKey, u)
}

// withCaller returns ctx carrying u and the API key k (nil for a token).
func withCaller(ctx context.Context, u *store.User, k *store.APIKey) context.Context {
	ctx = withUser(ctx, u)
	if k != nil {
		ctx = context.WithValue(ctx, apiKeyKey, k)
	}
	return ctx
}

// bearerToken extracts the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// authenticate requires a valid access token or API key of an active user
// whose credentials were not revoked since, and puts that user (and key)
// in the request context.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, k, err := s.credential(r.Context(), bearerToken(r))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(withCaller(r.Context(), u, k)))
	})
}

// errUnauthorized is the answer to every authentication failure but one:
// a genuine token that has only expired gets errExpired.
var (
	errUnauthorized = errorf(http.StatusUnauthorized, "not authenticated: a valid bearer token is required")
	errExpired      = errorf(http.StatusUnauthorized, "the access token has expired: log in again (POST /api/v1/auth/token) for a new one")
	errReadOnlyKey  = errorf(http.StatusForbidden, "this API key has scope read: changing or deleting needs a key with scope write, or a login")
)

// credential verifies a bearer credential (an access token, or an API key
// starting dk_) and loads its user, refusing deleted and deactivated
// users, revoked keys and credentials issued before a password change.
func (s *Server) credential(ctx context.Context, token string) (*store.User, *store.APIKey, error) {
	if auth.IsAPIKey(token) {
		return s.userFromKey(ctx, token)
	}
	u, err := s.userFromToken(ctx, token)
	return u, nil, err
}

// userFromToken verifies an access token and loads its user.
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
	u, ok := s.userFor(ctx, claims.UserID, claims.Version)
	if !ok { // deleted, deactivated or revoked
		return nil, errUnauthorized
	}
	return &u, nil
}

// freshUsers is a store that answers UserByID from a cache kept by a
// change log (store/postgres: several replicas share it), which can also
// read a user afresh.
type freshUsers interface {
	UncachedUserByID(ctx context.Context, id uint64) (store.User, error)
}

// userFor loads user id and reports whether a credential of theirs of
// the given generation holds: the user exists, is active and has not
// revoked it since. A refusal by a cached copy is checked against the
// database again, so that what another replica has just allowed
// (reactivating the account, the tokens of a new password) holds here at
// once; what it revoked holds here once its change log arrives.
func (s *Server) userFor(ctx context.Context, id, version uint64) (store.User, bool) {
	u, ok, _ := s.holder(ctx, id, version)
	return u, ok
}

// holder is userFor with the store's error of the last read: nil or
// store.ErrNotFound when the answer is certain, another error when the
// store could not answer.
func (s *Server) holder(ctx context.Context, id, version uint64) (store.User, bool, error) {
	holds := func(u *store.User, err error) bool { return err == nil && u.Active && u.TokenVersion == version }
	u, err := s.db.UserByID(ctx, id)
	if holds(&u, err) {
		return u, true, nil
	}
	if f, ok := s.db.(freshUsers); ok {
		u, err = f.UncachedUserByID(ctx, id)
	}
	return u, holds(&u, err), err
}

// keyTouchEvery is how stale a key's last-used time may get before a use
// records the new one (a write per request would cost every request a
// commit).
const keyTouchEvery = time.Minute

// userFromKey looks an API key up by its hash and loads its user.
func (s *Server) userFromKey(ctx context.Context, key string) (*store.User, *store.APIKey, error) {
	k, err := s.db.KeyByHash(ctx, auth.HashAPIKey(key))
	if err != nil {
		return nil, nil, errUnauthorized
	}
	u, ok := s.userFor(ctx, k.UserID, k.TokenVersion)
	if !ok {
		return nil, nil, errUnauthorized
	}
	if now := time.Now(); now.Sub(k.LastUsedAt) > keyTouchEvery {
		if err := s.db.TouchKey(ctx, k.ID, now); err != nil {
			return nil, nil, errUnauthorized // revoked meanwhile
		}
		k.LastUsedAt = now
	}
	return &u, &k, nil
}

// recheck reloads the caller of a long-lived connection (a WebSocket) and
// fails once their credential no longer holds: the user deactivated or
// their password changed, the API key revoked.
func (s *Server) recheck(ctx context.Context) (*store.User, error) {
	was := currentUser(ctx)
	u, ok := s.userFor(ctx, was.ID, was.TokenVersion)
	if !ok {
		return nil, errUnauthorized
	}
	if k := currentKey(ctx); k != nil {
		if _, err := s.db.KeyByHash(ctx, k.Hash); err != nil {
			return nil, errUnauthorized
		}
	}
	return &u, nil
}

// writeScope refuses a read-scoped API key with 403: the route changes or
// deletes something.
func writeScope(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if k := currentKey(r.Context()); k != nil && k.Scope != store.ScopeWrite {
			writeProblem(w, r, http.StatusForbidden, errReadOnlyKey.Error(), nil)
			return
		}
		next.ServeHTTP(w, r)
	})
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
