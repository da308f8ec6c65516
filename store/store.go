package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// FileName is the name of the bbolt file inside the data directory.
const FileName = "docent.db"

// Sentinel errors returned (wrapped) by DB methods.
var (
	// ErrNotFound means the record does not exist or belongs to someone else.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a unique value (username, email) is already taken.
	ErrConflict = errors.New("already exists")
	// ErrForbidden means the caller may read the record but not change it
	// (a user deleting a shared-library document).
	ErrForbidden = errors.New("not allowed")
	// ErrLocked means another process holds the data directory.
	ErrLocked = errors.New("data directory is locked")
	// ErrInvite means an invite code is unknown, used or expired.
	ErrInvite = errors.New("invalid invite")
	// ErrLastAdmin means a change would leave no active admin: the last
	// one cannot be demoted, deactivated or deleted.
	ErrLastAdmin = errors.New("the last active admin cannot be removed")
)

// lockedError names the data directory another process holds.
type lockedError struct{ dir string }

func (e lockedError) Error() string {
	return "data directory " + e.dir + " is in use by another docent process"
}

func (e lockedError) Is(target error) bool { return target == ErrLocked }

// Options configure Open. The zero value is ready to use.
type Options struct {
	// LockTimeout bounds the wait for the file lock; default 1s.
	LockTimeout time.Duration
	// NoSync skips fsync on commit. Only for benchmarks and tests.
	NoSync bool
}

// initialMmap is how much of the store file bbolt maps at first: 1 GiB
// where the address space is plentiful, bbolt's default elsewhere.
const initialMmap = (1 << 30) * (strconv.IntSize / 64)

// DB is an open docent store. It is safe for concurrent use.
type DB struct {
	bolt *bolt.DB
	dir  string
	now  func() time.Time
}

// Open opens (creating if needed) the store in dir and applies pending
// migrations. A second process opening the same dir fails at once with an
// error wrapping ErrLocked.
func Open(ctx context.Context, dir string, opt Options) (*DB, error) {
	if opt.LockTimeout <= 0 {
		opt.LockTimeout = time.Second
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	b, err := bolt.Open(filepath.Join(dir, FileName), 0o600, &bolt.Options{
		Timeout: opt.LockTimeout,
		NoSync:  opt.NoSync,
		// The free-page list is written at each commit: without it every
		// open scans the whole file to rebuild it (a quarter of a second
		// for 100k chunks, most of a cold start).
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: 1 << 30,
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, lockedError{dir}
	}
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	db := &DB{bolt: b, dir: dir, now: func() time.Time { return time.Now().UTC() }}
	if err := db.migrate(ctx, migrations()); err != nil {
		b.Close()
		return nil, err
	}
	if err := db.recoverStaged(ctx); err != nil {
		b.Close()
		return nil, err
	}
	return db, nil
}

// Close releases the file and its lock.
func (db *DB) Close() error { return db.bolt.Close() }

// Dir returns the data directory the store lives in.
func (db *DB) Dir() string { return db.dir }

// update runs fn in a read-write transaction unless ctx is already done.
func (db *DB) update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.bolt.Update(fn)
}

// view runs fn in a read-only transaction unless ctx is already done.
func (db *DB) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.bolt.View(fn)
}

// Bucket names.
var (
	bucketMeta          = []byte("meta")
	bucketUsers         = []byte("users")
	bucketUsersByName   = []byte("users_by_name")
	bucketUsersByEmail  = []byte("users_by_email")
	bucketConvs         = []byte("conversations")
	bucketUserConvs     = []byte("user_convs")
	bucketMessages      = []byte("messages")
	bucketDocs          = []byte("documents")
	bucketDocsByOwner   = []byte("docs_by_owner")
	bucketDocsByHash    = []byte("docs_by_hash")
	bucketDocsByPath    = []byte("docs_by_path")
	bucketChunks        = []byte("chunks")
	bucketVectors       = []byte("vectors")
	bucketKeys          = []byte("api_keys")
	bucketKeysByHash    = []byte("api_keys_by_hash")
	bucketUserKeys      = []byte("user_keys")
	bucketInvites       = []byte("invites")
	bucketInvitesByHash = []byte("invites_by_hash")

	bucketWorkspaces     = []byte("workspaces")
	bucketWorkspaceNames = []byte("workspace_names")
	bucketWorkspaceDocs  = []byte("workspace_docs")
	bucketDocWorkspaces  = []byte("doc_workspaces")

	bucketChanges = []byte("index_changes")
	// bucketStaged notes the documents whose chunks a Commit is writing
	// in several transactions (commit.go).
	bucketStaged = []byte("staged_documents")
)

// itob encodes an id as 8 big-endian bytes.
func itob(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

// btoi decodes 8 big-endian bytes.
func btoi(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

// pairKey joins two ids into a 16-byte key that sorts by a, then b.
func pairKey(a, b uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, a)
	binary.BigEndian.PutUint64(k[8:], b)
	return k
}

// getJSON decodes the value at key into v, or returns ErrNotFound.
func getJSON(b *bolt.Bucket, key []byte, v any) error {
	raw := b.Get(key)
	if raw == nil {
		return ErrNotFound
	}
	return decodeJSON(raw, v)
}

// decodeJSON decodes one stored record.
func decodeJSON(raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode stored record: %w", err)
	}
	return nil
}

// putJSON encodes v and stores it at key.
func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	return b.Put(key, raw)
}

// page applies skip and limit to n items, returning the [lo, hi) window.
func page(n, skip, limit int) (lo, hi int) {
	lo = min(max(skip, 0), n)
	hi = n
	if limit > 0 {
		hi = min(lo+limit, n)
	}
	return lo, hi
}
