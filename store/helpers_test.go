package store

import (
	"context"
	"testing"

	bolt "go.etcd.io/bbolt"
)

type txAlias = bolt.Tx

// countKeys counts the keys of a top-level bucket.
func countKeys(t *testing.T, db *DB, bucket []byte) int {
	t.Helper()
	n := 0
	err := db.view(context.Background(), func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(_, _ []byte) error { n++; return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
