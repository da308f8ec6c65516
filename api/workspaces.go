package api

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"docent/store"
)

// workspaceJSON is a workspace as API.md shows it: its documents' ids,
// and what the caller may do in it. Its members are listed to those who
// manage it.
type workspaceJSON struct {
	ID         uint64       `json:"id"`
	Name       string       `json:"name"`
	Visibility string       `json:"visibility"`
	OwnerID    uint64       `json:"owner_id"`
	Documents  []uint64     `json:"documents"`
	Access     string       `json:"access"`
	Library    bool         `json:"library,omitempty"`
	Members    []memberJSON `json:"members,omitempty"`
	CreatedAt  time.Time    `json:"created_at"`
	UpdatedAt  time.Time    `json:"updated_at"`
}

// memberJSON is one member of a workspace.
type memberJSON struct {
	UserID   uint64 `json:"user_id"`
	Username string `json:"username"`
	Access   string `json:"access"`
}

// toWorkspaceJSON is w as v sees it.
func (s *Server) toWorkspaceJSON(ctx context.Context, v store.Viewer, w *store.Workspace) (workspaceJSON, error) {
	docs, err := s.db.WorkspaceDocuments(ctx, v, w.ID)
	if err != nil {
		return workspaceJSON{}, err
	}
	if docs == nil {
		docs = []uint64{}
	}
	out := workspaceJSON{ID: w.ID, Name: w.Name, Visibility: string(w.Visibility), OwnerID: w.Owner, Documents: docs,
		Access: string(v.Access(w)), Library: w.Library, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
	if v.CanManage(w) {
		for id, a := range w.Members {
			m := memberJSON{UserID: id, Access: string(a)}
			if u, err := s.db.UserByID(ctx, id); err == nil {
				m.Username = u.Username
			}
			out.Members = append(out.Members, m)
		}
		slices.SortFunc(out.Members, func(a, b memberJSON) int { return cmp.Compare(a.UserID, b.UserID) })
	}
	return out, nil
}

// workspaceError maps a store error about a workspace to the client's.
func workspaceError(err error) error {
	switch {
	case errors.Is(err, store.ErrForbidden):
		msg := "this workspace is read-only for you: its owner or a member with write access changes it"
		if strings.Contains(err.Error(), "shared library") {
			msg = "the shared library's workspace always exists, and its own documents leave it only by being deleted"
		}
		return errorf(http.StatusForbidden, "%s", msg)
	case errors.Is(err, store.ErrConflict) && strings.Contains(err.Error(), "owner"):
		return invalid("user_id", "the owner of a workspace is not one of its members")
	case errors.Is(err, store.ErrConflict):
		return errorf(http.StatusConflict, "you already have a workspace with this name")
	}
	return storeError(err, "workspace")
}

type workspaceCreate struct {
	Name       string `json:"name"`
	Visibility string `json:"visibility"`
}

type workspaceUpdate struct {
	Name       *string `json:"name"`
	Visibility *string `json:"visibility"`
}

// checkWorkspaceName trims and checks a workspace name: 1 to 100
// characters, no control characters, not the shared library's.
func checkWorkspaceName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "" || utf8.RuneCountInString(name) > 100:
		return "", invalid("name", "is required, at most 100 characters")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", invalid("name", "must not hold control characters")
	case strings.EqualFold(name, store.LibraryName):
		return "", invalid("name", `"shared" is the shared library's workspace`)
	}
	return name, nil
}

func checkVisibility(v string) (store.Visibility, error) {
	switch vis := store.Visibility(v); vis {
	case store.VisibilityPrivate, store.VisibilityMembers, store.VisibilityEveryone:
		return vis, nil
	}
	return "", invalid("visibility", `must be "private", "members" or "everyone"`)
}

func (s *Server) createWorkspace(w http.ResponseWriter, r *http.Request) {
	var req workspaceCreate
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Visibility == "" {
		req.Visibility = string(store.VisibilityPrivate)
	}
	name, nerr := checkWorkspaceName(req.Name)
	vis, verr := checkVisibility(req.Visibility)
	if err := joinInvalid(nerr, verr); err != nil {
		s.fail(w, r, err)
		return
	}
	ws := store.Workspace{Name: name, Visibility: vis, Owner: currentUser(r.Context()).ID}
	if err := s.db.CreateWorkspace(r.Context(), &ws); err != nil {
		s.fail(w, r, workspaceError(err))
		return
	}
	s.writeWorkspace(w, r, http.StatusCreated, &ws)
}

