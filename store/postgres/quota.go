package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"docent/store"
)

// usage sums owner's documents as store.Usage does, leaving out the
// documents except (one being replaced, one being committed again).
func usage(ctx context.Context, q interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}, owner uint64, except ...uint64) (store.Usage, error) {
	var u store.Usage
	if except == nil {
		except = []uint64{}
	}
	err := q.QueryRow(ctx, `SELECT count(*), coalesce(sum((data->>'size')::bigint), 0),
		coalesce(sum((data->>'chunks')::bigint) FILTER (WHERE status = 'ready'), 0)
		FROM documents WHERE owner = $1 AND NOT id = ANY($2)`, owner, except).Scan(&u.Documents, &u.Bytes, &u.Chunks)
	return u, err
}

// lockQuota serialises, until the transaction ends, the changes that are
// held to owner's quota: two replicas adding documents for one user at
// once cannot both pass it.
func lockQuota(ctx context.Context, tx pgx.Tx, owner uint64) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('docent quota', $1))`, int64(owner))
	return err
}

// admitDocument checks a new document against the quota it was uploaded
// under (d.Limit).
func admitDocument(ctx context.Context, tx pgx.Tx, d *store.Document) error {
	if d.Limit == nil || *d.Limit == (store.Quota{}) {
		return nil
	}
	if err := lockQuota(ctx, tx, d.Owner); err != nil {
		return err
	}
	u, err := usage(ctx, tx, d.Owner, d.Replaces)
	if err != nil {
		return err
	}
	return d.Limit.Admit(u, 1, d.Size)
}

// admitChunks checks n chunks of document d against its quota.
func admitChunks(ctx context.Context, tx pgx.Tx, d *store.Document, n int) error {
	if d.Limit == nil || d.Limit.Chunks <= 0 {
		return nil
	}
	if err := lockQuota(ctx, tx, d.Owner); err != nil {
		return err
	}
	u, err := usage(ctx, tx, d.Owner, d.ID, d.Replaces)
	if err != nil {
		return err
	}
	return d.Limit.AdmitChunks(u, int64(n))
}

// Usage returns what owner stores.
func (db *DB) Usage(ctx context.Context, owner uint64) (store.Usage, error) {
	return usage(ctx, db.pool, owner)
}

// CheckChunks reports whether n chunks for document d fit its quota now.
func (db *DB) CheckChunks(ctx context.Context, d *store.Document, n int) error {
	if d.Limit == nil || d.Limit.Chunks <= 0 {
		return nil
	}
	u, err := usage(ctx, db.pool, d.Owner, d.ID, d.Replaces)
	if err != nil {
		return err
	}
	return d.Limit.AdmitChunks(u, int64(n))
}

// DocumentByHash returns owner's latest document with the hex SHA-256 sha.
func (db *DB) DocumentByHash(ctx context.Context, owner uint64, sha string) (store.Document, error) {
	return scanDocument(db.pool.QueryRow(ctx,
		`SELECT data FROM documents WHERE owner = $1 AND sha256 = $2 ORDER BY id DESC LIMIT 1`, owner, sha))
}
