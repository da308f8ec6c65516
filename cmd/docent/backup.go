package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"docent/store"
)

type backupCmd struct {
	File   string `arg:"" help:"Where to write the snapshot ('-' for standard output)."`
	Server string `name:"server" env:"DOCENT_SERVER" help:"Take the snapshot through a running server at this URL instead of opening the data directory."`
	Token  string `name:"token" env:"DOCENT_TOKEN" help:"An admin's access token for --server."`
}

func (c *backupCmd) Run(ctx context.Context, g *Globals) error {
	write := func(w io.Writer) (int64, error) {
		if c.Server != "" {
			return c.fromServer(ctx, w)
		}
		db, err := openBackend(ctx, g)
		if errors.Is(err, store.ErrLocked) {
			return 0, fmt.Errorf("%w: a server holds it; back up through it with --server URL --token T", err)
		}
		if err != nil {
			return 0, err
		}
		defer db.Close()
		return db.Backup(ctx, w, nil)
	}
	if c.File == "-" {
		_, err := write(g.stdout)
		return err
	}
	n, err := writeFileAtomic(c.File, write)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stderr, "backup: %d bytes written to %s\n", n, c.File)
	return nil
}

// fromServer downloads the snapshot from a running server's admin endpoint.
func (c *backupCmd) fromServer(ctx context.Context, w io.Writer) (int64, error) {
	cl, err := newClient(c.Server, c.Token)
	if err != nil {
		return 0, err
	}
	resp, err := cl.send(ctx, "GET", "/api/v1/admin/backup", "", nil)
	if err != nil {
		return 0, fmt.Errorf("backup through %s: %w", c.Server, err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(w, resp.Body)
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = fmt.Errorf("backup cut short: %d of %d bytes", n, resp.ContentLength)
	}
	return n, err
}

// writeFileAtomic writes path through a synced temporary file renamed into
// place: a failed or interrupted backup never leaves a truncated file.
func writeFileAtomic(path string, write func(io.Writer) (int64, error)) (int64, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	n, err := write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, err
	}
	if err := os.Chmod(f.Name(), 0o600); err != nil {
		return n, err
	}
	return n, os.Rename(f.Name(), path)
}

type restoreCmd struct {
	File string `arg:"" type:"existingfile" help:"A snapshot written by 'docent backup'."`
}

func (c *restoreCmd) Run(ctx context.Context, g *Globals) error {
	if isPostgres(g.Store) {
		db, err := openBackend(ctx, g)
		if err != nil {
			return err
		}
		defer db.Close()
		d, err := restoreInto(ctx, db, c.File)
		if err != nil {
			return err
		}
		fmt.Fprintf(g.stderr, "restored %s into %s: %s\n", c.File, redact(g.Store), counts(d))
		return nil
	}
	if err := store.Restore(ctx, g.Data, c.File); err != nil {
		return err
	}
	fmt.Fprintf(g.stderr, "restored %s into %s (the previous store is kept as %s.before-restore)\n", c.File, g.Data, store.FileName)
	return nil
}
