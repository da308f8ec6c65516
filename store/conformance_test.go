package store_test

import (
	"context"
	"testing"

	"docent/store"
	"docent/store/storetest"
)

// TestConformance runs the store conformance suite on the bbolt backend.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		db, err := store.Open(context.Background(), t.TempDir(), store.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