// joinInvalid merges 422 errors about several fields into one.
func joinInvalid(errs ...error) error {
	var fields []FieldError
	for _, err := range errs {
		var he *httpError
		if errors.As(err, &he) {
			fields = append(fields, he.fields...)
		} else if err != nil {
			return err
		}
	}
	return invalidFields(fields)
}

// writeWorkspace answers with ws as the caller sees it.
func (s *Server) writeWorkspace(w http.ResponseWriter, r *http.Request, status int, ws *store.Workspace) {
	out, err := s.toWorkspaceJSON(r.Context(), viewer(r), ws)
	if err != nil {
		s.fail(w, r, workspaceError(err))
		return
	}
	writeJSON(w, status, out)
}

func (s *Server) listWorkspaces(w http.ResponseWriter, r *http.Request) {
	list, err := s.db.Workspaces(r.Context(), viewer(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]workspaceJSON, 0, len(list))
	for i := range list {
		wj, err := s.toWorkspaceJSON(r.Context(), viewer(r), &list[i])
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out = append(out, wj)
	}
	writeJSON(w, http.StatusOK, out)
}

// pathID reads a numeric path segment; a malformed one is not found.
func pathID(r *http.Request, param, what string) (uint64, error) {
	id, err := strconv.ParseUint(chi.URLParam(r, param), 10, 64)
	if err != nil || id == 0 {
		return 0, errorf(http.StatusNotFound, "%s not found", what)
	}
	return id, nil
}

// memberID reads the {user_id} segment: a user's id, or their username
// (people share with names, not numbers; a number is taken as an id).
func (s *Server) memberID(r *http.Request, what string) (uint64, error) {
	raw := chi.URLParam(r, "user_id")
	if id, err := strconv.ParseUint(raw, 10, 64); err == nil && id != 0 {
		if _, err := s.db.UserByID(r.Context(), id); err != nil {
			return 0, errorf(http.StatusNotFound, "%s not found", what)
		}
		return id, nil
	}
	u, err := s.db.UserByLogin(r.Context(), raw)
	if err != nil || !strings.EqualFold(u.Username, raw) {
		return 0, errorf(http.StatusNotFound, "%s not found", what)
	}
	return u.ID, nil
}

// visibleWorkspace loads the {id} workspace if the caller may see it.
func (s *Server) visibleWorkspace(r *http.Request) (store.Workspace, error) {
	id, err := idParam(r, "workspace")
	if err != nil {
		return store.Workspace{}, err
	}
	ws, err := s.db.Workspace(r.Context(), viewer(r), id)
	if err != nil {
		return ws, workspaceError(err)
	}
	return ws, nil
}

