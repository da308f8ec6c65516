package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// compactTxSize bounds the bytes of keys and values one transaction of the
// compacted copy holds before it commits, and so the memory it takes.
const compactTxSize = 32 << 20

// CompactReport says what Compact did.
type CompactReport struct {
	// Before and After are the store file's sizes in bytes.
	Before int64 `json:"before"`
	After  int64 `json:"after"`
	// SHA256 sums every bucket, key, value and id sequence; the copy had
	// the same before it replaced the store.
	SHA256 string `json:"sha256"`
}

// Compact rewrites the store in dir without its free pages, so the space
// deleted documents and conversations left returns to the disk (while a
// server runs, bbolt reuses freed pages for new data but never shrinks the
// file). It needs the data directory to itself (ErrLocked while a server
// holds it) and free disk space for the live data.
//
// The copy is written beside the store as docent.db.compact, synced,
// checked to hold exactly what the store holds, then renamed over it: a
// crash at any moment leaves the old store or the compacted one, whole.
// A copy left by a crash is discarded by the next Compact.
func Compact(ctx context.Context, dir string) (CompactReport, error) {
	cur, err := Open(ctx, dir, Options{}) // holds the lock until the swap is done
	if err != nil {
		return CompactReport{}, err
	}
	defer cur.Close()
	target := filepath.Join(dir, FileName)
	tmp := target + ".compact"
	var rep CompactReport
	if fi, err := os.Stat(target); err == nil {
		rep.Before = fi.Size()
	}
	if err := writeCompacted(ctx, cur.bolt, tmp); err != nil {
		os.Remove(tmp)
		return rep, fmt.Errorf("compact: %w", err)
	}
	want, err := treeSum(cur.bolt)
	if err == nil {
		err = sameTree(tmp, want)
	}
	if err != nil {
		os.Remove(tmp)
		return rep, fmt.Errorf("compact: %w", err)
	}
	if err := os.Rename(tmp, target); err != nil {
		os.Remove(tmp)
		return rep, fmt.Errorf("compact: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return rep, fmt.Errorf("compact: %w", err)
	}
	rep.SHA256 = fmt.Sprintf("%x", want)
	if fi, err := os.Stat(target); err == nil {
		rep.After = fi.Size()
	}
	return rep, nil
}

// writeCompacted copies src into a new bbolt file at path, page-filled and
// without free pages, and syncs it.
func writeCompacted(ctx context.Context, src *bolt.DB, path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	dst, err := bolt.Open(path, 0o600, &bolt.Options{NoSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		dst.Close()
		return err
	}
	err = bolt.Compact(dst, src, compactTxSize)
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	return err
}

// sameTree opens the bbolt file at path read-only and checks its sum.
func sameTree(path string, want []byte) error {
	b, err := bolt.Open(path, 0o400, &bolt.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer b.Close()
	got, err := treeSum(b)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return errors.New("the compacted copy differs from the store; the store is left as it was")
	}
	return nil
}

// treeSum is a SHA-256 over every bucket (with its id sequence), key and
// value of b, in order, in one read transaction.
func treeSum(b *bolt.DB) ([]byte, error) {
	h := sha256.New()
	err := b.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, bk *bolt.Bucket) error {
			return sumBucket(h, 0, name, bk)
		})
	})
	return h.Sum(nil), err
}

func sumBucket(h hash.Hash, depth int, name []byte, b *bolt.Bucket) error {
	field(h, 'B', uint64(depth), name)
	field(h, 'S', b.Sequence(), nil)
	return b.ForEach(func(k, v []byte) error {
		if v == nil {
			return sumBucket(h, depth+1, k, b.Bucket(k))
		}
		field(h, 'K', uint64(depth), k)
		field(h, 'V', uint64(len(v)), v)
		return nil
	})
}

// field writes a tag, a number and length-prefixed bytes, so no two trees
// feed h the same stream.
func field(h hash.Hash, tag byte, n uint64, b []byte) {
	var head [17]byte
	head[0] = tag
	binary.BigEndian.PutUint64(head[1:9], n)
	binary.BigEndian.PutUint64(head[9:], uint64(len(b)))
	h.Write(head[:])
	h.Write(b)
}
