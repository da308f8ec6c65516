package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"

	"docent/store"
)

// Export calls fn with every record, read from one snapshot, in the order
// store.Record documents (the same as every backend's).
func (db *DB) Export(ctx context.Context, fn func(store.Record) error) error {
	return db.readTx(ctx, func(tx pgx.Tx) error {
		var raw []byte
		err := tx.QueryRow(ctx, `SELECT value FROM meta WHERE key = $1`, keyIndexInfo).Scan(&raw)
		switch {
		case err == nil:
			var info store.IndexInfo
			if err := json.Unmarshal(raw, &info); err != nil {
				return err
			}
			if err := fn(store.Record{IndexInfo: &info}); err != nil {
				return err
			}
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		steps := []struct {
			query string
			rec   func(raw []byte) (store.Record, error)
		}{
			{`SELECT data FROM users ORDER BY id`, func(raw []byte) (store.Record, error) {
				var u store.User
				return store.Record{User: &u}, json.Unmarshal(raw, &u)
			}},
			{`SELECT data FROM api_keys ORDER BY id`, func(raw []byte) (store.Record, error) {
				var k store.APIKey
				return store.Record{Key: &k}, json.Unmarshal(raw, &k)
			}},
			{`SELECT data FROM invites ORDER BY id`, func(raw []byte) (store.Record, error) {
				var i store.Invite
				return store.Record{Invite: &i}, json.Unmarshal(raw, &i)
			}},
			{`SELECT data FROM conversations ORDER BY id`, func(raw []byte) (store.Record, error) {
				var c store.Conversation
				return store.Record{Conversation: &c}, json.Unmarshal(raw, &c)
			}},
			{`SELECT data FROM messages ORDER BY conversation_id, id`, func(raw []byte) (store.Record, error) {
				var m store.Message
				return store.Record{Message: &m}, json.Unmarshal(raw, &m)
			}},
			{`SELECT data FROM documents ORDER BY id`, func(raw []byte) (store.Record, error) {
				var d store.Document
				return store.Record{Document: &d}, json.Unmarshal(raw, &d)
			}},
			{`SELECT data FROM workspaces ORDER BY id`, func(raw []byte) (store.Record, error) {
				var w store.Workspace
				return store.Record{Workspace: &w}, json.Unmarshal(raw, &w)
			}},
		}
		for _, s := range steps {
			rows, err := tx.Query(ctx, s.query)
			if err != nil {
				return err
			}
			_, err = pgx.ForEachRow(rows, []any{&raw}, func() error {
				r, err := s.rec(raw)
				if err != nil {
					return fmt.Errorf("decode stored record: %w", err)
				}
				return fn(r)
			})
			if err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, `SELECT workspace_id, document_id FROM workspace_documents ORDER BY workspace_id, document_id`)
		if err != nil {
			return err
		}
		var m store.Membership
		if _, err := pgx.ForEachRow(rows, []any{&m.WorkspaceID, &m.DocumentID}, func() error {
			mm := m
			return fn(store.Record{Membership: &mm})
		}); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT hash, vec FROM vectors ORDER BY hash`)
		if err != nil {
			return err
		}
		var h []byte
		if _, err := pgx.ForEachRow(rows, []any{&h, &raw}, func() error {
			v, err := decodeVector(raw)
			if err != nil {
				return fmt.Errorf("vector %x: %w", h, err)
			}
			return fn(store.Record{Vector: &store.Vector{Hash: [16]byte(h), Values: v}})
		}); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, chunkSelect+` ORDER BY document_id, idx`)
		if err != nil {
			return err
		}
		var r chunkRow
		_, err = pgx.ForEachRow(rows, r.dest(), func() error {
			c := r.chunk()
			return fn(store.Record{Chunk: &c})
		})
		return err
	})
}

// Import writes the records next gives (until io.EOF) into this empty
// database in one transaction, keeping every id (chunks and vectors
// written with COPY); later ids continue after the largest imported. A
// database that already has users or documents is refused with
// store.ErrNotEmpty. Replicas already running rebuild their indexes.
func (db *DB) Import(ctx context.Context, next func() (store.Record, error)) error {
	defer db.changed(ctx) // cache.go
	return db.tx(ctx, func(tx pgx.Tx) error {
		var used bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM documents)`).Scan(&used); err != nil {
			return err
		}
		if used {
			return store.ErrNotEmpty
		}
		im := importer{tx: tx}
		for {
			r, err := next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			if err := im.put(ctx, &r); err != nil {
				return fmt.Errorf("import %s: %w", r.Kind(), err)
			}
		}
		return im.finish(ctx)
	})
}

// importer writes records into one transaction, chunks and vectors in
// COPY batches.
type importer struct {
	tx              pgx.Tx
	vectors, chunks [][]any
}

