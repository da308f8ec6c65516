package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"docent/store"
)

// scanDocument decodes a documents row's data column.
func scanDocument(row pgx.Row) (store.Document, error) {
	var raw []byte
	var d store.Document
	if err := row.Scan(&raw); err != nil {
		return d, notFound(err)
	}
	return d, json.Unmarshal(raw, &d)
}

// putDocument inserts or updates d, keeping the lookup columns in step.
func putDocument(ctx context.Context, tx pgx.Tx, d *store.Document, insert bool) error {
	raw, err := json.Marshal(d)
	if err != nil {
		return err
	}
	q := `UPDATE documents SET owner = $2, sha256 = $3, path = $4, status = $5, data = $6 WHERE id = $1`
	if insert {
		q = `INSERT INTO documents (id, owner, sha256, path, status, data) VALUES ($1, $2, $3, $4, $5, $6)`
	}
	_, err = tx.Exec(ctx, q, d.ID, d.Owner, d.SHA256, d.Path, string(d.Status), raw)
	return err
}

// CreateDocument stores a new queued document. If the same owner already has
// a document with the same SHA-256, nothing is written and the existing one
// is returned with dup = true; an existing document that failed is replaced
// instead, so uploading it again retries. Uploads of the same bytes by the
// same owner are serialised (an advisory lock on owner and hash), so two
// replicas never both create one.
func (db *DB) CreateDocument(ctx context.Context, d *store.Document) (existing store.Document, dup bool, err error) {
	err = db.tx(ctx, func(tx pgx.Tx) error {
		var log changeLog
		if existing, dup, err = createDocument(ctx, tx, d, &log); err != nil {
			return err
		}
		return log.write(ctx, tx)
	})
	if err != nil {
		return store.Document{}, false, fmt.Errorf("create document: %w", err)
	}
	return existing, dup, nil
}

func createDocument(ctx context.Context, tx pgx.Tx, d *store.Document, log *changeLog) (existing store.Document, dup bool, err error) {
	var inherited []uint64
	if !validSHA(d.SHA256) {
		return existing, false, fmt.Errorf("bad sha256 %q", d.SHA256)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, $2))`, d.SHA256, int64(d.Owner)); err != nil {
		return existing, false, err
	}
	existing, err = scanDocument(tx.QueryRow(ctx,
		`SELECT data FROM documents WHERE owner = $1 AND sha256 = $2 ORDER BY id DESC LIMIT 1 FOR UPDATE`, d.Owner, d.SHA256))
	switch {
	case err == nil && existing.Status != store.StatusFailed:
		return existing, true, nil
	case err == nil:
		if d.Replaces == 0 && existing.Replaces != 0 {
			d.Replaces = existing.Replaces
		}
		if inherited, err = workspacesOf(ctx, tx, existing.ID); err != nil {
			return store.Document{}, false, err
		}
		removed, err := deleteDocument(ctx, tx, existing.ID)
		if err != nil {
			return store.Document{}, false, err
		}
		log.add(existing.ID, false, removed)
	case err != store.ErrNotFound:
		return store.Document{}, false, err
	}
	if err := admitDocument(ctx, tx, d); err != nil {
		return store.Document{}, false, err
	}
	if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('documents', 'id'))`).Scan(&d.ID); err != nil {
		return store.Document{}, false, err
	}
	d.CreatedAt = time.Now().UTC()
	d.UpdatedAt = d.CreatedAt
	if d.Status == "" {
		d.Status = store.StatusQueued
	}
	if err := putDocument(ctx, tx, d, true); err != nil {
		return store.Document{}, false, err
	}
	if d.Workspace != 0 {
		var library bool
		err := tx.QueryRow(ctx, `SELECT library FROM workspaces WHERE id = $1 FOR SHARE`, d.Workspace).Scan(&library)
		if err != nil {
			return store.Document{}, false, fmt.Errorf("workspace %d: %w", d.Workspace, notFound(err))
		}
		if !library || d.Owner != store.Shared {
			inherited = append(inherited, d.Workspace)
		}
	}
	return store.Document{}, false, link(ctx, tx, d.ID, inherited) // the failed copy's workspaces, and d.Workspace
}

