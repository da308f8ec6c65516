package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"docent/store"
)

// CreateUser stores a new user, assigning its ID and timestamps. The very
// first user becomes an active admin whatever Role, Active and Pending say
// (user creations take an advisory lock, so two replicas cannot both make
// the first). A username or email already in use (ignoring case) gives an
// error wrapping store.ErrConflict that names the field.
func (db *DB) CreateUser(ctx context.Context, u *store.User) error {
	return db.tx(ctx, func(tx pgx.Tx) error { return db.createUser(ctx, tx, u, false) })
}

// CreateFirstUser stores u as CreateUser does if no account exists yet
// (it becomes the admin), and fails with store.ErrForbidden otherwise.
func (db *DB) CreateFirstUser(ctx context.Context, u *store.User) error {
	return db.tx(ctx, func(tx pgx.Tx) error { return db.createUser(ctx, tx, u, true) })
}

// createUser stores u in tx; with first, only if it is the first account.
func (db *DB) createUser(ctx context.Context, tx pgx.Tx, u *store.User, first bool) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockClass, lockUsers); err != nil {
		return err
	}
	var any bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users)`).Scan(&any); err != nil {
		return err
	}
	if any && first {
		return fmt.Errorf("not the first account: %w", store.ErrForbidden)
	}
	if !any {
		u.Role, u.Active, u.Pending = store.RoleAdmin, true, false
	}
	if u.Role == "" {
		u.Role = store.RoleUser
	}
	if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('users', 'id'))`).Scan(&u.ID); err != nil {
		return err
	}
	u.CreatedAt = db.now()
	u.UpdatedAt = u.CreatedAt
	return putUser(ctx, tx, u, true)
}

// activeAdmin reports whether u counts towards keeping an admin.
func activeAdmin(u *store.User) bool { return u.IsAdmin() && u.Active }

// keepAnAdmin fails with store.ErrLastAdmin unless an active admin other
// than user id exists. It takes the users lock first, so two admins
// demoting each other at once are checked one after the other.
func keepAnAdmin(ctx context.Context, tx pgx.Tx, id uint64) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockClass, lockUsers); err != nil {
		return err
	}
	var ok bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id <> $1 AND data->>'role' = 'admin'
		AND (data->>'is_active')::boolean)`, id).Scan(&ok)
	if err == nil && !ok {
		err = store.ErrLastAdmin
	}
	return err
}

// putUser inserts or updates u, mapping taken names to store.ErrConflict.
func putUser(ctx context.Context, tx pgx.Tx, u *store.User, insert bool) error {
	raw, err := json.Marshal(u)
	if err != nil {
		return err
	}
	q := `UPDATE users SET username_key = $2, email_key = $3, data = $4 WHERE id = $1`
	if insert {
		q = `INSERT INTO users (id, username_key, email_key, data) VALUES ($1, $2, $3, $4)`
	}
	_, err = tx.Exec(ctx, q, u.ID, fold(u.Username), fold(u.Email), raw)
	if name, ok := isUnique(err); ok {
		field := "username"
		if name == "users_email_key_key" {
			field = "email"
		}
		return fmt.Errorf("%s is already taken: %w", field, store.ErrConflict)
	}
	return err
}

// scanUser decodes the data column of a users row.
func scanUser(row pgx.Row) (store.User, error) {
	var raw []byte
	var u store.User
	if err := row.Scan(&raw); err != nil {
		return u, notFound(err)
	}
	return u, json.Unmarshal(raw, &u)
}

// UserByID returns the user with id (from the cache when it may answer:
// cache.go).
func (db *DB) UserByID(ctx context.Context, id uint64) (store.User, error) {
	return db.userByID(ctx, id, true)
}

// UncachedUserByID returns the user with id as the database holds it now,
// putting it in the cache in place of what the cache held: for a
// credential the cached user refuses, which a change just made by another
// replica may allow (a reactivated account, a new password's tokens).
func (db *DB) UncachedUserByID(ctx context.Context, id uint64) (store.User, error) {
	return db.userByID(ctx, id, false)
}

func (db *DB) userByID(ctx context.Context, id uint64, cached bool) (store.User, error) {
	u, ok, gen, trusted := lookup(db, func(c *cache) (store.User, bool) { u, ok := c.users[id]; return u, ok })
	if ok && cached {
		return cloneUser(u), nil
	}
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT data FROM users WHERE id = $1`, id))
	if err != nil {
		return store.User{}, fmt.Errorf("user %d: %w", id, err)
	}
	if trusted {
		db.cache.keep(gen, func(c *cache) { putIn(&c.users, id, cloneUser(u)) })
	}
	return u, nil
}

