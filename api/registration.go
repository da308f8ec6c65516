package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"docent/internal/auth"
	"docent/store"
)

// Registration says who may create an account with POST
// /api/v1/auth/register. Whatever the mode, the very first account can be
// registered (it becomes the admin), registrations are rate-limited per
// address, and an admin can add accounts (POST /api/v1/users).
type Registration string

// Registration modes.
const (
	// RegistrationOpen: anyone gets an active account at once.
	RegistrationOpen Registration = "open"
	// RegistrationApproval (the default): new accounts wait, inactive,
	// until an admin activates them; an invite skips the wait.
	RegistrationApproval Registration = "approval"
	// RegistrationInvite: only with a single-use invite code an admin made.
	RegistrationInvite Registration = "invite"
	// RegistrationClosed: only admins add accounts.
	RegistrationClosed Registration = "closed"
)

// ParseRegistration checks a registration mode's name; "" is the default.
func ParseRegistration(s string) (Registration, error) {
	switch m := Registration(strings.ToLower(strings.TrimSpace(s))); m {
	case "":
		return RegistrationApproval, nil
	case RegistrationOpen, RegistrationApproval, RegistrationInvite, RegistrationClosed:
		return m, nil
	}
	return "", fmt.Errorf("unknown registration mode %q (open, approval, invite, closed)", s)
}

type registerRequest struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Password string `json:"password"`
	Invite   string `json:"invite"`
}

// check trims the names and reports every invalid field at once.
func (req *registerRequest) check() error {
	req.Username, req.Email = strings.TrimSpace(req.Username), strings.TrimSpace(req.Email)
	return validation(auth.ValidateUsername(req.Username), auth.ValidateEmail(req.Email), auth.ValidatePassword(req.Password))
}

// account is the active account req describes, its password hashed.
func (s *Server) account(req *registerRequest, role store.Role) (store.User, error) {
	hash, err := s.hasher.Hash(req.Password)
	if err != nil {
		return store.User{}, err
	}
	return store.User{Username: req.Username, Email: req.Email, PasswordHash: hash, Role: role, Active: true}, nil
}

// pendingJSON answers a registration that waits for approval. It has no
// id: the same answer is given whether or not the name or email was free,
// so registering cannot be used to find out which accounts exist.
type pendingJSON struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Role     string `json:"role"`
	IsActive bool   `json:"is_active"`
	Pending  bool   `json:"pending"`
	Detail   string `json:"detail"`
}

var (
	errRegistrationClosed = errorf(http.StatusForbidden, "registration is closed: an admin adds accounts")
	errInviteRequired     = &httpError{status: http.StatusForbidden, detail: "invite: registration needs an invite code from an admin",
		fields: []FieldError{{Field: "invite", Message: "is required"}}}
	errBadInvite = &httpError{status: http.StatusForbidden, detail: "invite: the code is unknown, used or expired; ask an admin for a new one",
		fields: []FieldError{{Field: "invite", Message: "is unknown, used or expired"}}}
)

// waitDetail is what a registration waiting for approval is told.
const waitDetail = "if this username and email were free, the account now waits for an admin's approval; log in once it is approved"

// register creates an account as the registration mode allows.
func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	var req registerRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	req.Invite = strings.TrimSpace(req.Invite)
	if err := req.check(); err != nil {
		s.fail(w, r, err)
		return
	}
	mode := s.cfg.Registration
	onlyFirst := mode == RegistrationClosed || mode == RegistrationInvite && req.Invite == ""
	if onlyFirst {
		if first, err := s.noUsersYet(r.Context()); err != nil || !first {
			s.fail(w, r, cmp.Or(err, refusal(mode)))
			return
		}
	}
	u, err := s.account(&req, store.RoleUser)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pending := false
	switch {
	case onlyFirst: // checked again inside the store's transaction
		err = s.db.CreateFirstUser(r.Context(), &u)
		if errors.Is(err, store.ErrForbidden) {
			err = refusal(mode)
		}
	case req.Invite != "" && mode != RegistrationOpen:
		err = s.db.CreateUserWithInvite(r.Context(), &u, auth.HashAPIKey(req.Invite))
		if errors.Is(err, store.ErrInvite) {
			err = errBadInvite
		}
	case mode == RegistrationApproval:
		u.Active, u.Pending = false, true
		err = s.db.CreateUser(r.Context(), &u)
		if errors.Is(err, store.ErrConflict) {
			err, u.ID = nil, 0 // answered as if it were free: see pendingJSON
		}
		pending = u.Pending // the very first account is made an active admin instead
	default:
		err = s.db.CreateUser(r.Context(), &u)
	}
	if err != nil {
		s.fail(w, r, storeError(err, "user"))
		return
	}
	if pending {
		if u.ID != 0 {
			s.log.InfoContext(r.Context(), "user registered, waiting for approval", "user_id", u.ID)
		}
		writeJSON(w, http.StatusAccepted, pendingJSON{Username: req.Username, Email: req.Email, Role: string(store.RoleUser),
			Pending: true, Detail: waitDetail})
		return
	}
	s.log.InfoContext(r.Context(), "user registered", "user_id", u.ID, "role", u.Role, "invite", req.Invite != "")
	writeJSON(w, http.StatusCreated, toUserJSON(&u))
}

