package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"docent/store"
)

// guessRetention is how long an idle guessing state is kept at most (the
// policy forgets it sooner; this only bounds the tables).
const guessRetention = 24 * time.Hour

// UpdateGuesses loads the password-guessing state of (account, addr) and
// of account (zero when there is none), lets fn change them and saves
// them, in one transaction serialised per account; keepPair false forgets
// the pair. Every replica so applies one policy to one state.
func (db *DB) UpdateGuesses(ctx context.Context, account, addr string, fn func(pair, acct *store.GuessState) (keepPair bool)) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 7))`, account); err != nil {
			return err
		}
		var pair, acct store.GuessState
		err := tx.QueryRow(ctx, `SELECT failures, free, last, until FROM guess_pairs WHERE account = $1 AND addr = $2`, account, addr).
			Scan(&pair.Failures, &pair.Free, &pair.Last, &pair.Until)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		err = tx.QueryRow(ctx, `SELECT failures, last FROM guess_accounts WHERE account = $1`, account).Scan(&acct.Failures, &acct.Last)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if fn(&pair, &acct) {
			_, err = tx.Exec(ctx, `INSERT INTO guess_pairs (account, addr, failures, free, last, until) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (account, addr) DO UPDATE SET failures = excluded.failures, free = excluded.free, last = excluded.last, until = excluded.until`,
				account, addr, pair.Failures, pair.Free, pair.Last, pair.Until)
		} else {
			_, err = tx.Exec(ctx, `DELETE FROM guess_pairs WHERE account = $1 AND addr = $2`, account, addr)
		}
		if err != nil || acct.Failures == 0 {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO guess_accounts (account, failures, last) VALUES ($1, $2, $3)
			ON CONFLICT (account) DO UPDATE SET failures = excluded.failures, last = excluded.last`, account, acct.Failures, acct.Last)
		return err
	})
	if last := db.guessesSwept.Load(); err == nil && time.Since(time.Unix(0, last)) > time.Hour && db.guessesSwept.CompareAndSwap(last, time.Now().UnixNano()) {
		cutoff := time.Now().Add(-guessRetention)
		_, err = db.pool.Exec(ctx, `DELETE FROM guess_pairs WHERE last < $1 AND until < now()`, cutoff)
		if err == nil {
			_, err = db.pool.Exec(ctx, `DELETE FROM guess_accounts WHERE last < $1`, cutoff)
		}
	}
	return err
}
