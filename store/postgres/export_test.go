package postgres

import "context"

// Exec runs sql straight on the database, as an operator's psql would.
func (db *DB) Exec(ctx context.Context, sql string, args ...any) error {
	_, err := db.pool.Exec(ctx, sql, args...)
	return err
}

// QueryRow scans the one row sql returns into dest.
func (db *DB) QueryRow(ctx context.Context, sql string, dest ...any) error {
	return db.pool.QueryRow(ctx, sql).Scan(dest...)
}
