package postgres

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"docent/store"
)

// CreateKey stores k for k.UserID, assigning its ID and creation time and
// recording the user's current credential generation.
func (db *DB) CreateKey(ctx context.Context, k *store.APIKey) error {
	if raw, err := hex.DecodeString(k.Hash); err != nil || len(raw) != 32 {
		return fmt.Errorf("bad key hash %q", k.Hash)
	}
	return db.tx(ctx, func(tx pgx.Tx) error {
		u, err := scanUser(tx.QueryRow(ctx, `SELECT data FROM users WHERE id = $1 FOR SHARE`, k.UserID))
		if err != nil {
			return fmt.Errorf("user %d: %w", k.UserID, err)
		}
		if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('api_keys', 'id'))`).Scan(&k.ID); err != nil {
			return err
		}
		k.TokenVersion, k.CreatedAt, k.LastUsedAt = u.TokenVersion, db.now(), time.Time{}
		raw, err := json.Marshal(k)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO api_keys (id, user_id, hash, data) VALUES ($1, $2, $3, $4)`, k.ID, k.UserID, k.Hash, raw)
		if _, ok := isUnique(err); ok {
			return fmt.Errorf("key: %w", store.ErrConflict)
		}
		return err
	})
}

// KeyByHash returns the key stored under hash (hex SHA-256), whoever owns it.
// It answers from the cache when it may (cache.go).
func (db *DB) KeyByHash(ctx context.Context, hash string) (store.APIKey, error) {
	k, ok, gen, trusted := lookup(db, func(c *cache) (store.APIKey, bool) { k, ok := c.keys[hash]; return k, ok })
	if ok {
		return k, nil
	}
	var raw []byte
	err := notFound(db.pool.QueryRow(ctx, `SELECT data FROM api_keys WHERE hash = $1`, hash).Scan(&raw))
	if err == nil {
		err = json.Unmarshal(raw, &k)
	}
	if err != nil {
		return store.APIKey{}, fmt.Errorf("key: %w", err)
	}
	if trusted {
		db.cache.keep(gen, func(c *cache) { putIn(&c.keys, hash, k) })
	}
	return k, nil
}

// Keys lists userID's keys, oldest first.
func (db *DB) Keys(ctx context.Context, userID uint64) ([]store.APIKey, error) {
	rows, err := db.pool.Query(ctx, `SELECT data FROM api_keys WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, err
	}
	return collectJSON[store.APIKey](rows)
}

// AllKeys lists every user's keys, by user and then age (for admins).
func (db *DB) AllKeys(ctx context.Context) ([]store.APIKey, error) {
	rows, err := db.pool.Query(ctx, `SELECT data FROM api_keys ORDER BY user_id, id`)
	if err != nil {
		return nil, err
	}
	return collectJSON[store.APIKey](rows)
}

// DeleteKey revokes key id. A user may revoke their own keys, an admin
// anyone's; any other key is store.ErrNotFound, like a missing one.
func (db *DB) DeleteKey(ctx context.Context, v store.Viewer, id uint64) error {
	q := `DELETE FROM api_keys WHERE id = $1 AND (user_id = $2 OR $3)`
	tag, err := db.pool.Exec(ctx, q, id, v.UserID, v.Admin)
	db.changed(ctx)
	if err == nil && tag.RowsAffected() == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("key %d: %w", id, err)
	}
	return nil
}

// TouchKey records that key id was used at t. A key revoked meanwhile is
// left revoked (store.ErrNotFound).
func (db *DB) TouchKey(ctx context.Context, id uint64, t time.Time) error {
	stamp, err := json.Marshal(t.UTC())
	if err != nil {
		return err
	}
	tag, err := db.pool.Exec(ctx, `UPDATE api_keys SET data = jsonb_set(data, '{last_used_at}', $2) WHERE id = $1`, id, stamp)
	if err == nil && tag.RowsAffected() == 0 {
		err = store.ErrNotFound
	}
	if err == nil { // this process's copy; the others' keep theirs (the log leaves uses out)
		db.cache.mu.Lock()
		for h, k := range db.cache.keys {
			if k.ID == id {
				k.LastUsedAt = t
				db.cache.keys[h] = k
			}
		}
		db.cache.mu.Unlock()
	}
	if err != nil {
		return fmt.Errorf("key %d: %w", id, err)
	}
	return nil
}
