package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"

	"docent/store"
)

// Who may see and change a workspace is decided by store.Viewer's rules
// (Access, CanManage), the same code as the bbolt backend's: these
// functions only read and write the rows.

func scanWorkspace(row pgx.Row) (store.Workspace, error) {
	var raw []byte
	var w store.Workspace
	if err := row.Scan(&raw); err != nil {
		return w, notFound(err)
	}
	return w, json.Unmarshal(raw, &w)
}

// putWorkspace inserts or updates w; a name its owner already uses is
// store.ErrConflict.
func putWorkspace(ctx context.Context, tx pgx.Tx, w *store.Workspace, insert bool) error {
	raw, err := json.Marshal(w)
	if err != nil {
		return err
	}
	if insert {
		_, err = tx.Exec(ctx, `INSERT INTO workspaces (id, owner, name_key, library, data) VALUES ($1, $2, $3, $4, $5)`,
			w.ID, w.Owner, fold(w.Name), w.Library, raw)
	} else {
		_, err = tx.Exec(ctx, `UPDATE workspaces SET name_key = $2, data = $3 WHERE id = $1`, w.ID, fold(w.Name), raw)
	}
	if _, ok := isUnique(err); ok {
		return fmt.Errorf("workspace name: %w", store.ErrConflict)
	}
	return err
}

// allWorkspaces reads every workspace, in id order.
func allWorkspaces(ctx context.Context, tx pgx.Tx) ([]store.Workspace, error) {
	rows, err := tx.Query(ctx, `SELECT data FROM workspaces ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return collectJSON[store.Workspace](rows)
}

// visibleWorkspace loads workspace id if v may see it (lock: a row lock
// clause such as "FOR UPDATE", or "").
func visibleWorkspace(ctx context.Context, tx pgx.Tx, v store.Viewer, id uint64, lock string) (store.Workspace, error) {
	w, err := scanWorkspace(tx.QueryRow(ctx, `SELECT data FROM workspaces WHERE id = $1 `+lock, id))
	if err != nil || v.Access(&w) == "" {
		return store.Workspace{}, fmt.Errorf("workspace %d: %w", id, store.ErrNotFound)
	}
	return w, nil
}

// managedWorkspace loads (and locks) workspace id for a change only a
// manager may make.
func managedWorkspace(ctx context.Context, tx pgx.Tx, v store.Viewer, id uint64) (store.Workspace, error) {
	w, err := visibleWorkspace(ctx, tx, v, id, "FOR UPDATE")
	if err == nil && !v.CanManage(&w) {
		err = fmt.Errorf("workspace %d: %w", id, store.ErrForbidden)
	}
	return w, err
}

// writableWorkspace loads workspace id for a change of its documents.
func writableWorkspace(ctx context.Context, tx pgx.Tx, v store.Viewer, id uint64) (store.Workspace, error) {
	w, err := visibleWorkspace(ctx, tx, v, id, "FOR SHARE")
	if err == nil && v.Access(&w) != store.AccessWrite {
		err = fmt.Errorf("workspace %d is read-only for this user: %w", id, store.ErrForbidden)
	}
	return w, err
}

// CreateWorkspace stores w, assigning its ID and times. An owner's
// workspace names are unique, ignoring case (store.ErrConflict).
func (db *DB) CreateWorkspace(ctx context.Context, w *store.Workspace) error {
	defer db.changed(ctx) // cache.go
	return db.tx(ctx, func(tx pgx.Tx) error {
		if w.Owner != store.Shared {
			if _, err := scanUser(tx.QueryRow(ctx, `SELECT data FROM users WHERE id = $1 FOR SHARE`, w.Owner)); err != nil {
				return fmt.Errorf("user %d: %w", w.Owner, err)
			}
		}
		if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('workspaces', 'id'))`).Scan(&w.ID); err != nil {
			return err
		}
		w.CreatedAt = db.now()
		w.UpdatedAt = w.CreatedAt
		return putWorkspace(ctx, tx, w, true)
	})
}

