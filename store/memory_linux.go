//go:build linux

package store

import (
	"context"
	"os"
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// ReleaseMemory drops the store file's pages from this process's resident
// memory (madvise MADV_DONTNEED on bbolt's read-only shared mapping). A
// start-up rebuild reads every chunk record, which leaves the whole file
// mapped in: at 100k passages that is about 350 MB of RSS the server
// does not need. The pages stay in the kernel's page cache; later reads
// fault them back in. The read transaction keeps bbolt from remapping
// the file meanwhile.
func (db *DB) ReleaseMemory(ctx context.Context) error {
	return db.view(ctx, func(tx *bolt.Tx) error {
		page := uintptr(os.Getpagesize())
		size := (uintptr(tx.Size()) + page - 1) &^ (page - 1)
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, db.bolt.Info().Data, size, syscall.MADV_DONTNEED); errno != 0 {
			return errno
		}
		return nil
	})
}