const importBatch = 2000

func (im *importer) put(ctx context.Context, r *store.Record) error {
	tx := im.tx
	switch {
	case r.IndexInfo != nil:
		raw, err := json.Marshal(r.IndexInfo)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, keyIndexInfo, raw)
		return err
	case r.User != nil:
		return putUser(ctx, tx, r.User, true)
	case r.Key != nil:
		raw, err := json.Marshal(r.Key)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO api_keys (id, user_id, hash, data) VALUES ($1, $2, $3, $4)`, r.Key.ID, r.Key.UserID, r.Key.Hash, raw)
		return err
	case r.Invite != nil:
		return putInvite(ctx, tx, r.Invite, true)
	case r.Conversation != nil:
		c := r.Conversation
		raw, err := json.Marshal(c)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO conversations (id, user_id, updated_ns, data) VALUES ($1, $2, $3, $4)`, c.ID, c.UserID, c.UpdatedAt.UnixNano(), raw)
		return err
	case r.Message != nil:
		raw, err := json.Marshal(r.Message)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO messages (id, conversation_id, data) VALUES ($1, $2, $3)`, r.Message.ID, r.Message.ConversationID, raw)
		return err
	case r.Document != nil:
		return putDocument(ctx, tx, r.Document, true)
	case r.Workspace != nil:
		if r.Workspace.Library { // replaces the one this database made for itself
			if _, err := tx.Exec(ctx, `DELETE FROM workspaces WHERE library`); err != nil {
				return err
			}
		}
		return putWorkspace(ctx, tx, r.Workspace, true)
	case r.Membership != nil:
		_, err := tx.Exec(ctx, `INSERT INTO workspace_documents (workspace_id, document_id) VALUES ($1, $2)`,
			r.Membership.WorkspaceID, r.Membership.DocumentID)
		return err
	case r.Vector != nil:
		im.vectors = append(im.vectors, []any{r.Vector.Hash[:], int32(0), encodeVector(r.Vector.Values)})
		if len(im.vectors) >= importBatch {
			return im.flush(ctx)
		}
		return nil
	case r.Chunk != nil:
		if err := im.flushVectors(ctx); err != nil {
			return err
		}
		im.chunks = append(im.chunks, chunkValues(r.Chunk))
		if len(im.chunks) >= importBatch {
			return im.flush(ctx)
		}
		return nil
	}
	return errors.New("empty record")
}

func (im *importer) flushVectors(ctx context.Context) error {
	if len(im.vectors) == 0 {
		return nil
	}
	_, err := im.tx.CopyFrom(ctx, pgx.Identifier{"vectors"}, []string{"hash", "refs", "vec"}, pgx.CopyFromRows(im.vectors))
	im.vectors = im.vectors[:0]
	return err
}

func (im *importer) flush(ctx context.Context) error {
	if err := im.flushVectors(ctx); err != nil {
		return err
	}
	if len(im.chunks) == 0 {
		return nil
	}
	_, err := im.tx.CopyFrom(ctx, pgx.Identifier{"chunks"}, chunkColumns, pgx.CopyFromRows(im.chunks))
	im.chunks = im.chunks[:0]
	return err
}

// finish writes what is left, counts the vectors' references, moves
// every id sequence past the imported ids and asks replicas to rebuild.
func (im *importer) finish(ctx context.Context) error {
	if err := im.flush(ctx); err != nil {
		return err
	}
	tx := im.tx
	if _, err := tx.Exec(ctx, `UPDATE vectors v SET refs = c.n FROM (SELECT text_hash, count(*) AS n FROM chunks GROUP BY text_hash) c
		WHERE v.hash = c.text_hash`); err != nil {
		return err
	}
	var unused int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM chunks c LEFT JOIN vectors v ON v.hash = c.text_hash WHERE v.hash IS NULL`).Scan(&unused); err != nil {
		return err
	}
	if unused > 0 {
		return fmt.Errorf("%d chunks have no vector", unused)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM vectors WHERE refs = 0`); err != nil {
		return err
	}
	for _, table := range []string{"users", "api_keys", "invites", "conversations", "messages", "documents", "workspaces"} {
		if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), coalesce((SELECT max(id) FROM `+table+`), 0) + 1, false)`, table); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE documents SET change_seq = 0`); err != nil {
		return err
	}
	var log changeLog
	log.reload()
	return log.write(ctx, tx)
}

// Backup writes a consistent snapshot of the database as a bbolt data
// file (what docent backup writes for either backend, and what Restore
// and `docent migrate` read).
func (db *DB) Backup(ctx context.Context, w io.Writer, size func(int64)) (int64, error) {
	return store.Snapshot(ctx, db, w, size)
}