// Workspace returns workspace id if v may see it (from the cache when it
// may answer: cache.go).
func (db *DB) Workspace(ctx context.Context, v store.Viewer, id uint64) (w store.Workspace, err error) {
	key := scopeKey{v, id}
	w, ok, gen, trusted := lookup(db, func(c *cache) (store.Workspace, bool) { w, ok := c.workspaces[key]; return w, ok })
	if ok {
		return cloneWorkspace(w), nil
	}
	err = db.readTx(ctx, func(tx pgx.Tx) error {
		w, err = visibleWorkspace(ctx, tx, v, id, "")
		return err
	})
	if err == nil && trusted {
		db.cache.keep(gen, func(c *cache) { putIn(&c.workspaces, key, cloneWorkspace(w)) })
	}
	return w, err
}

// Workspaces lists the workspaces v may see, in id order.
func (db *DB) Workspaces(ctx context.Context, v store.Viewer) ([]store.Workspace, error) {
	var out []store.Workspace
	err := db.readTx(ctx, func(tx pgx.Tx) error {
		all, err := allWorkspaces(ctx, tx)
		for _, w := range all {
			if v.Access(&w) != "" {
				out = append(out, w)
			}
		}
		return err
	})
	return out, err
}

// UpdateWorkspace applies fn to workspace id and saves it, if v manages
// it; its id, owner, kind and creation time stay.
func (db *DB) UpdateWorkspace(ctx context.Context, v store.Viewer, id uint64, fn func(*store.Workspace) error) (w store.Workspace, err error) {
	defer db.changed(ctx) // cache.go
	err = db.tx(ctx, func(tx pgx.Tx) error {
		if w, err = managedWorkspace(ctx, tx, v, id); err != nil {
			return err
		}
		old := w
		if err := fn(&w); err != nil {
			return err
		}
		w.ID, w.Owner, w.Library, w.CreatedAt, w.UpdatedAt = old.ID, old.Owner, old.Library, old.CreatedAt, db.now()
		return putWorkspace(ctx, tx, &w, false)
	})
	return w, err
}

// DeleteWorkspace removes workspace id (not its documents) if v manages
// it; the shared library's workspace stays (store.ErrForbidden).
func (db *DB) DeleteWorkspace(ctx context.Context, v store.Viewer, id uint64) error {
	defer db.changed(ctx) // cache.go
	return db.tx(ctx, func(tx pgx.Tx) error {
		w, err := managedWorkspace(ctx, tx, v, id)
		if err != nil {
			return err
		}
		if w.Library {
			return fmt.Errorf("the shared library's workspace: %w", store.ErrForbidden)
		}
		_, err = tx.Exec(ctx, `DELETE FROM workspaces WHERE id = $1`, id) // memberships cascade
		return err
	})
}

// SetMember gives user access to workspace id, if v manages it. The user
// must exist and not be the owner.
func (db *DB) SetMember(ctx context.Context, v store.Viewer, id, user uint64, a store.Access) (w store.Workspace, err error) {
	defer db.changed(ctx) // cache.go
	err = db.tx(ctx, func(tx pgx.Tx) error {
		if w, err = managedWorkspace(ctx, tx, v, id); err != nil {
			return err
		}
		if _, err := scanUser(tx.QueryRow(ctx, `SELECT data FROM users WHERE id = $1 FOR SHARE`, user)); err != nil {
			return fmt.Errorf("user %d: %w", user, err)
		}
		if user == w.Owner {
			return fmt.Errorf("the owner of a workspace is not a member: %w", store.ErrConflict)
		}
		if w.Members == nil {
			w.Members = map[uint64]store.Access{}
		}
		w.Members[user], w.UpdatedAt = a, db.now()
		return putWorkspace(ctx, tx, &w, false)
	})
	return w, err
}

// RemoveMember takes user's access to workspace id away, if v manages it.
func (db *DB) RemoveMember(ctx context.Context, v store.Viewer, id, user uint64) (w store.Workspace, err error) {
	defer db.changed(ctx) // cache.go
	err = db.tx(ctx, func(tx pgx.Tx) error {
		if w, err = managedWorkspace(ctx, tx, v, id); err != nil {
			return err
		}
		if _, ok := w.Members[user]; !ok {
			return fmt.Errorf("member %d: %w", user, store.ErrNotFound)
		}
		delete(w.Members, user)
		w.UpdatedAt = db.now()
		return putWorkspace(ctx, tx, &w, false)
	})
	return w, err
}

