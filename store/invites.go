package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Invite lets one person register while registration takes invites
// (or skip an admin's approval). Only the hash of its code is stored; the
// code itself was shown once, to the admin who made it.
type Invite struct {
	ID        uint64    `json:"id"`
	Hash      string    `json:"hash"` // hex SHA-256 of the code
	CreatedBy uint64    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// UsedBy is the account registered with the invite, 0 while unused.
	UsedBy uint64    `json:"used_by,omitempty"`
	UsedAt time.Time `json:"used_at,omitzero"`
}

// CreateInvite stores inv, assigning its ID and creation time.
func (db *DB) CreateInvite(ctx context.Context, inv *Invite) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		hk, err := hashKey(inv.Hash)
		if err != nil {
			return err
		}
		byHash := tx.Bucket(bucketInvitesByHash)
		if byHash.Get(hk) != nil {
			return fmt.Errorf("invite: %w", ErrConflict)
		}
		invites := tx.Bucket(bucketInvites)
		id, err := invites.NextSequence()
		if err != nil {
			return err
		}
		inv.ID, inv.CreatedAt, inv.UsedBy, inv.UsedAt = id, db.now(), 0, time.Time{}
		if err := byHash.Put(hk, itob(id)); err != nil {
			return err
		}
		return putJSON(invites, itob(id), inv)
	})
}

// Invites lists every invite, newest first.
func (db *DB) Invites(ctx context.Context) ([]Invite, error) {
	var out []Invite
	err := db.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketInvites).ForEach(func(_, v []byte) error {
			var inv Invite
			if err := decodeJSON(v, &inv); err != nil {
				return err
			}
			out = append(out, inv)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out, err
}

// DeleteInvite removes invite id (used or not); ErrNotFound if there is none.
func (db *DB) DeleteInvite(ctx context.Context, id uint64) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		invites := tx.Bucket(bucketInvites)
		var inv Invite
		if err := getJSON(invites, itob(id), &inv); err != nil {
			return fmt.Errorf("invite %d: %w", id, err)
		}
		if hk, err := hashKey(inv.Hash); err == nil {
			if err := tx.Bucket(bucketInvitesByHash).Delete(hk); err != nil {
				return err
			}
		}
		return invites.Delete(itob(id))
	})
}

// CreateUserWithInvite registers u with the invite whose code hashes to
// hash, in one transaction: the invite must exist, be unused and not
// expired (else ErrInvite), and is marked used by u. u is created active.
// A taken username or email fails with ErrConflict and leaves the invite
// unused.
func (db *DB) CreateUserWithInvite(ctx context.Context, u *User, hash string) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		hk, err := hashKey(hash)
		if err != nil {
			return ErrInvite
		}
		id := tx.Bucket(bucketInvitesByHash).Get(hk)
		if id == nil {
			return ErrInvite
		}
		invites := tx.Bucket(bucketInvites)
		var inv Invite
		if err := getJSON(invites, id, &inv); err != nil {
			return err
		}
		now := db.now()
		if inv.UsedBy != 0 || !now.Before(inv.ExpiresAt) {
			return ErrInvite
		}
		u.Active, u.Pending = true, false
		if err := createUser(tx, u, now); err != nil {
			return err
		}
		inv.UsedBy, inv.UsedAt = u.ID, now
		return putJSON(invites, id, &inv)
	})
}