func (s *Server) getWorkspace(w http.ResponseWriter, r *http.Request) {
	ws, err := s.visibleWorkspace(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeWorkspace(w, r, http.StatusOK, &ws)
}

func (s *Server) updateWorkspace(w http.ResponseWriter, r *http.Request) {
	ws, err := s.visibleWorkspace(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req workspaceUpdate
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	var name string
	var vis store.Visibility
	var nerr, verr error
	if req.Name != nil {
		name, nerr = checkWorkspaceName(*req.Name)
	}
	if req.Visibility != nil {
		vis, verr = checkVisibility(*req.Visibility)
	}
	if ws.Library && (req.Name != nil || req.Visibility != nil) && viewer(r).CanManage(&ws) {
		nerr, verr = invalid("name", "the shared library's workspace keeps its name and its visibility"), nil
	}
	if err := joinInvalid(nerr, verr); err != nil {
		s.fail(w, r, err)
		return
	}
	updated, err := s.db.UpdateWorkspace(r.Context(), viewer(r), ws.ID, func(x *store.Workspace) error {
		if req.Name != nil {
			x.Name = name
		}
		if req.Visibility != nil {
			x.Visibility = vis
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, workspaceError(err))
		return
	}
	s.writeWorkspace(w, r, http.StatusOK, &updated)
}

func (s *Server) deleteWorkspace(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "workspace")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.db.DeleteWorkspace(r.Context(), viewer(r), id); err != nil {
		s.fail(w, r, workspaceError(err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type memberUpdate struct {
	Access string `json:"access"`
}

// setMember gives a user read or write access to the {id} workspace.
func (s *Server) setMember(w http.ResponseWriter, r *http.Request) {
	ws, err := s.visibleWorkspace(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	user, err := s.memberID(r, "user")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req memberUpdate
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	a := store.Access(req.Access)
	if a != store.AccessRead && a != store.AccessWrite {
		s.fail(w, r, invalid("access", `must be "read" or "write"`))
		return
	}
	if !viewer(r).CanManage(&ws) {
		s.fail(w, r, workspaceError(store.ErrForbidden))
		return
	}
	updated, err := s.db.SetMember(r.Context(), viewer(r), ws.ID, user, a)
	if err != nil {
		s.fail(w, r, workspaceError(err))
		return
	}
	s.writeWorkspace(w, r, http.StatusOK, &updated)
}

// removeMember takes a user's access to the {id} workspace away and
// answers with the workspace.
func (s *Server) removeMember(w http.ResponseWriter, r *http.Request) {
	ws, err := s.visibleWorkspace(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	user, err := s.memberID(r, "member")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !viewer(r).CanManage(&ws) {
		s.fail(w, r, workspaceError(store.ErrForbidden))
		return
	}
	updated, err := s.db.RemoveMember(r.Context(), viewer(r), ws.ID, user)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = errorf(http.StatusNotFound, "member not found")
		}
		s.fail(w, r, workspaceError(err))
		return
	}
	s.writeWorkspace(w, r, http.StatusOK, &updated)
}

// workspaceDocument reads the {id} workspace and the {doc_id} document,
// each of which the caller must see (404 otherwise, the workspace first).
func (s *Server) workspaceDocument(r *http.Request) (store.Workspace, uint64, error) {
	ws, err := s.visibleWorkspace(r)
	if err != nil {
		return ws, 0, err
	}
	doc, err := pathID(r, "doc_id", "document")
	if err != nil {
		return ws, 0, err
	}
	if _, err := s.db.Document(r.Context(), viewer(r), doc); err != nil {
		return ws, 0, storeError(err, "document")
	}
	return ws, doc, nil
}

// addDocument puts a document the caller may read in the {id} workspace.
func (s *Server) addDocument(w http.ResponseWriter, r *http.Request) {
	ws, doc, err := s.workspaceDocument(r)
	if err == nil {
		err = s.db.AddToWorkspace(r.Context(), viewer(r), ws.ID, doc)
	}
	if err != nil {
		s.fail(w, r, workspaceError(err))
		return
	}
	s.writeWorkspace(w, r, http.StatusOK, &ws)
}

// removeDocument takes a document out of the {id} workspace (the
// document itself stays) and answers with the workspace.
func (s *Server) removeDocument(w http.ResponseWriter, r *http.Request) {
	ws, doc, err := s.workspaceDocument(r)
	if err == nil {
		err = s.db.RemoveFromWorkspace(r.Context(), viewer(r), ws.ID, doc)
		if errors.Is(err, store.ErrNotFound) {
			err = errorf(http.StatusNotFound, "the document is not in this workspace")
		}
	}
	if err != nil {
		s.fail(w, r, workspaceError(err))
		return
	}
	s.writeWorkspace(w, r, http.StatusOK, &ws)
}

// checkWorkspace fails with 404 unless the caller may see workspace id
// (0, no workspace, always passes).
func (s *Server) checkWorkspace(ctx context.Context, v store.Viewer, id uint64) error {
	if id == 0 {
		return nil
	}
	if _, err := s.db.Workspace(ctx, v, id); err != nil {
		return workspaceError(err)
	}
	return nil
}

// uploadWorkspace reads ?workspace= of an upload and checks, before any
// byte is received, that the caller may add documents to it (0: none).
func (s *Server) uploadWorkspace(r *http.Request) (uint64, error) {
	raw := r.URL.Query().Get("workspace")
	if raw == "" {
		return 0, nil
	}
	id, err := strconv.ParseUint(raw, 10, 64)
	if err != nil || id == 0 {
		return 0, errorf(http.StatusNotFound, "workspace not found")
	}
	return id, s.writableWorkspace(r.Context(), viewer(r), id)
}

// writableWorkspace fails unless v may add documents to workspace id.
func (s *Server) writableWorkspace(ctx context.Context, v store.Viewer, id uint64) error {
	if err := s.db.CheckWritable(ctx, v, id); err != nil {
		return workspaceError(err)
	}
	return nil
}

// intoWorkspace adds uploaded documents to workspace id (0: none).
func (s *Server) intoWorkspace(ctx context.Context, v store.Viewer, id uint64, docs []documentJSON) error {
	if id == 0 {
		return nil
	}
	for _, d := range docs {
		if err := s.db.AddToWorkspace(ctx, v, id, d.ID); err != nil {
			return workspaceError(err)
		}
	}
	return nil
}