// CheckWritable reports whether v may add documents to workspace id.
func (db *DB) CheckWritable(ctx context.Context, v store.Viewer, id uint64) error {
	return db.readTx(ctx, func(tx pgx.Tx) error {
		w, err := visibleWorkspace(ctx, tx, v, id, "")
		if err == nil && v.Access(&w) != store.AccessWrite {
			err = fmt.Errorf("workspace %d is read-only for this user: %w", id, store.ErrForbidden)
		}
		return err
	})
}

// AddToWorkspace puts document doc in workspace id: v needs write access
// to the workspace and must be able to read the document.
func (db *DB) AddToWorkspace(ctx context.Context, v store.Viewer, id, doc uint64) error {
	defer db.changed(ctx) // cache.go
	return db.tx(ctx, func(tx pgx.Tx) error {
		w, err := writableWorkspace(ctx, tx, v, id)
		if err != nil {
			return err
		}
		d, err := readableDocument(ctx, tx, v, doc, "FOR SHARE")
		if err != nil {
			return err
		}
		if w.Library && d.Owner == store.Shared {
			return nil // in the shared library already
		}
		_, err = tx.Exec(ctx, `INSERT INTO workspace_documents (workspace_id, document_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, id, doc)
		return err
	})
}

// RemoveFromWorkspace takes document doc out of workspace id: v needs
// write access. A shared-library document leaves the library's workspace
// only by being deleted (store.ErrForbidden).
func (db *DB) RemoveFromWorkspace(ctx context.Context, v store.Viewer, id, doc uint64) error {
	defer db.changed(ctx) // cache.go
	return db.tx(ctx, func(tx pgx.Tx) error {
		w, err := writableWorkspace(ctx, tx, v, id)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM workspace_documents WHERE workspace_id = $1 AND document_id = $2`, id, doc)
		if err != nil || tag.RowsAffected() > 0 {
			return err
		}
		var owner uint64
		if w.Library && tx.QueryRow(ctx, `SELECT owner FROM documents WHERE id = $1`, doc).Scan(&owner) == nil && owner == store.Shared {
			return fmt.Errorf("a shared-library document leaves the library by being deleted: %w", store.ErrForbidden)
		}
		return fmt.Errorf("document %d: %w", doc, store.ErrNotFound)
	})
}

