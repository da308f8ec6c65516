package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"docent/store"
)

// SubmitUpload stores a new queued document together with its uploaded
// bytes and its ingest job, in one transaction (any replica may then
// process it), and wakes the replicas' workers. The same bytes from the
// same owner give the existing document and dup = true, as CreateDocument.
func (db *DB) SubmitUpload(ctx context.Context, d *store.Document, data []byte) (existing store.Document, dup bool, err error) {
	err = db.tx(ctx, func(tx pgx.Tx) error {
		var log changeLog
		if existing, dup, err = createDocument(ctx, tx, d, &log); err != nil || dup {
			return err
		}
		if err := log.write(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO uploads (document_id, data) VALUES ($1, $2)`, d.ID, data); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO jobs (document_id) VALUES ($1)`, d.ID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `SELECT pg_notify($1, '')`, channelJobs)
		return err
	})
	if err != nil {
		return store.Document{}, false, fmt.Errorf("submit upload: %w", err)
	}
	return existing, dup, nil
}

// ClaimJob takes the oldest job nobody holds (never claimed, or whose
// lease ran out because its replica died or let it go) for worker,
// leased for lease: FOR UPDATE SKIP LOCKED, so replicas claiming at once
// get different jobs. ok is false when there is none.
func (db *DB) ClaimJob(ctx context.Context, worker string, lease time.Duration) (id uint64, ok bool, err error) {
	err = db.pool.QueryRow(ctx, `UPDATE jobs SET worker = $1, lease_until = now() + $2::interval, attempts = attempts + 1
		WHERE document_id = (SELECT document_id FROM jobs WHERE lease_until IS NULL OR lease_until < now()
			ORDER BY document_id LIMIT 1 FOR UPDATE SKIP LOCKED)
		RETURNING document_id`, worker, lease.String()).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

// RenewJob extends worker's lease of job id (the heartbeat); a lease of 0
// lets the job go at once. store.ErrNotFound means worker no longer holds
// the job (finished, deleted, or taken over after its lease ran out).
func (db *DB) RenewJob(ctx context.Context, id uint64, worker string, lease time.Duration) error {
	tag, err := db.pool.Exec(ctx, `UPDATE jobs SET lease_until = now() + $3::interval WHERE document_id = $1 AND worker = $2`,
		id, worker, lease.String())
	if err == nil && tag.RowsAffected() == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("job %d: %w", id, err)
	}
	return nil
}

// JobUpload returns the uploaded bytes of document id.
func (db *DB) JobUpload(ctx context.Context, id uint64) ([]byte, error) {
	var data []byte
	if err := db.pool.QueryRow(ctx, `SELECT data FROM uploads WHERE document_id = $1`, id).Scan(&data); err != nil {
		return nil, fmt.Errorf("upload of document %d: %w", id, notFound(err))
	}
	return data, nil
}

// FinishJob removes job id and its upload, if worker still holds it.
func (db *DB) FinishJob(ctx context.Context, id uint64, worker string) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM jobs WHERE document_id = $1 AND worker = $2`, id, worker)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM uploads WHERE document_id = $1`, id)
		return err
	})
}

// PendingJobs counts the jobs waiting or running.
func (db *DB) PendingJobs(ctx context.Context) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM jobs`).Scan(&n)
	return n, err
}

// WaitForJob returns when a job may be claimable: at once if one is, else
// at the next submission's notification, or after a poll interval.
func (db *DB) WaitForJob(ctx context.Context) error {
	return db.waitFor(ctx, channelJobs, func() (bool, error) {
		var ok bool
		err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM jobs WHERE lease_until IS NULL OR lease_until < now())`).Scan(&ok)
		return ok, err
	})
}