// refusal is the answer to a registration the mode does not allow.
func refusal(mode Registration) error {
	if mode == RegistrationInvite {
		return errInviteRequired
	}
	return errRegistrationClosed
}

// noUsersYet reports whether the next account is the first (the admin).
func (s *Server) noUsersYet(ctx context.Context) (bool, error) {
	n, err := s.db.CountUsers(ctx)
	return n == 0, err
}

// registrationInfo tells the web page how registration works here.
func (s *Server) registrationInfo(w http.ResponseWriter, r *http.Request) {
	first, err := s.noUsersYet(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"mode": s.cfg.Registration, "first_account": first})
}

// createUser adds an active account (admin): how accounts come about when
// registration is closed.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var req struct {
		registerRequest
		Role string `json:"role"`
	}
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Invite != "" {
		s.fail(w, r, invalid("invite", "unknown field"))
		return
	}
	if req.Role == "" {
		req.Role = string(store.RoleUser)
	}
	if req.Role != string(store.RoleUser) && req.Role != string(store.RoleAdmin) {
		s.fail(w, r, invalid("role", `must be "user" or "admin"`))
		return
	}
	if err := req.check(); err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.account(&req.registerRequest, store.Role(req.Role))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.db.CreateUser(r.Context(), &u); err != nil {
		s.fail(w, r, storeError(err, "user"))
		return
	}
	s.log.InfoContext(r.Context(), "user added by an admin", "user_id", u.ID, "by", currentUser(r.Context()).ID)
	writeJSON(w, http.StatusCreated, toUserJSON(&u))
}

// Invite lifetimes.
const (
	defaultInviteTTL = 7 * 24 * time.Hour
	maxInviteTTL     = 90 * 24 * time.Hour
)

// inviteJSON is an invite as admins list it; Code only when it is made.
type inviteJSON struct {
	ID        uint64    `json:"id"`
	Code      string    `json:"code,omitempty"`
	CreatedBy uint64    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	UsedBy    uint64    `json:"used_by,omitempty"`
	UsedAt    time.Time `json:"used_at,omitzero"`
}

func toInviteJSON(inv *store.Invite) inviteJSON {
	return inviteJSON{ID: inv.ID, CreatedBy: inv.CreatedBy, CreatedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt,
		UsedBy: inv.UsedBy, UsedAt: inv.UsedAt}
}

// createInvite makes a single-use invite code (admin), shown once.
func (s *Server) createInvite(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ExpiresIn *int64 `json:"expires_in"` // seconds
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &req); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	ttl := defaultInviteTTL
	if req.ExpiresIn != nil {
		ttl = time.Duration(*req.ExpiresIn) * time.Second
		if *req.ExpiresIn < 60 || ttl > maxInviteTTL {
			s.fail(w, r, invalid("expires_in", "must be from 60 seconds to 90 days, in seconds"))
			return
		}
	}
	code, hash, err := auth.NewInviteCode()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	inv := store.Invite{Hash: hash, CreatedBy: currentUser(r.Context()).ID, ExpiresAt: time.Now().Add(ttl).UTC()}
	if err := s.db.CreateInvite(r.Context(), &inv); err != nil {
		s.fail(w, r, err)
		return
	}
	out := toInviteJSON(&inv)
	out.Code = code
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, out)
}

// listInvites lists every invite without its code (admin).
func (s *Server) listInvites(w http.ResponseWriter, r *http.Request) {
	invites, err := s.db.Invites(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]inviteJSON, len(invites))
	for i := range invites {
		out[i] = toInviteJSON(&invites[i])
	}
	writeJSON(w, http.StatusOK, out)
}

// deleteInvite withdraws an invite (admin).
func (s *Server) deleteInvite(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "invite")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.db.DeleteInvite(r.Context(), id); err != nil {
		s.fail(w, r, storeError(err, "invite"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
