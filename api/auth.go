package api

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/httprate"

	"docent/internal/auth"
	"docent/store"
)

// userJSON is the public form of a user: never the password hash.
type userJSON struct {
	ID       uint64 `json:"id"`
	Username string `json:"username"`
	Email    string `json:"email"`
	Role     string `json:"role"`
	IsActive bool   `json:"is_active"`
	Pending  bool   `json:"pending,omitempty"`
	// Usage and Quota (null fields: no limit) are shown to the user
	// themself and to admins; QuotaOverride is the admin's change to the
	// server's default quota for this user.
	Usage         *store.Usage         `json:"usage,omitempty"`
	Quota         *quotaJSON           `json:"quota,omitempty"`
	QuotaOverride *store.QuotaOverride `json:"quota_override,omitempty"`
	CreatedAt     time.Time            `json:"created_at"`
	UpdatedAt     time.Time            `json:"updated_at"`
}

func toUserJSON(u *store.User) userJSON {
	return userJSON{ID: u.ID, Username: u.Username, Email: u.Email, Role: string(u.Role), IsActive: u.Active, Pending: u.Pending,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

// validation turns account validation failures (nil entries are skipped)
// into one 422 that names every invalid field, or nil when there is none.
func validation(errs ...error) error {
	var fields []FieldError
	for _, err := range errs {
		var fe *auth.FieldError
		switch {
		case err == nil:
		case errors.As(err, &fe):
			fields = append(fields, FieldError{Field: fe.Field, Message: fe.Message})
		default:
			return err
		}
	}
	return invalidFields(fields)
}

type tokenRequest struct {
	Username  string `json:"username"`
	Password  string `json:"password"`
	GrantType string `json:"grant_type,omitempty"`
	Scope     string `json:"scope,omitempty"`
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// readTokenRequest accepts the OAuth2 password form or a JSON body.
func readTokenRequest(r *http.Request) (tokenRequest, error) {
	var req tokenRequest
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "application/x-www-form-urlencoded") || strings.HasPrefix(ct, "multipart/form-data") {
		r.Body = http.MaxBytesReader(nil, r.Body, maxJSONBody)
		err := r.ParseForm()
		if err == nil {
			if err = r.ParseMultipartForm(maxJSONBody); errors.Is(err, http.ErrNotMultipart) {
				err = nil
			}
		}
		if err != nil {
			return req, bodyError(err, "the form could not be read")
		}
		req.Username, req.Password, req.GrantType = r.PostFormValue("username"), r.PostFormValue("password"), r.PostFormValue("grant_type")
	} else if err := decodeJSON(r, &req); err != nil {
		return req, err
	}
	if req.GrantType != "" && req.GrantType != "password" {
		return req, invalid("grant_type", `must be "password"`)
	}
	if strings.TrimSpace(req.Username) == "" {
		return req, invalid("username", "is required")
	}
	if req.Password == "" {
		return req, invalid("password", "is required")
	}
	return req, nil
}

// errBadLogin is the one answer to unknown users, wrong passwords and
// deactivated accounts, so none can be told apart.
var errBadLogin = errorf(http.StatusUnauthorized, "incorrect username or password")

// errPending answers the right password of an account that waits for an
// admin's approval.
var errPending = errorf(http.StatusForbidden, "this account waits for an admin's approval; log in once an admin has activated it")

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	req, err := readTokenRequest(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.db.UserByLogin(r.Context(), req.Username)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, err)
		return
	}
	// One count per account, whether it is named by username or email;
	// unknown names are counted alike, so the answers tell nothing.
	key := "login:" + strings.ToLower(strings.TrimSpace(req.Username))
	if u.ID != 0 {
		key = accountKey(u.ID)
	}
	if s.guessing(w, r, key) {
		return
	}
	// Check runs a full bcrypt comparison even for unknown users.
	err = s.hasher.Check(u.PasswordHash, req.Password)
	if err == nil && u.Pending {
		// Only the account's own password learns that it waits.
		s.guesses.succeeded(key, clientAddr(r))
		s.fail(w, r, errPending)
		return
	}
	if err != nil || !u.Active {
		s.guesses.failed(key, clientAddr(r))
		s.log.InfoContext(r.Context(), "login refused", "client", middleware.GetClientIP(r.Context()))
		s.fail(w, r, errBadLogin)
		return
	}
	s.guesses.succeeded(key, clientAddr(r))
	tok, err := s.tokens.Issue(u.ID, u.TokenVersion)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, tokenResponse{AccessToken: tok, TokenType: "bearer", ExpiresIn: int(s.tokens.TTL().Seconds())})
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	out, err := s.withUsage(r.Context(), currentUser(r.Context()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// accountKey names a known account in the guess counts.
func accountKey(id uint64) string { return "account:" + strconv.FormatUint(id, 10) }

// clientAddr is the client address guesses are counted by.
func clientAddr(r *http.Request) string {
	return httprate.CanonicalizeIP(middleware.GetClientIP(r.Context()))
}

// guessing answers 429 with Retry-After when the client's address must
// still wait before its next password for account is checked.
func (s *Server) guessing(w http.ResponseWriter, r *http.Request, account string) bool {
	d := s.guesses.wait(account, clientAddr(r))
	if d <= 0 {
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
	writeProblem(w, r, http.StatusTooManyRequests, "too many wrong passwords from this address; retry after the time in Retry-After", nil)
	return true
}

// limitByIP applies limiter keyed by the client IP.
func (s *Server) limitByIP(l *httprate.RateLimiter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			key := "ip:" + httprate.CanonicalizeIP(middleware.GetClientIP(r.Context()))
			if l.RespondOnLimit(w, r, key) {
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// errLastAdmin refuses to demote, deactivate or delete the last admin.
var errLastAdmin = errorf(http.StatusConflict, "this is the last active admin; make another user admin first")

// storeError maps store sentinels to HTTP errors about what.
func storeError(err error, what string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errorf(http.StatusNotFound, "%s not found", what)
	case errors.Is(err, store.ErrLastAdmin):
		return errLastAdmin
	case errors.Is(err, store.ErrConflict):
		field := "username"
		if strings.Contains(err.Error(), "email") {
			field = "email"
		}
		return errorf(http.StatusConflict, "%s is already taken", field)
	default:
		return err
	}
}
