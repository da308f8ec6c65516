package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"docent/store"
	"docent/store/postgres"
)

type migrateCmd struct {
	From string `name:"from" required:"" help:"The store to copy: a data directory or a postgres:// URL."`
	To   string `name:"to" required:"" help:"Where to copy it: a new (or empty) data directory or an empty PostgreSQL database's postgres:// URL."`
}

func (c *migrateCmd) Run(ctx context.Context, g *Globals) error {
	if c.From == c.To {
		return errors.New("--from and --to name the same store")
	}
	from, err := openNamed(ctx, c.From)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	defer from.Close()
	to, err := openNamed(ctx, c.To)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	defer to.Close()
	d, err := store.Migrate(ctx, from, to)
	if errors.Is(err, store.ErrNotEmpty) {
		return fmt.Errorf("%w: migrate into a new data directory or an empty database", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "migrated %s to %s: %s; sha256 %s identical on both sides\n", redact(c.From), redact(c.To), counts(d), d.SHA256)
	return nil
}

// openNamed opens a data directory or a postgres:// URL.
func openNamed(ctx context.Context, name string) (store.Store, error) {
	if isPostgres(name) {
		return postgres.Open(ctx, name, postgres.Options{})
	}
	return store.Open(ctx, name, store.Options{})
}

// redact hides the password of a database URL.
func redact(name string) string {
	if !isPostgres(name) {
		return name
	}
	scheme, rest, _ := strings.Cut(name, "://")
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if user, _, ok := strings.Cut(rest[:at], ":"); ok {
			rest = user + ":***" + rest[at:]
		}
	}
	return scheme + "://" + rest
}

// counts lists a digest's counts by kind.
func counts(d store.Digest) string {
	var parts []string
	for kind, n := range d.Counts {
		parts = append(parts, fmt.Sprintf("%d %s", n, kind))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// restoreInto copies the snapshot file into db, which must be empty (a
// PostgreSQL database: the data directory's file is replaced instead).
func restoreInto(ctx context.Context, db store.Store, file string) (store.Digest, error) {
	dir, err := os.MkdirTemp("", "docent-restore-*")
	if err != nil {
		return store.Digest{}, err
	}
	defer os.RemoveAll(dir)
	if err := copyFile(file, filepath.Join(dir, store.FileName)); err != nil {
		return store.Digest{}, err
	}
	snap, err := store.Open(ctx, dir, store.Options{NoSync: true})
	if err != nil {
		return store.Digest{}, fmt.Errorf("%s is not a docent backup: %w", file, err)
	}
	defer snap.Close()
	d, err := store.Migrate(ctx, snap, db)
	if errors.Is(err, store.ErrNotEmpty) {
		return d, fmt.Errorf("%w: restore into an empty database (createdb a new one, or drop this one's tables)", err)
	}
	return d, err
}

func copyFile(from, to string) error {
	raw, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, raw, 0o600)
}
