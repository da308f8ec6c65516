package store

import (
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// migration is one numbered schema change, applied once inside its own
// transaction.
type migration struct {
	name string
	up   func(tx *bolt.Tx) error
}

// migrations lists every schema change in order. Never reorder or remove an
// entry: the schema version stored in meta is the count applied.
func migrations() []migration {
	return []migration{
		{"create account and conversation buckets", createBuckets(
			bucketUsers, bucketUsersByName, bucketUsersByEmail,
			bucketConvs, bucketUserConvs, bucketMessages)},
		{"create document, chunk and vector buckets", createBuckets(
			bucketDocs, bucketDocsByOwner, bucketDocsByHash, bucketDocsByPath,
			bucketChunks, bucketVectors)},
		{"create API key buckets", createBuckets(bucketKeys, bucketKeysByHash, bucketUserKeys)},
		{"create invite buckets", createBuckets(bucketInvites, bucketInvitesByHash)},
		{"create workspace buckets", createBuckets(bucketWorkspaces, bucketWorkspaceNames, bucketWorkspaceDocs, bucketDocWorkspaces)},
		{"make the shared library the workspace \"shared\", visible to everyone", createLibraryWorkspace},
		{"create the index change log", logReset},
		{"create the bucket of documents being committed in steps", createBuckets(bucketStaged)},
	}
}

// createBuckets returns a migration step that creates the named buckets.
func createBuckets(names ...[]byte) func(tx *bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		for _, n := range names {
			if _, err := tx.CreateBucketIfNotExists(n); err != nil {
				return fmt.Errorf("create bucket %s: %w", n, err)
			}
		}
		return nil
	}
}

var keySchemaVersion = []byte("schema_version")

// SchemaVersion reports how many migrations the store has applied.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.view(ctx, func(tx *bolt.Tx) error {
		v = schemaVersion(tx)
		return nil
	})
	return v, err
}

func schemaVersion(tx *bolt.Tx) int {
	b := tx.Bucket(bucketMeta)
	if b == nil {
		return 0
	}
	raw := b.Get(keySchemaVersion)
	if len(raw) != 8 {
		return 0
	}
	return int(binary.BigEndian.Uint64(raw))
}

// migrate applies the steps after the stored schema version, each in its own
// transaction together with the version bump. A store written by a newer
// docent (more migrations than this binary knows) is refused.
func (db *DB) migrate(ctx context.Context, steps []migration) error {
	var current int
	if err := db.update(ctx, func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketMeta); err != nil {
			return err
		}
		current = schemaVersion(tx)
		return nil
	}); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > len(steps) {
		return fmt.Errorf("the store has schema version %d but this docent knows only %d: upgrade docent", current, len(steps))
	}
	for i := current; i < len(steps); i++ {
		err := db.update(ctx, func(tx *bolt.Tx) error {
			if err := steps[i].up(tx); err != nil {
				return err
			}
			return tx.Bucket(bucketMeta).Put(keySchemaVersion, itob(uint64(i+1)))
		})
		if err != nil {
			return fmt.Errorf("migration %d (%s): %w", i+1, steps[i].name, err)
		}
	}
	return nil
}