func validSHA(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// Document returns document id if v may read it (their own, the shared
// library's, or in a workspace they see); otherwise store.ErrNotFound.
func (db *DB) Document(ctx context.Context, v store.Viewer, id uint64) (d store.Document, err error) {
	err = db.readTx(ctx, func(tx pgx.Tx) error {
		d, err = readableDocument(ctx, tx, v, id, "")
		return err
	})
	return d, err
}

// ReadableDocuments returns those of the documents ids that v may read
// (their own, the shared library's, those of the workspaces v sees), in one
// query that brings each document's workspaces along; missing and hidden
// ones are left out.
func (db *DB) ReadableDocuments(ctx context.Context, v store.Viewer, ids []uint64) ([]store.Document, error) {
	if len(ids) == 0 {
		return []store.Document{}, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT d.data, (SELECT coalesce(jsonb_agg(w.data), '[]')
		FROM workspace_documents wd JOIN workspaces w ON w.id = wd.workspace_id
		WHERE wd.document_id = d.id) FROM documents d WHERE d.id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]store.Document, 0, len(ids))
	for rows.Next() {
		var rawDoc, rawIn []byte
		if err := rows.Scan(&rawDoc, &rawIn); err != nil {
			return nil, err
		}
		var d store.Document
		var in []store.Workspace
		if err := cmp.Or(json.Unmarshal(rawDoc, &d), json.Unmarshal(rawIn, &in)); err != nil {
			return nil, fmt.Errorf("decode stored record: %w", err)
		}
		if v.CanRead(&d) || slices.ContainsFunc(in, func(w store.Workspace) bool { return v.Access(&w) != "" }) {
			out = append(out, d)
		}
	}
	return out, rows.Err()
}

// DocumentByID returns document id whoever owns it (for the ingest pipeline
// and the CLI, never for a request).
func (db *DB) DocumentByID(ctx context.Context, id uint64) (store.Document, error) {
	d, err := scanDocument(db.pool.QueryRow(ctx, `SELECT data FROM documents WHERE id = $1`, id))
	if err != nil {
		return store.Document{}, fmt.Errorf("document %d: %w", id, err)
	}
	return d, nil
}

// DocumentByPath returns owner's newest document ingested from path.
func (db *DB) DocumentByPath(ctx context.Context, owner uint64, path string) (store.Document, error) {
	return scanDocument(db.pool.QueryRow(ctx,
		`SELECT data FROM documents WHERE owner = $1 AND path = $2 AND path <> '' ORDER BY id DESC LIMIT 1`, owner, path))
}

// Documents lists the documents visible to userID (their own, the shared
// library's and those of the workspaces they see), newest first, applying
// skip and limit.
func (db *DB) Documents(ctx context.Context, userID uint64, skip, limit int) ([]store.Document, error) {
	var out []store.Document
	err := db.readTx(ctx, func(tx pgx.Tx) error {
		sc, err := scopeIn(ctx, tx, store.Viewer{UserID: userID}, 0)
		if err == nil {
			out, err = scopeDocuments(ctx, tx, sc, skip, limit)
		}
		return err
	})
	return out, err
}