// UserByLogin returns the user whose username or email equals login,
// ignoring case.
func (db *DB) UserByLogin(ctx context.Context, login string) (store.User, error) {
	u, err := scanUser(db.pool.QueryRow(ctx,
		`SELECT data FROM users WHERE username_key = $1 OR email_key = $1 ORDER BY username_key = $1 DESC LIMIT 1`, fold(login)))
	if err != nil {
		return store.User{}, fmt.Errorf("user: %w", err)
	}
	return u, nil
}

// Users lists users in id order, applying skip and limit.
func (db *DB) Users(ctx context.Context, skip, limit int) ([]store.User, error) {
	off, lim := page(skip, limit)
	rows, err := db.pool.Query(ctx, `SELECT data FROM users ORDER BY id OFFSET $1 LIMIT $2`, off, lim)
	if err != nil {
		return nil, err
	}
	return collectJSON[store.User](rows)
}

// collectJSON decodes the single jsonb column of every row.
func collectJSON[T any](rows pgx.Rows) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("decode stored record: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// CountUsers returns the number of accounts.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, err
}

// UpdateUser applies fn to the stored user and saves the result in one
// transaction (the row locked meanwhile). Changing the username or email
// to one another user holds fails with store.ErrConflict and changes
// nothing.
func (db *DB) UpdateUser(ctx context.Context, id uint64, fn func(*store.User) error) (store.User, error) {
	var u store.User
	err := db.tx(ctx, func(tx pgx.Tx) (err error) {
		if u, err = scanUser(tx.QueryRow(ctx, `SELECT data FROM users WHERE id = $1 FOR UPDATE`, id)); err != nil {
			return err
		}
		old := u
		if err := fn(&u); err != nil {
			return err
		}
		u.ID, u.CreatedAt, u.UpdatedAt = old.ID, old.CreatedAt, db.now()
		if activeAdmin(&old) && !activeAdmin(&u) {
			if err := keepAnAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		return putUser(ctx, tx, &u, false)
	})
	db.changed(ctx)
	if err != nil {
		return store.User{}, fmt.Errorf("update user %d: %w", id, err)
	}
	return u, nil
}

// DeleteUser removes the user, their conversations with all messages,
// their private documents with chunks and vectors, and their API keys,
// in one transaction, returning the ids of the deleted documents.
func (db *DB) DeleteUser(ctx context.Context, id uint64) ([]uint64, error) {
	var docs []uint64
	err := db.tx(ctx, func(tx pgx.Tx) error {
		u, err := scanUser(tx.QueryRow(ctx, `SELECT data FROM users WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		if activeAdmin(&u) {
			if err := keepAnAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, `SELECT id FROM documents WHERE owner = $1 ORDER BY id FOR UPDATE`, id)
		if err != nil {
			return err
		}
		if docs, err = pgx.CollectRows(rows, pgx.RowTo[uint64]); err != nil {
			return err
		}
		var log changeLog
		for _, d := range docs {
			removed, err := deleteDocument(ctx, tx, d)
			if err != nil {
				return err
			}
			log.add(d, false, removed)
		}
		if err := log.write(ctx, tx); err != nil {
			return err
		}
		if err := deleteUserWorkspaces(ctx, tx, id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM users WHERE id = $1`, id) // keys and conversations cascade
		return err
	})
	db.changed(ctx)
	if err != nil {
		return nil, fmt.Errorf("delete user %d: %w", id, err)
	}
	return docs, nil
}
