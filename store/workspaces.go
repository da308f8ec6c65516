package store

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Visibility says who sees a workspace.
type Visibility string

// Workspace visibilities.
const (
	// VisibilityPrivate: its owner only (members are kept but see nothing).
	VisibilityPrivate Visibility = "private"
	// VisibilityMembers: its owner and the users named as its members.
	VisibilityMembers Visibility = "members"
	// VisibilityEveryone: every user reads it; members get what they are given.
	VisibilityEveryone Visibility = "everyone"
)

// Access is what a user may do in a workspace.
type Access string

// Accesses: read sees and searches the documents; write also adds and
// removes documents and uploads into the workspace.
const (
	AccessRead  Access = "read"
	AccessWrite Access = "write"
)

// LibraryName is the name of the workspace of the shared library.
const LibraryName = "shared"

// Workspace is a named group of documents; a document may be in several.
// The workspace of the shared library (Library set, owner Shared, named
// LibraryName, visible to everyone) holds every document of owner Shared
// besides the documents added to it.
type Workspace struct {
	ID         uint64            `json:"id"`
	Name       string            `json:"name"`
	Visibility Visibility        `json:"visibility"`
	Owner      uint64            `json:"owner"` // Shared: the server's, managed by admins
	Members    map[uint64]Access `json:"members,omitempty"`
	Library    bool              `json:"library,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
}

// Access reports what v may do in w: AccessWrite, AccessRead, or "" when
// w is hidden from v. Its owner (an admin, for the server's workspaces)
// writes; a member gets their access unless w is private; everyone reads
// a workspace visible to everyone.
func (v Viewer) Access(w *Workspace) Access {
	if v.CanManage(w) {
		return AccessWrite
	}
	if a, ok := w.Members[v.UserID]; ok && w.Visibility != VisibilityPrivate {
		return a
	}
	if w.Visibility == VisibilityEveryone {
		return AccessRead
	}
	return ""
}

// CanManage reports whether v may rename w, change who sees it, or
// delete it: its owner, or an admin for the server's workspaces.
func (v Viewer) CanManage(w *Workspace) bool {
	return w.Owner == v.UserID || w.Owner == Shared && v.Admin
}

// nameKey is the ws_names key of an owner's workspace name.
func nameKey(owner uint64, name string) []byte { return append(itob(owner), fold(name)...) }

// CreateWorkspace stores w, assigning its ID and times. An owner's
// workspace names are unique, ignoring case (ErrConflict).
func (db *DB) CreateWorkspace(ctx context.Context, w *Workspace) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		if w.Owner != Shared && tx.Bucket(bucketUsers).Get(itob(w.Owner)) == nil {
			return fmt.Errorf("user %d: %w", w.Owner, ErrNotFound)
		}
		return createWorkspace(tx, w, db.now())
	})
}

func createWorkspace(tx *bolt.Tx, w *Workspace, now time.Time) error {
	names := tx.Bucket(bucketWorkspaceNames)
	if names.Get(nameKey(w.Owner, w.Name)) != nil {
		return fmt.Errorf("workspace name: %w", ErrConflict)
	}
	b := tx.Bucket(bucketWorkspaces)
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	w.ID, w.CreatedAt, w.UpdatedAt = id, now, now
	if err := names.Put(nameKey(w.Owner, w.Name), itob(id)); err != nil {
		return err
	}
	return putJSON(b, itob(id), w)
}

// visibleWorkspace loads workspace id if v may see it; a hidden one is
// ErrNotFound, like a missing one.
func visibleWorkspace(tx *bolt.Tx, v Viewer, id uint64) (Workspace, error) {
	var w Workspace
	if err := getJSON(tx.Bucket(bucketWorkspaces), itob(id), &w); err != nil || v.Access(&w) == "" {
		return Workspace{}, fmt.Errorf("workspace %d: %w", id, ErrNotFound)
	}
	return w, nil
}

// Workspace returns workspace id if v may see it.
func (db *DB) Workspace(ctx context.Context, v Viewer, id uint64) (Workspace, error) {
	var w Workspace
	err := db.view(ctx, func(tx *bolt.Tx) (err error) {
		w, err = visibleWorkspace(tx, v, id)
		return err
	})
	return w, err
}

// Workspaces lists the workspaces v may see, in id order (the shared
// library's first).
func (db *DB) Workspaces(ctx context.Context, v Viewer) ([]Workspace, error) {
	var out []Workspace
	err := db.view(ctx, func(tx *bolt.Tx) error {
		return forEachWorkspace(tx, func(w *Workspace) error {
			if v.Access(w) != "" {
				out = append(out, *w)
			}
			return nil
		})
	})
	return out, err
}

// forEachWorkspace calls fn with every workspace, in id order.
func forEachWorkspace(tx *bolt.Tx, fn func(*Workspace) error) error {
	return tx.Bucket(bucketWorkspaces).ForEach(func(_, raw []byte) error {
		var w Workspace
		if err := decodeJSON(raw, &w); err != nil {
			return err
		}
		return fn(&w)
	})
}

// managedWorkspace loads workspace id for a change only a manager may
// make: hidden is ErrNotFound, visible but not v's to manage ErrForbidden.
func managedWorkspace(tx *bolt.Tx, v Viewer, id uint64) (Workspace, error) {
	w, err := visibleWorkspace(tx, v, id)
	if err != nil {
		return w, err
	}
	if !v.CanManage(&w) {
		return w, fmt.Errorf("workspace %d: %w", id, ErrForbidden)
	}
	return w, nil
}

// UpdateWorkspace applies fn to workspace id and saves it, if v manages
// it. A new name must be free among the owner's workspaces.
func (db *DB) UpdateWorkspace(ctx context.Context, v Viewer, id uint64, fn func(*Workspace) error) (Workspace, error) {
	var w Workspace
	err := db.update(ctx, func(tx *bolt.Tx) (err error) {
		if w, err = managedWorkspace(tx, v, id); err != nil {
			return err
		}
		old := w
		if err := fn(&w); err != nil {
			return err
		}
		w.ID, w.Owner, w.Library, w.CreatedAt, w.UpdatedAt = old.ID, old.Owner, old.Library, old.CreatedAt, db.now()
		names := tx.Bucket(bucketWorkspaceNames)
		if !bytes.Equal(fold(old.Name), fold(w.Name)) {
			if names.Get(nameKey(w.Owner, w.Name)) != nil {
				return fmt.Errorf("workspace name: %w", ErrConflict)
			}
			if err := names.Delete(nameKey(old.Owner, old.Name)); err != nil {
				return err
			}
			if err := names.Put(nameKey(w.Owner, w.Name), itob(w.ID)); err != nil {
				return err
			}
		}
		return putJSON(tx.Bucket(bucketWorkspaces), itob(id), &w)
	})
	return w, err
}

// DeleteWorkspace removes workspace id (not its documents) if v manages
// it; the shared library's workspace cannot be deleted (ErrForbidden).
func (db *DB) DeleteWorkspace(ctx context.Context, v Viewer, id uint64) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		w, err := managedWorkspace(tx, v, id)
		if err != nil {
			return err
		}
		if w.Library {
			return fmt.Errorf("the shared library's workspace: %w", ErrForbidden)
		}
		return deleteWorkspace(tx, &w)
	})
}

func deleteWorkspace(tx *bolt.Tx, w *Workspace) error {
	var docs []uint64
	if err := forEachPair(tx.Bucket(bucketWorkspaceDocs), w.ID, func(d uint64) error {
		docs = append(docs, d)
		return nil
	}); err != nil {
		return err
	}
	for _, d := range docs {
		if err := unlink(tx, w.ID, d); err != nil {
			return err
		}
	}
	if err := tx.Bucket(bucketWorkspaceNames).Delete(nameKey(w.Owner, w.Name)); err != nil {
		return err
	}
	return tx.Bucket(bucketWorkspaces).Delete(itob(w.ID))
}

// SetMember gives user access to workspace id (replacing what they had),
// if v manages it. The user must exist and not be the owner.
func (db *DB) SetMember(ctx context.Context, v Viewer, id, user uint64, a Access) (Workspace, error) {
	var w Workspace
	err := db.update(ctx, func(tx *bolt.Tx) (err error) {
		if w, err = managedWorkspace(tx, v, id); err != nil {
			return err
		}
		if tx.Bucket(bucketUsers).Get(itob(user)) == nil {
			return fmt.Errorf("user %d: %w", user, ErrNotFound)
		}
		if user == w.Owner {
			return fmt.Errorf("the owner of a workspace is not a member: %w", ErrConflict)
		}
		if w.Members == nil {
			w.Members = map[uint64]Access{}
		}
		w.Members[user], w.UpdatedAt = a, db.now()
		return putJSON(tx.Bucket(bucketWorkspaces), itob(id), &w)
	})
	return w, err
}

// RemoveMember takes user's access to workspace id away, if v manages it
// (ErrNotFound when they were no member).
func (db *DB) RemoveMember(ctx context.Context, v Viewer, id, user uint64) (Workspace, error) {
	var w Workspace
	err := db.update(ctx, func(tx *bolt.Tx) (err error) {
		if w, err = managedWorkspace(tx, v, id); err != nil {
			return err
		}
		if _, ok := w.Members[user]; !ok {
			return fmt.Errorf("member %d: %w", user, ErrNotFound)
		}
		delete(w.Members, user)
		w.UpdatedAt = db.now()
		return putJSON(tx.Bucket(bucketWorkspaces), itob(id), &w)
	})
	return w, err
}

// writableWorkspace loads workspace id for a change of its documents:
// hidden is ErrNotFound, readable only ErrForbidden.
func writableWorkspace(tx *bolt.Tx, v Viewer, id uint64) (Workspace, error) {
	w, err := visibleWorkspace(tx, v, id)
	if err != nil {
		return w, err
	}
	if v.Access(&w) != AccessWrite {
		return w, fmt.Errorf("workspace %d is read-only for this user: %w", id, ErrForbidden)
	}
	return w, nil
}

// CheckWritable reports whether v may add documents to workspace id
// (ErrNotFound, ErrForbidden), before an upload into it starts.
func (db *DB) CheckWritable(ctx context.Context, v Viewer, id uint64) error {
	return db.view(ctx, func(tx *bolt.Tx) error {
		_, err := writableWorkspace(tx, v, id)
		return err
	})
}

// AddToWorkspace puts document doc in workspace id: v needs write access
// to the workspace and must be able to read the document. Adding it again
// changes nothing.
func (db *DB) AddToWorkspace(ctx context.Context, v Viewer, id, doc uint64) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		w, err := writableWorkspace(tx, v, id)
		if err != nil {
			return err
		}
		d, err := readableDocument(tx, v, doc)
		if err != nil {
			return err
		}
		if w.Library && d.Owner == Shared {
			return nil // in the shared library already
		}
		return link(tx, id, doc)
	})
}

// RemoveFromWorkspace takes document doc out of workspace id (the
// document stays): v needs write access. A shared-library document leaves
// the library's workspace only by being deleted (ErrForbidden).
func (db *DB) RemoveFromWorkspace(ctx context.Context, v Viewer, id, doc uint64) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		w, err := writableWorkspace(tx, v, id)
		if err != nil {
			return err
		}
		if tx.Bucket(bucketWorkspaceDocs).Get(pairKey(id, doc)) == nil {
			var d Document
			if w.Library && getJSON(tx.Bucket(bucketDocs), itob(doc), &d) == nil && d.Owner == Shared {
				return fmt.Errorf("a shared-library document leaves the library by being deleted: %w", ErrForbidden)
			}
			return fmt.Errorf("document %d: %w", doc, ErrNotFound)
		}
		return unlink(tx, id, doc)
	})
}

// linkNew puts a new document in the workspace d.Workspace names, if any
// (nothing to do for the shared library's and its own documents).
func linkNew(tx *bolt.Tx, d *Document) error {
	if d.Workspace == 0 {
		return nil
	}
	var w Workspace
	if err := getJSON(tx.Bucket(bucketWorkspaces), itob(d.Workspace), &w); err != nil {
		return fmt.Errorf("workspace %d: %w", d.Workspace, err)
	}
	if w.Library && d.Owner == Shared {
		return nil
	}
	return link(tx, d.Workspace, d.ID)
}

// link and unlink add and remove a document's membership, in both indexes.
func link(tx *bolt.Tx, ws, doc uint64) error {
	if err := tx.Bucket(bucketWorkspaceDocs).Put(pairKey(ws, doc), nil); err != nil {
		return err
	}
	return tx.Bucket(bucketDocWorkspaces).Put(pairKey(doc, ws), nil)
}

func unlink(tx *bolt.Tx, ws, doc uint64) error {
	if err := tx.Bucket(bucketWorkspaceDocs).Delete(pairKey(ws, doc)); err != nil {
		return err
	}
	return tx.Bucket(bucketDocWorkspaces).Delete(pairKey(doc, ws))
}

// workspacesOf lists the workspaces document doc was added to.
func workspacesOf(tx *bolt.Tx, doc uint64) ([]uint64, error) {
	var out []uint64
	err := forEachPair(tx.Bucket(bucketDocWorkspaces), doc, func(ws uint64) error {
		out = append(out, ws)
		return nil
	})
	return out, err
}

// dropMemberships removes document doc from every workspace.
func dropMemberships(tx *bolt.Tx, doc uint64) error {
	wss, err := workspacesOf(tx, doc)
	for _, ws := range wss {
		if err == nil {
			err = unlink(tx, ws, doc)
		}
	}
	return err
}

// moveMemberships puts document to in every workspace from is in (a new
// version of a file replacing the old one), and takes from out of them.
func moveMemberships(tx *bolt.Tx, from, to uint64) error {
	wss, err := workspacesOf(tx, from)
	for _, ws := range wss {
		if err == nil {
			err = unlink(tx, ws, from)
		}
		if err == nil {
			err = link(tx, ws, to)
		}
	}
	return err
}

// WorkspaceDocuments returns the ids of the documents in workspace id, if
// v may see it, in id order: for the shared library's workspace, every
// document of owner Shared and those added to it.
func (db *DB) WorkspaceDocuments(ctx context.Context, v Viewer, id uint64) ([]uint64, error) {
	var out []uint64
	err := db.view(ctx, func(tx *bolt.Tx) error {
		w, err := visibleWorkspace(tx, v, id)
		if err != nil {
			return err
		}
		out, err = workspaceDocuments(tx, &w)
		return err
	})
	return out, err
}

func workspaceDocuments(tx *bolt.Tx, w *Workspace) ([]uint64, error) {
	var out []uint64
	add := func(d uint64) error { out = append(out, d); return nil }
	if w.Library {
		if err := forEachPair(tx.Bucket(bucketDocsByOwner), Shared, add); err != nil {
			return nil, err
		}
	}
	if err := forEachPair(tx.Bucket(bucketWorkspaceDocs), w.ID, add); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// Scope is what a search may look at: every document of Owners, and the
// Documents listed whoever owns them.
type Scope struct {
	Owners    []uint64
	Documents []uint64
}

// Empty reports whether the scope holds nothing to search.
func (s Scope) Empty() bool { return len(s.Owners) == 0 && len(s.Documents) == 0 }

// ScopeOf returns what v may search: with workspace 0, their own
// documents, the shared library and every document of a workspace they
// see; otherwise the documents of that workspace (ErrNotFound when v may
// not see it).
func (db *DB) ScopeOf(ctx context.Context, v Viewer, workspace uint64) (Scope, error) {
	var sc Scope
	err := db.view(ctx, func(tx *bolt.Tx) (err error) {
		sc, err = scopeIn(tx, v, workspace)
		return err
	})
	return sc, err
}

// scopeIn is ScopeOf inside a transaction.
func scopeIn(tx *bolt.Tx, v Viewer, workspace uint64) (Scope, error) {
	if workspace == 0 {
		return scopeOf(tx, v)
	}
	var sc Scope
	w, err := visibleWorkspace(tx, v, workspace)
	if err != nil {
		return sc, err
	}
	if w.Library {
		sc.Owners = []uint64{Shared}
	}
	err = forEachPair(tx.Bucket(bucketWorkspaceDocs), w.ID, func(d uint64) error {
		sc.Documents = append(sc.Documents, d)
		return nil
	})
	return sc, err
}

// scopeOf is everything v may read: their own documents, the shared
// library, and the documents of the workspaces they see.
func scopeOf(tx *bolt.Tx, v Viewer) (Scope, error) {
	sc := Scope{Owners: []uint64{Shared}}
	if v.UserID != Shared {
		sc.Owners = append(sc.Owners, v.UserID)
	}
	var err error
	sc.Documents, err = granted(tx, v)
	return sc, err
}

// granted lists the documents v reads through the workspaces they see
// (some may be v's own or the shared library's as well).
func granted(tx *bolt.Tx, v Viewer) ([]uint64, error) {
	var out []uint64
	pairs := tx.Bucket(bucketWorkspaceDocs)
	err := forEachWorkspace(tx, func(w *Workspace) error {
		if v.Access(w) == "" {
			return nil
		}
		return forEachPair(pairs, w.ID, func(d uint64) error {
			out = append(out, d)
			return nil
		})
	})
	return out, err
}

// canRead reports whether v may read d: their own, the shared library's,
// or in a workspace v sees.
func canRead(tx *bolt.Tx, v Viewer, d *Document) (bool, error) {
	if v.CanRead(d) {
		return true, nil
	}
	wss, err := workspacesOf(tx, d.ID)
	if err != nil {
		return false, err
	}
	for _, id := range wss {
		var w Workspace
		if err := getJSON(tx.Bucket(bucketWorkspaces), itob(id), &w); err == nil && v.Access(&w) != "" {
			return true, nil
		}
	}
	return false, nil
}

// readableDocument loads document id if v may read it.
func readableDocument(tx *bolt.Tx, v Viewer, id uint64) (Document, error) {
	var d Document
	if err := getJSON(tx.Bucket(bucketDocs), itob(id), &d); err != nil {
		return Document{}, fmt.Errorf("document %d: %w", id, err)
	}
	ok, err := canRead(tx, v, &d)
	if err != nil {
		return Document{}, err
	}
	if !ok {
		return Document{}, fmt.Errorf("document %d: %w", id, ErrNotFound)
	}
	return d, nil
}

// deleteUserWorkspaces removes the workspaces userID owns and their
// memberships elsewhere (their own documents leave with them).
func deleteUserWorkspaces(tx *bolt.Tx, userID uint64) error {
	var owned []Workspace
	var member []Workspace
	if err := forEachWorkspace(tx, func(w *Workspace) error {
		if w.Owner == userID {
			owned = append(owned, *w)
		} else if _, ok := w.Members[userID]; ok {
			member = append(member, *w)
		}
		return nil
	}); err != nil {
		return err
	}
	for i := range owned {
		if err := deleteWorkspace(tx, &owned[i]); err != nil {
			return err
		}
	}
	for i := range member {
		delete(member[i].Members, userID)
		if err := putJSON(tx.Bucket(bucketWorkspaces), itob(member[i].ID), &member[i]); err != nil {
			return err
		}
	}
	return nil
}

// createLibraryWorkspace is the migration that makes the shared library a
// workspace: named LibraryName, owned by the server, visible to everyone,
// holding every document of owner Shared (which stay where they are).
func createLibraryWorkspace(tx *bolt.Tx) error {
	found := false
	if err := forEachWorkspace(tx, func(w *Workspace) error {
		found = found || w.Library
		return nil
	}); err != nil || found {
		return err
	}
	w := Workspace{Name: LibraryName, Visibility: VisibilityEveryone, Owner: Shared, Library: true}
	return createWorkspace(tx, &w, time.Now().UTC())
}