// HasDocuments reports whether userID can see any document (their own,
// the shared library's or a workspace's, in any status).
func (db *DB) HasDocuments(ctx context.Context, userID uint64) (bool, error) {
	var ok bool
	err := db.readTx(ctx, func(tx pgx.Tx) error {
		sc, err := scopeIn(ctx, tx, store.Viewer{UserID: userID}, 0)
		if err != nil || len(sc.Documents) > 0 {
			ok = err == nil
			return err
		}
		return tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM documents WHERE owner = ANY($1))`, sc.Owners).Scan(&ok)
	})
	return ok, err
}

// OwnedDocuments lists the documents of exactly owner (store.Shared for the
// library), newest first.
func (db *DB) OwnedDocuments(ctx context.Context, owner uint64) ([]store.Document, error) {
	rows, err := db.pool.Query(ctx, `SELECT data FROM documents WHERE owner = $1 ORDER BY id DESC`, owner)
	if err != nil {
		return nil, err
	}
	return collectJSON[store.Document](rows)
}

// DocumentsWithStatus lists every document in one of the statuses, oldest first.
func (db *DB) DocumentsWithStatus(ctx context.Context, statuses ...store.Status) ([]store.Document, error) {
	names := make([]string, len(statuses))
	for i, s := range statuses {
		names[i] = string(s)
	}
	rows, err := db.pool.Query(ctx, `SELECT data FROM documents WHERE status = ANY($1) ORDER BY id`, names)
	if err != nil {
		return nil, err
	}
	return collectJSON[store.Document](rows)
}

// SetStatus moves document id to status with an optional error message.
// It fails with store.ErrNotFound if the document was deleted meanwhile.
func (db *DB) SetStatus(ctx context.Context, id uint64, status store.Status, msg string) error {
	return db.UpdateDocument(ctx, id, func(d *store.Document) error {
		d.Status, d.Error = status, msg
		return nil
	})
}

// UpdateDocument applies fn to the stored document (locked meanwhile) and
// saves it.
func (db *DB) UpdateDocument(ctx context.Context, id uint64, fn func(*store.Document) error) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		d, err := scanDocument(tx.QueryRow(ctx, `SELECT data FROM documents WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return fmt.Errorf("document %d: %w", id, err)
		}
		old := d
		if err := fn(&d); err != nil {
			return err
		}
		d.ID, d.CreatedAt, d.UpdatedAt = old.ID, old.CreatedAt, db.now()
		if err := putDocument(ctx, tx, &d, false); err != nil {
			return err
		}
		if old.Status != store.StatusReady || d.Status == store.StatusReady {
			return nil
		}
		// A ready document leaving the indexes (its chunks stay, unread).
		var removed [][]byte
		if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(terms ORDER BY idx), '{}') FROM chunks WHERE document_id = $1`, id).Scan(&removed); err != nil {
			return err
		}
		var log changeLog
		log.add(id, false, removed)
		return log.write(ctx, tx)
	})
}

// Commit stores a document's chunks (written with COPY) and their vectors
// and marks it ready, in one transaction: a crash leaves the document
// either fully indexed or not at all. vectors maps each chunk's TextHash to
// its vector; a hash already stored may be absent. If d.Replaces is
// non-zero, that document is deleted in the same transaction (d takes over
// its workspaces). Commit fails with store.ErrNotFound if the document was
// deleted while it was being processed, and with a *store.QuotaError when
// the chunks would pass the quota in d.Limit. The change is appended to the change log, which every
// replica follows.
func (db *DB) Commit(ctx context.Context, d *store.Document, chunks []store.Chunk, vectors map[[16]byte][]float32) error {
	defer db.changed(ctx) // cache.go
	if len(chunks) >= store.MaxChunks {
		return fmt.Errorf("document has %d chunks, more than %d", len(chunks), store.MaxChunks)
	}
	return db.tx(ctx, func(tx pgx.Tx) error {
		stored, err := scanDocument(tx.QueryRow(ctx, `SELECT data FROM documents WHERE id = $1 FOR UPDATE`, d.ID))
		if err != nil {
			return fmt.Errorf("document %d: %w", d.ID, err)
		}
		if err := admitChunks(ctx, tx, d, len(chunks)); err != nil {
			return err
		}
		var log changeLog
		if d.Replaces != 0 && d.Replaces != d.ID {
			inherited, err := workspacesOf(ctx, tx, d.Replaces) // the new version takes the old one's workspaces
			if err == nil {
				err = link(ctx, tx, d.ID, inherited)
			}
			if err != nil {
				return err
			}
			removed, err := deleteDocument(ctx, tx, d.Replaces)
			switch {
			case err == nil:
				log.add(d.Replaces, false, removed)
			case err != store.ErrNotFound:
				return err
			}
		}
		removed, err := deleteChunks(ctx, tx, d.ID) // a retried commit
		if err != nil {
			return err
		}
		if err := putChunks(ctx, tx, d.ID, chunks, vectors); err != nil {
			return err
		}
		d.Status, d.Error, d.Chunks, d.Replaces = store.StatusReady, "", len(chunks), 0
		d.CreatedAt, d.UpdatedAt = stored.CreatedAt, db.now()
		if err := putDocument(ctx, tx, d, false); err != nil {
			return err
		}
		log.add(d.ID, true, removed)
		d.ChangeSeq, err = log.writeSeq(ctx, tx)
		return err
	})
}

// DeleteDocument removes document id, its chunks and its vector references
// in one transaction, if v may write it.
func (db *DB) DeleteDocument(ctx context.Context, v store.Viewer, id uint64) (store.Document, error) {
	defer db.changed(ctx) // cache.go
	var d store.Document
	err := db.tx(ctx, func(tx pgx.Tx) (err error) {
		if d, err = readableDocument(ctx, tx, v, id, "FOR UPDATE"); err != nil {
			return err
		}
		if !v.CanWrite(&d) {
			return store.ErrForbidden
		}
		return deleteLogged(ctx, tx, id)
	})
	if err != nil {
		return store.Document{}, fmt.Errorf("delete document %d: %w", id, err)
	}
	return d, nil
}

// DeleteDocumentByID removes document id whoever owns it (CLI, pruning).
func (db *DB) DeleteDocumentByID(ctx context.Context, id uint64) error {
	defer db.changed(ctx) // cache.go
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM documents WHERE id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
		return deleteLogged(ctx, tx, id)
	})
	if err != nil {
		return fmt.Errorf("delete document %d: %w", id, err)
	}
	return nil
}

// deleteLogged deletes document id (locked by the caller) and logs the change.
func deleteLogged(ctx context.Context, tx pgx.Tx, id uint64) error {
	removed, err := deleteDocument(ctx, tx, id)
	if err != nil {
		return err
	}
	var log changeLog
	log.add(id, false, removed)
	return log.write(ctx, tx)
}

// deleteDocument removes document id with its chunks, vector references,
// upload and job, returning the stored terms of the chunks removed.
func deleteDocument(ctx context.Context, tx pgx.Tx, id uint64) ([][]byte, error) {
	removed, err := deleteChunks(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	tag, err := tx.Exec(ctx, `DELETE FROM documents WHERE id = $1`, id)
	if err != nil {
		return nil, err
	}
	if tag.RowsAffected() == 0 {
		return nil, store.ErrNotFound
	}
	return removed, nil
}
