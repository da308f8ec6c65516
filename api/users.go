package api

import (
	"context"
	"errors"
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
		out[i] = toUserJSON(&users[i])
	}
	writeJSON(w, http.StatusOK, out)
}

type userUpdate struct {
	Username *string `json:"username"`
	Email    *string `json:"email"`
	Password *string `json:"password"`
}

// updateMe changes the caller's username, email or password. A new password
// revokes every token issued before it.
func (s *Server) updateMe(w http.ResponseWriter, r *http.Request) {
	var req userUpdate
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	var hash string
	if req.Username != nil {
		*req.Username = strings.TrimSpace(*req.Username)
		if err := auth.ValidateUsername(*req.Username); err != nil {
			s.fail(w, r, validation(err))
			return
		}
	}
	if req.Email != nil {
		*req.Email = strings.TrimSpace(*req.Email)
		if err := auth.ValidateEmail(*req.Email); err != nil {
			s.fail(w, r, validation(err))
			return
		}
	}
	if req.Password != nil {
		if err := auth.ValidatePassword(*req.Password); err != nil {
			s.fail(w, r, validation(err))
			return
		}
		var err error
		if hash, err = s.hasher.Hash(*req.Password); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	u, err := s.db.UpdateUser(r.Context(), currentUser(r.Context()).ID, func(u *store.User) error {
		if req.Username != nil {
			u.Username = *req.Username
		}
		if req.Email != nil {
			u.Email = *req.Email
		}
		if hash != "" {
			u.PasswordHash = hash
			u.TokenVersion++
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, storeError(err, "user"))
		return
	}
	writeJSON(w, http.StatusOK, toUserJSON(&u))
}

type userAdminUpdate struct {
	IsActive *bool   `json:"is_active"`
	Role     *string `json:"role"`
}

// adminUpdateUser activates, deactivates or changes the role of a user.
// Deactivating revokes the user's tokens at once.
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
	demotes := (req.IsActive != nil && !*req.IsActive) || (req.Role != nil && *req.Role != string(store.RoleAdmin))
	if demotes {
		if err := s.keepAnAdmin(r.Context(), id); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	u, err := s.db.UpdateUser(r.Context(), id, func(u *store.User) error {
		if req.IsActive != nil && *req.IsActive != u.Active {
			u.Active = *req.IsActive
			u.TokenVersion++
		}
		if req.Role != nil {
			u.Role = store.Role(*req.Role)
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, storeError(err, "user"))
		return
	}
	writeJSON(w, http.StatusOK, toUserJSON(&u))
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
	if err := s.keepAnAdmin(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.library.DeleteUser(r.Context(), id); err != nil {
		s.fail(w, r, storeError(err, "user"))
		return
	}
	s.log.InfoContext(r.Context(), "user deleted", "user_id", id, "by", me.ID)
	w.WriteHeader(http.StatusNoContent)
}

// keepAnAdmin refuses to remove or demote the last active admin.
func (s *Server) keepAnAdmin(ctx context.Context, id uint64) error {
	target, err := s.db.UserByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, "user not found")
	}
	if err != nil || !target.IsAdmin() || !target.Active {
		return err
	}
	users, err := s.db.Users(ctx, 0, 0)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.ID != id && u.IsAdmin() && u.Active {
			return nil
		}
	}
	return errorf(http.StatusConflict, "this is the last active admin; make another user admin first")
}
