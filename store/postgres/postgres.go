package postgres

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"docent/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Advisory lock keys (pg_advisory_lock's two-int form: docent's class,
// then the purpose).
const (
	lockClass   = 0x646f63 // "doc"
	lockMigrate = 1
	lockChanges = 2
	lockUsers   = 3
	lockCache   = 4 // taken by migration 0005's triggers
)

// Options configure Open. The zero value is ready to use.
type Options struct {
	// MaxConns bounds the connection pool (default 32; the URL's
	// pool_max_conns wins when given).
	MaxConns int32
}

// DB is a docent store in a PostgreSQL database. It is safe for
// concurrent use, and several processes may open the same database.
type DB struct {
	pool     *pgxpool.Pool
	now      func() time.Time
	listener listener
	// cache answers for accounts, keys and scopes (cache.go).
	cache cache

	pruneMu sync.Mutex
	pruned  time.Time
	// guessesSwept is when this process last dropped idle guessing states.
	guessesSwept atomic.Int64
}

// Open connects to the database at url (postgres://…), waits for it to
// answer and applies pending migrations under an advisory lock, so that
// replicas starting together migrate once.
func Open(ctx context.Context, url string, opt Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL URL: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = 32
		if opt.MaxConns > 0 {
			cfg.MaxConns = opt.MaxConns
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to PostgreSQL at %s: %w", cfg.ConnConfig.Host, err)
	}
	db := &DB{pool: pool, now: func() time.Time { return time.Now().UTC() }}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Close closes every connection.
func (db *DB) Close() error {
	db.cache.close()
	db.listener.close()
	db.pool.Close()
	return nil
}

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

// migration is one numbered .sql file.
type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, n := range names {
		base := strings.TrimPrefix(n, "migrations/")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s is not named NNNN_name.sql", base)
		}
		raw, err := migrationFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{v, base, string(raw)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: want number %d", m.name, i+1)
		}
	}
	return out, nil
}

// migrate applies the migrations the database lacks, each in its own
// transaction, holding a session advisory lock meanwhile. A database
// migrated by a newer docent is refused.
func (db *DB) migrate(ctx context.Context) error {
	steps, err := migrations()
	if err != nil {
		return err
	}
	return db.apply(ctx, steps)
}

// apply runs the steps the database lacks (steps are every migration, or
// in tests the first few).
func (db *DB) apply(ctx context.Context, steps []migration) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, $2)`, lockClass, lockMigrate); err != nil {
		return fmt.Errorf("lock for migrations: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, $2)`, lockClass, lockMigrate)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var current int
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return err
	}
	if current > len(steps) {
		return fmt.Errorf("the database has schema version %d but this docent knows only %d: upgrade docent", current, len(steps))
	}
	for _, m := range steps[current:] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

// SchemaVersion reports how many migrations the database has applied.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// tx runs fn in a read-write transaction.
func (db *DB) tx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.pool, fn)
}

// readTx runs fn in a read-only transaction that sees one snapshot.
func (db *DB) readTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

// notFound turns "no rows" into store.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// isUnique reports a unique-constraint violation, naming the constraint.
func isUnique(err error) (string, bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return pe.ConstraintName, true
	}
	return "", false
}

// fold is the case-insensitive form under which usernames and emails are unique.
func fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// page turns skip and limit into OFFSET and LIMIT values (LIMIT NULL: all).
func page(skip, limit int) (int, *int) {
	if limit <= 0 {
		return max(skip, 0), nil
	}
	return max(skip, 0), &limit
}

// Secret returns the token signing secret every replica shares, made (32
// random bytes) by the first replica that asks.
func (db *DB) Secret(ctx context.Context) ([]byte, error) {
	fresh := make([]byte, 32)
	rand.Read(fresh)
	if _, err := db.pool.Exec(ctx, `INSERT INTO meta (key, value) VALUES ('jwt_secret', to_jsonb($1::text)) ON CONFLICT (key) DO NOTHING`,
		hex.EncodeToString(fresh)); err != nil {
		return nil, err
	}
	var s string
	if err := db.pool.QueryRow(ctx, `SELECT value #>> '{}' FROM meta WHERE key = 'jwt_secret'`).Scan(&s); err != nil {
		return nil, err
	}
	secret, err := hex.DecodeString(s)
	if err != nil || len(secret) < 32 {
		return nil, errors.New("the stored signing secret is damaged: delete the jwt_secret row of table meta to make a new one (existing tokens stop working)")
	}
	return secret, nil
}
