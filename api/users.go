package api

import (
	"encoding/json"
	"net/http"
	"strings"

	"docent/internal/auth"
	"docent/store"
)

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	skip, limit, err := pageParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	users, err := s.db.Users(r.Context(), skip, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]userJSON, len(users))
	for i := range users {
		if out[i], err = s.withUsage(r.Context(), &users[i]); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// getUser answers one user (admin).
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "user")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.db.UserByID(r.Context(), id)
	if err != nil {
		s.fail(w, r, storeError(err, "user"))
		return
	}
	out, err := s.withUsage(r.Context(), &u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

type userUpdate struct {
	Username        *string `json:"username"`
	Email           *string `json:"email"`
	Password        *string `json:"password"`
	CurrentPassword *string `json:"current_password"`
}

// checkUserUpdate validates the fields present, reporting every problem at once, and
// returns the hash of the new password ("" when it does not change).
func (s *Server) checkUserUpdate(req *userUpdate) (hash string, err error) {
	var problems []error
	if req.Username != nil {
		*req.Username = strings.TrimSpace(*req.Username)
		problems = append(problems, auth.ValidateUsername(*req.Username))
	}
	if req.Email != nil {
		*req.Email = strings.TrimSpace(*req.Email)
		problems = append(problems, auth.ValidateEmail(*req.Email))
	}
	if req.Password != nil {
		problems = append(problems, auth.ValidatePassword(*req.Password))
	}
	if err := validation(problems...); err != nil {
		return "", err
	}
	if req.Password == nil {
		return "", nil
	}
	return s.hasher.Hash(*req.Password)
}

// errCurrentPassword refuses a password change without the right current
// password: a stolen token alone cannot take the account over.
var errCurrentPassword = &httpError{status: http.StatusForbidden,
	detail: "current_password: the current password is required to set a new one, and it must be right",
	fields: []FieldError{{Field: "current_password", Message: "is missing or wrong"}}}

// checkCurrentPassword verifies the caller's current password before a
// password change. Wrong ones count with the login's from the same
// address, so the endpoint is no faster a way to guess than logging in.
func (s *Server) checkCurrentPassword(w http.ResponseWriter, r *http.Request, req *userUpdate) (limited bool, err error) {
	u := currentUser(r.Context())
	if s.guessing(w, r, accountKey(u.ID)) {
		return true, nil
	}
	if req.CurrentPassword == nil || s.hasher.Check(u.PasswordHash, *req.CurrentPassword) != nil {
		s.guesses.failed(accountKey(u.ID), clientAddr(r))
		s.log.InfoContext(r.Context(), "password change refused: wrong current password", "user_id", u.ID)
		return false, errCurrentPassword
	}
	return false, nil
}

// updateMe changes the caller's username, email or password. A new password
// needs the current one and revokes every credential issued before it.
func (s *Server) updateMe(w http.ResponseWriter, r *http.Request) {
	var req userUpdate
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	s.applyUserUpdate(w, r, currentUser(r.Context()).ID, &req, nil)
}

// applyUserUpdate validates req and applies it, with admin's changes when
// not nil, to user id. Changing one's own password needs the current one.
func (s *Server) applyUserUpdate(w http.ResponseWriter, r *http.Request, id uint64, req *userUpdate, admin func(*store.User)) {
	hash, err := s.checkUserUpdate(req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if hash != "" && id == currentUser(r.Context()).ID {
		limited, err := s.checkCurrentPassword(w, r, req)
		if limited {
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
	}
	u, err := s.db.UpdateUser(r.Context(), id, func(u *store.User) error {
		if req.Username != nil {
			u.Username = *req.Username
		}
		if req.Email != nil {
			u.Email = *req.Email
		}
		if admin != nil {
			admin(u)
		}
		if hash != "" {
			u.SetPassword(hash)
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, storeError(err, "user"))
		return
	}
	if hash != "" {
		s.log.InfoContext(r.Context(), "password changed; earlier credentials revoked", "user_id", id, "by", currentUser(r.Context()).ID)
	}
	s.recheckSockets(id)
	out, err := s.withUsage(r.Context(), &u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

type userAdminUpdate struct {
	IsActive        *bool           `json:"is_active"`
	Role            *string         `json:"role"`
	Password        *string         `json:"password"`
	CurrentPassword *string         `json:"current_password"`
	Quota           json.RawMessage `json:"quota"`
}

// adminUpdateUser activates, deactivates, changes the role, the quota or
// the password of a user. Deactivating and a new password revoke the user's
// credentials at once. An admin setting their own password gives the
// current one, as on /users/me.
func (s *Server) adminUpdateUser(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "user")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req userAdminUpdate
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Role != nil && *req.Role != string(store.RoleUser) && *req.Role != string(store.RoleAdmin) {
		s.fail(w, r, invalid("role", `must be "user" or "admin"`))
		return
	}
	var quota *store.QuotaOverride
	if req.Quota != nil {
		if quota, err = parseQuotaOverride(req.Quota); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.applyUserUpdate(w, r, id, &userUpdate{Password: req.Password, CurrentPassword: req.CurrentPassword}, func(u *store.User) {
		if req.IsActive != nil {
			u.SetActive(*req.IsActive)
		}
		if req.Role != nil {
			u.Role = store.Role(*req.Role)
		}
		if req.Quota != nil {
			u.Quota = quota
		}
	})
}

// deleteUser removes a user (admin, or the user themself) with their
// conversations and private documents.
func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "user")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	me := currentUser(r.Context())
	if me.ID != id && !me.IsAdmin() {
		s.fail(w, r, errorf(http.StatusNotFound, "user not found"))
		return
	}
	if err := s.library.DeleteUser(r.Context(), id); err != nil {
		s.fail(w, r, storeError(err, "user"))
		return
	}
	s.recheckSockets(id)
	s.log.InfoContext(r.Context(), "user deleted", "user_id", id, "by", me.ID)
	w.WriteHeader(http.StatusNoContent)
}