// WorkspaceDocuments returns the ids of the documents in workspace id, if
// v may see it, in id order.
func (db *DB) WorkspaceDocuments(ctx context.Context, v store.Viewer, id uint64) ([]uint64, error) {
	var out []uint64
	err := db.readTx(ctx, func(tx pgx.Tx) error {
		w, err := visibleWorkspace(ctx, tx, v, id, "")
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT document_id FROM workspace_documents WHERE workspace_id = $1
			UNION SELECT id FROM documents WHERE $2 AND owner = 0 ORDER BY 1`, id, w.Library)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowTo[uint64])
		return err
	})
	return out, err
}

// ScopeOf returns what v may search: with workspace 0, their own
// documents, the shared library and every document of a workspace they
// see; otherwise that workspace's documents (store.ErrNotFound when v may
// not see it).
func (db *DB) ScopeOf(ctx context.Context, v store.Viewer, workspace uint64) (sc store.Scope, err error) {
	key := scopeKey{v, workspace}
	sc, ok, gen, trusted := lookup(db, func(c *cache) (store.Scope, bool) { sc, ok := c.scopes[key]; return sc, ok })
	if ok {
		return cloneScope(sc), nil
	}
	err = db.readTx(ctx, func(tx pgx.Tx) error {
		sc, err = scopeIn(ctx, tx, v, workspace)
		return err
	})
	if err == nil && trusted {
		db.cache.keep(gen, func(c *cache) { putIn(&c.scopes, key, cloneScope(sc)) })
	}
	return sc, err
}

func scopeIn(ctx context.Context, tx pgx.Tx, v store.Viewer, workspace uint64) (store.Scope, error) {
	var sc store.Scope
	var ids []uint64
	if workspace != 0 {
		w, err := visibleWorkspace(ctx, tx, v, workspace, "")
		if err != nil {
			return sc, err
		}
		if w.Library {
			sc.Owners = []uint64{store.Shared}
		}
		ids = []uint64{w.ID}
	} else {
		sc.Owners = []uint64{store.Shared}
		if v.UserID != store.Shared {
			sc.Owners = append(sc.Owners, v.UserID)
		}
		all, err := allWorkspaces(ctx, tx)
		if err != nil {
			return sc, err
		}
		for _, w := range all {
			if v.Access(&w) != "" {
				ids = append(ids, w.ID)
			}
		}
	}
	rows, err := tx.Query(ctx, `SELECT DISTINCT document_id FROM workspace_documents WHERE workspace_id = ANY($1) ORDER BY 1`, ids)
	if err != nil {
		return sc, err
	}
	sc.Documents, err = pgx.CollectRows(rows, pgx.RowTo[uint64])
	return sc, err
}

// ScopeDocuments lists the documents v may search in workspace (0: all
// they may read), newest first.
func (db *DB) ScopeDocuments(ctx context.Context, v store.Viewer, workspace uint64) ([]store.Document, error) {
	var out []store.Document
	err := db.readTx(ctx, func(tx pgx.Tx) error {
		sc, err := scopeIn(ctx, tx, v, workspace)
		if err == nil {
			out, err = scopeDocuments(ctx, tx, sc, 0, 0)
		}
		return err
	})
	return out, err
}

// scopeDocuments reads the documents of sc, newest first, applying skip
// and limit.
func scopeDocuments(ctx context.Context, tx pgx.Tx, sc store.Scope, skip, limit int) ([]store.Document, error) {
	off, lim := page(skip, limit)
	rows, err := tx.Query(ctx, `SELECT data FROM documents WHERE owner = ANY($1) OR id = ANY($2) ORDER BY id DESC OFFSET $3 LIMIT $4`,
		sc.Owners, sc.Documents, off, lim)
	if err != nil {
		return nil, err
	}
	return collectJSON[store.Document](rows)
}

// readableDocument loads document id (lock: a row lock clause, or "") if
// v may read it: their own, the shared library's, or in a workspace v
// sees.
func readableDocument(ctx context.Context, tx pgx.Tx, v store.Viewer, id uint64, lock string) (store.Document, error) {
	d, err := scanDocument(tx.QueryRow(ctx, `SELECT data FROM documents WHERE id = $1 `+lock, id))
	if err != nil {
		return store.Document{}, fmt.Errorf("document %d: %w", id, err)
	}
	if v.CanRead(&d) {
		return d, nil
	}
	rows, err := tx.Query(ctx, `SELECT w.data FROM workspaces w JOIN workspace_documents wd ON wd.workspace_id = w.id
		WHERE wd.document_id = $1`, id)
	if err != nil {
		return store.Document{}, err
	}
	in, err := collectJSON[store.Workspace](rows)
	if err != nil {
		return store.Document{}, err
	}
	if slices.ContainsFunc(in, func(w store.Workspace) bool { return v.Access(&w) != "" }) {
		return d, nil
	}
	return store.Document{}, fmt.Errorf("document %d: %w", id, store.ErrNotFound)
}

// workspacesOf lists the workspaces document id was added to.
func workspacesOf(ctx context.Context, tx pgx.Tx, id uint64) ([]uint64, error) {
	rows, err := tx.Query(ctx, `SELECT workspace_id FROM workspace_documents WHERE document_id = $1 ORDER BY 1`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[uint64])
}

// link puts document doc in each of the workspaces.
func link(ctx context.Context, tx pgx.Tx, doc uint64, workspaces []uint64) error {
	if len(workspaces) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO workspace_documents (workspace_id, document_id) SELECT unnest($1::bigint[]), $2
		ON CONFLICT DO NOTHING`, workspaces, doc)
	return err
}

// deleteUserWorkspaces removes the workspaces userID owns and their
// memberships elsewhere.
func deleteUserWorkspaces(ctx context.Context, tx pgx.Tx, userID uint64) error {
	if _, err := tx.Exec(ctx, `DELETE FROM workspaces WHERE owner = $1`, userID); err != nil {
		return err
	}
	key := strconv.FormatUint(userID, 10)
	_, err := tx.Exec(ctx, `UPDATE workspaces SET data = data #- ARRAY['members', $1::text] WHERE data->'members' ? $1::text`, key)
	return err
}
