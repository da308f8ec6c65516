package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"docent/store"
)

// CreateInvite stores inv, assigning its ID and creation time.
func (db *DB) CreateInvite(ctx context.Context, inv *store.Invite) error {
	if !validSHA(inv.Hash) {
		return fmt.Errorf("bad invite hash %q", inv.Hash)
	}
	return db.tx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('invites', 'id'))`).Scan(&inv.ID); err != nil {
			return err
		}
		inv.CreatedAt, inv.UsedBy, inv.UsedAt = db.now(), 0, time.Time{}
		err := putInvite(ctx, tx, inv, true)
		if _, ok := isUnique(err); ok {
			return fmt.Errorf("invite: %w", store.ErrConflict)
		}
		return err
	})
}

func putInvite(ctx context.Context, tx pgx.Tx, inv *store.Invite, insert bool) error {
	raw, err := json.Marshal(inv)
	if err != nil {
		return err
	}
	q := `UPDATE invites SET hash = $2, data = $3 WHERE id = $1`
	if insert {
		q = `INSERT INTO invites (id, hash, data) VALUES ($1, $2, $3)`
	}
	_, err = tx.Exec(ctx, q, inv.ID, inv.Hash, raw)
	return err
}

// Invites lists every invite, newest first.
func (db *DB) Invites(ctx context.Context) ([]store.Invite, error) {
	rows, err := db.pool.Query(ctx, `SELECT data FROM invites ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	return collectJSON[store.Invite](rows)
}

// DeleteInvite removes invite id (used or not); store.ErrNotFound if there is none.
func (db *DB) DeleteInvite(ctx context.Context, id uint64) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM invites WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("invite %d: %w", id, err)
	}
	return nil
}

// CreateUserWithInvite registers u with the invite whose code hashes to
// hash, in one transaction: the invite must exist, be unused and not
// expired (else store.ErrInvite), and is marked used by u. u is created
// active. A taken username or email fails with store.ErrConflict and
// leaves the invite unused.
func (db *DB) CreateUserWithInvite(ctx context.Context, u *store.User, hash string) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		var raw []byte
		err := tx.QueryRow(ctx, `SELECT data FROM invites WHERE hash = $1 FOR UPDATE`, hash).Scan(&raw)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrInvite
		}
		if err != nil {
			return err
		}
		var inv store.Invite
		if err := json.Unmarshal(raw, &inv); err != nil {
			return err
		}
		now := db.now()
		if inv.UsedBy != 0 || !now.Before(inv.ExpiresAt) {
			return store.ErrInvite
		}
		u.Active, u.Pending = true, false
		if err := db.createUser(ctx, tx, u, false); err != nil {
			return err
		}
		inv.UsedBy, inv.UsedAt = u.ID, now
		return putInvite(ctx, tx, &inv, false)
	})
}
