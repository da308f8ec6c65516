package main

import (
	"context"
	"errors"
	"fmt"

	"docent/store"
)

type compactCmd struct{}

func (c *compactCmd) Run(ctx context.Context, g *Globals) error {
	if isPostgres(g.Store) {
		return errors.New("compact is for the data directory's file: on PostgreSQL, autovacuum makes the space of deleted rows reusable, " +
			"and VACUUM FULL (which locks each table while it runs) returns it to the disk; that is the database operator's to schedule")
	}
	rep, err := store.Compact(ctx, g.Data)
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%w: stop the server first (compaction needs the data directory to itself)", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stderr, "compacted %s: %s → %s (%s returned to the disk), contents checked (SHA-256 %s)\n",
		g.Data, mibs(rep.Before), mibs(rep.After), mibs(rep.Before-rep.After), rep.SHA256[:16])
	return nil
}

// mibs formats a byte count in MiB with one decimal.
func mibs(n int64) string { return fmt.Sprintf("%.1f MiB", mib(uint64(max(n, 0)))) }
