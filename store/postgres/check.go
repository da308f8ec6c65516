package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"docent/store"
)

var _ store.Store = (*DB)(nil)
var _ store.ChangeFeed = (*DB)(nil)

// Check verifies the database's invariants in one snapshot: every ready
// document has as many chunks as its record says, every chunk has a
// vector of the index's dimension, vector reference counts equal their
// uses, every workspace has its owner and the shared library has its
// workspace. (Foreign keys keep conversations, messages, keys, chunks and
// memberships attached to their parents.) It changes nothing.
func (db *DB) Check(ctx context.Context) (*store.CheckReport, error) {
	r := &store.CheckReport{Interrupted: []uint64{}, Problems: []store.Problem{}}
	err := db.readTx(ctx, func(tx pgx.Tx) error { return check(ctx, tx, r, false) })
	return r, err
}

// Repair runs Check and fixes what can be fixed without losing user data,
// in one transaction: reference counts recounted, unused vectors and
// chunks of documents that are not ready dropped, and a ready document
// whose chunks are damaged marked failed so it can be uploaded again.
func (db *DB) Repair(ctx context.Context) (*store.CheckReport, error) {
	defer db.changed(ctx) // cache.go
	r := &store.CheckReport{Interrupted: []uint64{}, Problems: []store.Problem{}}
	err := db.tx(ctx, func(tx pgx.Tx) error { return check(ctx, tx, r, true) })
	return r, err
}

func check(ctx context.Context, tx pgx.Tx, r *store.CheckReport, fix bool) error {
	err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM conversations),
		(SELECT count(*) FROM messages), (SELECT count(*) FROM documents)`).Scan(&r.Users, &r.Conversations, &r.Messages, &r.Documents)
	if err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT id FROM documents WHERE status IN ('queued', 'processing') ORDER BY id`)
	if err != nil {
		return err
	}
	if r.Interrupted, err = pgx.CollectRows(rows, pgx.RowTo[uint64]); err != nil {
		return err
	}
	problem := func(kind, format string, args ...any) {
		r.Problems = append(r.Problems, store.Problem{Kind: kind, Detail: fmt.Sprintf(format, args...), Fixed: fix})
	}
	var orphans int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.status <> 'ready'`).Scan(&orphans); err != nil {
		return err
	}
	if orphans > 0 {
		problem("orphan chunks", "%d chunks belong to no ready document", orphans)
		if fix {
			if _, err := tx.Exec(ctx, `DELETE FROM chunks c USING documents d WHERE d.id = c.document_id AND d.status <> 'ready'`); err != nil {
				return err
			}
		}
	}
	info, err := indexInfo(ctx, tx)
	if err != nil {
		return err
	}
	rows, err = tx.Query(ctx, `SELECT d.id, d.data->>'filename', (d.data->>'chunks')::int, count(c.idx),
			count(c.idx) FILTER (WHERE v.hash IS NULL OR ($1 > 0 AND length(v.vec) <> 4 * $1))
		FROM documents d LEFT JOIN chunks c ON c.document_id = d.id LEFT JOIN vectors v ON v.hash = c.text_hash
		WHERE d.status = 'ready' GROUP BY d.id ORDER BY d.id`, info.Dim)
	if err != nil {
		return err
	}
	var damaged []uint64
	var id uint64
	var name string
	var want, have, bad int
	if _, err := pgx.ForEachRow(rows, []any{&id, &name, &want, &have, &bad}, func() error {
		switch {
		case bad > 0:
			problem("damaged document", "document %d (%s): %d chunks have no vector of dimension %d", id, name, bad, info.Dim)
		case have != want:
			problem("damaged document", "document %d (%s): %d chunks stored, the record says %d", id, name, have, want)
		default:
			r.Chunks += have
			return nil
		}
		damaged = append(damaged, id)
		return nil
	}); err != nil {
		return err
	}
	if fix {
		for _, id := range damaged {
			if err := markDamaged(ctx, tx, id); err != nil {
				return err
			}
		}
	}
	var wrong int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM vectors v LEFT JOIN (SELECT text_hash, count(*) AS n FROM chunks GROUP BY text_hash) c
		ON c.text_hash = v.hash WHERE v.refs <> coalesce(c.n, 0)`).Scan(&wrong); err != nil {
		return err
	}
	if wrong > 0 {
		problem("vector refcount", "%d vectors have a wrong reference count or are unused", wrong)
		if fix {
			if err := recount(ctx, tx); err != nil {
				return err
			}
		}
	}
	if err := checkWorkspaces(ctx, tx, problem, fix); err != nil {
		return err
	}
	return tx.QueryRow(ctx, `SELECT count(*) FROM vectors WHERE refs > 0`).Scan(&r.Vectors)
}

// checkWorkspaces finds workspaces whose owner is gone (deleted when
// fixing) and a missing shared library's workspace (made again).
func checkWorkspaces(ctx context.Context, tx pgx.Tx, problem func(kind, format string, args ...any), fix bool) error {
	var orphans int
	var library bool
	if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM workspaces w WHERE owner <> 0 AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = w.owner)),
		EXISTS (SELECT 1 FROM workspaces WHERE library)`).Scan(&orphans, &library); err != nil {
		return err
	}
	if orphans > 0 {
		problem("orphan workspace", "%d workspaces have no owner", orphans)
		if fix {
			if _, err := tx.Exec(ctx, `DELETE FROM workspaces w WHERE owner <> 0 AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = w.owner)`); err != nil {
				return err
			}
		}
	}
	if !library {
		problem("missing workspace", "the shared library has no workspace")
		if fix {
			w := store.Workspace{Name: store.LibraryName, Visibility: store.VisibilityEveryone, Owner: store.Shared, Library: true}
			if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('workspaces', 'id'))`).Scan(&w.ID); err != nil {
				return err
			}
			w.CreatedAt = time.Now().UTC()
			w.UpdatedAt = w.CreatedAt
			return putWorkspace(ctx, tx, &w, true)
		}
	}
	return nil
}

// markDamaged drops a damaged document's chunks and marks it failed.
func markDamaged(ctx context.Context, tx pgx.Tx, id uint64) error {
	removed, err := deleteChunks(ctx, tx, id)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE documents SET status = 'failed', data = data || jsonb_build_object('status', 'failed',
		'error', 'the index of this document was damaged; upload it again', 'chunks', 0) WHERE id = $1`, id); err != nil {
		return err
	}
	var log changeLog
	log.add(id, false, removed)
	return log.write(ctx, tx)
}

// recount sets every vector's reference count to its uses and drops the unused.
func recount(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `UPDATE vectors v SET refs = coalesce((SELECT count(*) FROM chunks c WHERE c.text_hash = v.hash), 0)`); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DELETE FROM vectors WHERE refs = 0`)
	return err
}

// indexInfo reads the index info inside tx.
func indexInfo(ctx context.Context, tx pgx.Tx) (store.IndexInfo, error) {
	var info store.IndexInfo
	var raw []byte
	err := tx.QueryRow(ctx, `SELECT value FROM meta WHERE key = $1`, keyIndexInfo).Scan(&raw)
	if err == pgx.ErrNoRows {
		return info, nil
	}
	if err != nil {
		return info, err
	}
	return info, json.Unmarshal(raw, &info)
}
