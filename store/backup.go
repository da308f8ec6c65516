package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent snapshot of the whole store to w while other
// requests go on (one read transaction), returning the bytes written. If
// size is not nil it is told the snapshot's exact size first (for a
// Content-Length), from the same transaction.
func (db *DB) Backup(ctx context.Context, w io.Writer, size func(int64)) (int64, error) {
	var n int64
	err := db.view(ctx, func(tx *bolt.Tx) (err error) {
		if size != nil {
			size(tx.Size())
		}
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}

// Restore replaces the store in dir with the backup file from, keeping the
// current file as docent.db.before-restore. It refuses a file that is not a
// docent store or comes from a newer docent, and fails with ErrLocked while
// a server holds dir. The new file is written beside the old one, synced and
// renamed into place, so a crash leaves either the old store or the new one.
func Restore(ctx context.Context, dir, from string) error {
	if err := verifyBackup(from); err != nil {
		return err
	}
	cur, err := Open(ctx, dir, Options{}) // holds the lock while we swap files
	if err != nil {
		return err
	}
	defer cur.Close()
	target := filepath.Join(dir, FileName)
	tmp := target + ".restore"
	if err := copyFileSync(from, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("restore: %w", err)
	}
	keep := target + ".before-restore"
	os.Remove(keep)
	if err := os.Link(target, keep); err != nil && !errors.Is(err, os.ErrNotExist) {
		os.Remove(tmp)
		return fmt.Errorf("restore: keep the current store: %w", err)
	}
	if err := os.Rename(tmp, target); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return syncDir(dir)
}

// verifyBackup opens path read-only and checks it is a docent store this
// binary can read.
func verifyBackup(path string) error {
	b, err := bolt.Open(path, 0o400, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("%s is not a docent backup: %w", path, err)
	}
	defer b.Close()
	return b.View(func(tx *bolt.Tx) error {
		v := schemaVersion(tx)
		if tx.Bucket(bucketMeta) == nil || tx.Bucket(bucketUsers) == nil || v == 0 {
			return fmt.Errorf("%s is not a docent backup", path)
		}
		if v > len(migrations()) {
			return fmt.Errorf("%s comes from a newer docent (schema %d > %d)", path, v, len(migrations()))
		}
		return nil
	})
}

func copyFileSync(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
