package store

import (
	"context"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// KeyScope is what an API key may do.
type KeyScope string

// API key scopes: a read key searches, asks and lists; a write key may
// also upload, delete and change things.
const (
	ScopeRead  KeyScope = "read"
	ScopeWrite KeyScope = "write"
)

// APIKey is a long-lived credential of a user. Only the hash of the key
// is stored; the key itself was shown once, when it was made.
type APIKey struct {
	ID     uint64   `json:"id"`
	UserID uint64   `json:"user_id"`
	Name   string   `json:"name"`
	Scope  KeyScope `json:"scope"`
	// Prefix is the key's first characters, to tell keys apart in lists.
	Prefix string `json:"prefix"`
	// Hash is the hex SHA-256 of the key.
	Hash string `json:"hash"`
	// TokenVersion is the user's credential generation when the key was
	// made: the key stops working once the user's differs.
	TokenVersion uint64    `json:"token_version"`
	CreatedAt    time.Time `json:"created_at"`
	LastUsedAt   time.Time `json:"last_used_at,omitzero"`
}

// hashKey is the keys_by_hash key of a hex hash.
func hashKey(hash string) ([]byte, error) {
	raw, err := hex.DecodeString(hash)
	if err != nil || len(raw) != 32 {
		return nil, fmt.Errorf("bad key hash %q", hash)
	}
	return raw, nil
}

// CreateKey stores k for k.UserID, assigning its ID and creation time and
// recording the user's current credential generation.
func (db *DB) CreateKey(ctx context.Context, k *APIKey) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		var u User
		if err := getJSON(tx.Bucket(bucketUsers), itob(k.UserID), &u); err != nil {
			return fmt.Errorf("user %d: %w", k.UserID, err)
		}
		hk, err := hashKey(k.Hash)
		if err != nil {
			return err
		}
		byHash := tx.Bucket(bucketKeysByHash)
		if byHash.Get(hk) != nil {
			return fmt.Errorf("key: %w", ErrConflict)
		}
		keys := tx.Bucket(bucketKeys)
		id, err := keys.NextSequence()
		if err != nil {
			return err
		}
		k.ID, k.TokenVersion, k.CreatedAt, k.LastUsedAt = id, u.TokenVersion, db.now(), time.Time{}
		if err := byHash.Put(hk, itob(id)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketUserKeys).Put(pairKey(k.UserID, id), nil); err != nil {
			return err
		}
		return putJSON(keys, itob(id), k)
	})
}

// KeyByHash returns the key stored under hash (hex SHA-256), whoever owns it.
func (db *DB) KeyByHash(ctx context.Context, hash string) (APIKey, error) {
	var k APIKey
	err := db.view(ctx, func(tx *bolt.Tx) error {
		hk, err := hashKey(hash)
		if err != nil {
			return ErrNotFound
		}
		id := tx.Bucket(bucketKeysByHash).Get(hk)
		if id == nil {
			return ErrNotFound
		}
		return getJSON(tx.Bucket(bucketKeys), id, &k)
	})
	if err != nil {
		return APIKey{}, fmt.Errorf("key: %w", err)
	}
	return k, nil
}

// Keys lists userID's keys, oldest first.
func (db *DB) Keys(ctx context.Context, userID uint64) ([]APIKey, error) {
	var out []APIKey
	err := db.view(ctx, func(tx *bolt.Tx) error {
		keys := tx.Bucket(bucketKeys)
		return forEachPair(tx.Bucket(bucketUserKeys), userID, func(id uint64) error {
			var k APIKey
			if err := getJSON(keys, itob(id), &k); err != nil {
				return err
			}
			out = append(out, k)
			return nil
		})
	})
	return out, err
}

// AllKeys lists every user's keys, by user and then age (for admins).
func (db *DB) AllKeys(ctx context.Context) ([]APIKey, error) {
	var out []APIKey
	err := db.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketKeys).ForEach(func(_, v []byte) error {
			var k APIKey
			if err := decodeJSON(v, &k); err != nil {
				return err
			}
			out = append(out, k)
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	return out, err
}

// DeleteKey revokes key id. A user may revoke their own keys, an admin
// anyone's; any other key is ErrNotFound, like a missing one.
func (db *DB) DeleteKey(ctx context.Context, v Viewer, id uint64) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		var k APIKey
		if err := getJSON(tx.Bucket(bucketKeys), itob(id), &k); err != nil {
			return fmt.Errorf("key %d: %w", id, err)
		}
		if k.UserID != v.UserID && !v.Admin {
			return fmt.Errorf("key %d: %w", id, ErrNotFound)
		}
		return deleteKey(tx, &k)
	})
}

func deleteKey(tx *bolt.Tx, k *APIKey) error {
	if hk, err := hashKey(k.Hash); err == nil {
		if err := tx.Bucket(bucketKeysByHash).Delete(hk); err != nil {
			return err
		}
	}
	if err := tx.Bucket(bucketUserKeys).Delete(pairKey(k.UserID, k.ID)); err != nil {
		return err
	}
	return tx.Bucket(bucketKeys).Delete(itob(k.ID))
}

// deleteUserKeys revokes every key of userID.
func deleteUserKeys(tx *bolt.Tx, userID uint64) error {
	var keys []APIKey
	if err := forEachPair(tx.Bucket(bucketUserKeys), userID, func(id uint64) error {
		var k APIKey
		if err := getJSON(tx.Bucket(bucketKeys), itob(id), &k); err != nil {
			return err
		}
		keys = append(keys, k)
		return nil
	}); err != nil {
		return err
	}
	for i := range keys {
		if err := deleteKey(tx, &keys[i]); err != nil {
			return err
		}
	}
	return nil
}

// TouchKey records that key id was used at t. A key revoked meanwhile is
// left revoked (ErrNotFound).
func (db *DB) TouchKey(ctx context.Context, id uint64, t time.Time) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		keys := tx.Bucket(bucketKeys)
		var k APIKey
		if err := getJSON(keys, itob(id), &k); err != nil {
			return fmt.Errorf("key %d: %w", id, err)
		}
		k.LastUsedAt = t.UTC()
		return putJSON(keys, itob(id), &k)
	})
}
