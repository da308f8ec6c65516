package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Role is a user's authority.
type Role string

// Roles.
const (
	RoleUser  Role = "user"
	RoleAdmin Role = "admin"
)

// User is an account. PasswordHash is never shown outside the process.
type User struct {
	ID           uint64 `json:"id"`
	Username     string `json:"username"`
	Email        string `json:"email"`
	PasswordHash string `json:"password_hash"`
	Role         Role   `json:"role"`
	Active       bool   `json:"is_active"`
	// Pending marks an account registered while registration needs an
	// admin's approval: inactive until an admin activates it.
	Pending bool `json:"pending,omitempty"`
	// Quota is an admin's change to the server's default quota for this
	// user (nil: the defaults).
	Quota *QuotaOverride `json:"quota,omitempty"`
	// TokenVersion is the generation of the user's credentials. Every
	// credential docent issues records it (access tokens in their "ver"
	// claim; API keys are to record it the same way) and is refused once it
	// differs: RevokeCredentials bumps it.
	TokenVersion uint64    `json:"token_version"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// IsAdmin reports whether u may act on everyone's data.
func (u *User) IsAdmin() bool { return u.Role == RoleAdmin }

// RevokeCredentials invalidates every token (and key) issued to u so far:
// called when the password changes and when the account is deactivated.
func (u *User) RevokeCredentials() { u.TokenVersion++ }

// SetPassword replaces u's password hash and revokes every earlier
// credential.
func (u *User) SetPassword(hash string) {
	u.PasswordHash = hash
	u.RevokeCredentials()
}

// SetActive activates or deactivates u; deactivating revokes every
// credential, and reactivating does not bring them back. Activating
// approves an account that was pending.
func (u *User) SetActive(active bool) {
	if active {
		u.Pending = false
	}
	if u.Active != active {
		u.Active = active
		u.RevokeCredentials()
	}
}

// fold is the case-insensitive form under which usernames and emails are unique.
func fold(s string) []byte { return []byte(strings.ToLower(strings.TrimSpace(s))) }

// CreateUser stores a new user, assigning its ID and timestamps. The very
// first user becomes an active admin whatever Role, Active and Pending
// say. A username or email already in use (ignoring case) gives an error
// wrapping ErrConflict that names the field.
func (db *DB) CreateUser(ctx context.Context, u *User) error {
	return db.update(ctx, func(tx *bolt.Tx) error { return createUser(tx, u, db.now()) })
}

// CreateFirstUser stores u as CreateUser does if no account exists yet
// (it becomes the admin), and fails with ErrForbidden otherwise.
func (db *DB) CreateFirstUser(ctx context.Context, u *User) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		if firstKey(tx.Bucket(bucketUsers)) != nil {
			return fmt.Errorf("not the first account: %w", ErrForbidden)
		}
		return createUser(tx, u, db.now())
	})
}

func createUser(tx *bolt.Tx, u *User, now time.Time) error {
	users := tx.Bucket(bucketUsers)
	if err := claimUnique(tx, u, nil); err != nil {
		return err
	}
	if firstKey(users) == nil {
		u.Role, u.Active, u.Pending = RoleAdmin, true, false
	}
	if u.Role == "" {
		u.Role = RoleUser
	}
	id, err := users.NextSequence()
	if err != nil {
		return err
	}
	u.ID = id
	u.CreatedAt = now
	u.UpdatedAt = u.CreatedAt
	if err := putClaims(tx, u); err != nil {
		return err
	}
	return putJSON(users, itob(id), u)
}

// firstKey returns the first key of b, or nil when b is empty.
func firstKey(b *bolt.Bucket) []byte {
	k, _ := b.Cursor().First()
	return k
}

// claimUnique reserves u's username and email in the indexes, failing with
// ErrConflict if another user holds them. old is u's previous state on update.
func claimUnique(tx *bolt.Tx, u *User, old *User) error {
	claims := []struct {
		bucket   []byte
		field    string
		val, was string
	}{
		{bucketUsersByName, "username", u.Username, ""},
		{bucketUsersByEmail, "email", u.Email, ""},
	}
	if old != nil {
		claims[0].was, claims[1].was = old.Username, old.Email
	}
	for _, c := range claims {
		b := tx.Bucket(c.bucket)
		key := fold(c.val)
		if owner := b.Get(key); owner != nil && btoi(owner) != u.ID {
			return fmt.Errorf("%s is already taken: %w", c.field, ErrConflict)
		}
		if old != nil && string(fold(c.was)) != string(key) {
			if err := b.Delete(fold(c.was)); err != nil {
				return err
			}
		}
	}
	return nil
}

// putClaims points the username and email indexes at u.
func putClaims(tx *bolt.Tx, u *User) error {
	if err := tx.Bucket(bucketUsersByName).Put(fold(u.Username), itob(u.ID)); err != nil {
		return err
	}
	return tx.Bucket(bucketUsersByEmail).Put(fold(u.Email), itob(u.ID))
}

// UserByID returns the user with id.
func (db *DB) UserByID(ctx context.Context, id uint64) (User, error) {
	var u User
	err := db.view(ctx, func(tx *bolt.Tx) error {
		return getJSON(tx.Bucket(bucketUsers), itob(id), &u)
	})
	if err != nil {
		return User{}, fmt.Errorf("user %d: %w", id, err)
	}
	return u, nil
}

// UserByLogin returns the user whose username or email equals login,
// ignoring case.
func (db *DB) UserByLogin(ctx context.Context, login string) (User, error) {
	var u User
	err := db.view(ctx, func(tx *bolt.Tx) error {
		key := fold(login)
		id := tx.Bucket(bucketUsersByName).Get(key)
		if id == nil {
			id = tx.Bucket(bucketUsersByEmail).Get(key)
		}
		if id == nil {
			return ErrNotFound
		}
		return getJSON(tx.Bucket(bucketUsers), id, &u)
	})
	if err != nil {
		return User{}, fmt.Errorf("user: %w", err)
	}
	return u, nil
}

// Users lists users in id order, applying skip and limit.
func (db *DB) Users(ctx context.Context, skip, limit int) ([]User, error) {
	var out []User
	err := db.view(ctx, func(tx *bolt.Tx) error {
		var all []User
		err := tx.Bucket(bucketUsers).ForEach(func(_, v []byte) error {
			var u User
			if err := decodeJSON(v, &u); err != nil {
				return err
			}
			all = append(all, u)
			return nil
		})
		sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
		lo, hi := page(len(all), skip, limit)
		out = all[lo:hi]
		return err
	})
	return out, err
}

// CountUsers returns the number of accounts.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := db.view(ctx, func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketUsers).Stats().KeyN
		return nil
	})
	return n, err
}

// UpdateUser applies fn to the stored user and saves the result in one
// transaction. Changing the username or email to one another user holds
// fails with ErrConflict, and demoting or deactivating the last active
// admin with ErrLastAdmin; either changes nothing.
func (db *DB) UpdateUser(ctx context.Context, id uint64, fn func(*User) error) (User, error) {
	var u User
	err := db.update(ctx, func(tx *bolt.Tx) error {
		users := tx.Bucket(bucketUsers)
		if err := getJSON(users, itob(id), &u); err != nil {
			return err
		}
		old := u
		if err := fn(&u); err != nil {
			return err
		}
		u.ID, u.CreatedAt, u.UpdatedAt = old.ID, old.CreatedAt, db.now()
		if activeAdmin(&old) && !activeAdmin(&u) {
			if err := keepAnAdmin(tx, id); err != nil {
				return err
			}
		}
		if err := claimUnique(tx, &u, &old); err != nil {
			return err
		}
		if err := putClaims(tx, &u); err != nil {
			return err
		}
		return putJSON(users, itob(id), &u)
	})
	if err != nil {
		return User{}, fmt.Errorf("update user %d: %w", id, err)
	}
	return u, nil
}

// DeleteUser removes the user, their conversations with all messages,
// their private documents with chunks and vectors, their API keys and
// workspaces (and their memberships of others'), in one transaction; the
// last active admin is refused with ErrLastAdmin. It
// returns the ids of the deleted documents so the caller can drop them from
// in-memory indexes.
func (db *DB) DeleteUser(ctx context.Context, id uint64) (docs []uint64, err error) {
	err = db.update(ctx, func(tx *bolt.Tx) error {
		users := tx.Bucket(bucketUsers)
		var u User
		if err := getJSON(users, itob(id), &u); err != nil {
			return err
		}
		if activeAdmin(&u) {
			if err := keepAnAdmin(tx, id); err != nil {
				return err
			}
		}
		if err := deleteUserConversations(tx, id); err != nil {
			return err
		}
		if docs, err = deleteOwnedDocuments(tx, id); err != nil {
			return err
		}
		if err := deleteUserKeys(tx, id); err != nil {
			return err
		}
		if err := deleteUserWorkspaces(tx, id); err != nil {
			return err
		}
		if err := tx.Bucket(bucketUsersByName).Delete(fold(u.Username)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketUsersByEmail).Delete(fold(u.Email)); err != nil {
			return err
		}
		return users.Delete(itob(id))
	})
	if err != nil {
		return nil, fmt.Errorf("delete user %d: %w", id, err)
	}
	return docs, nil
}

// activeAdmin reports whether u counts towards keeping an admin.
func activeAdmin(u *User) bool { return u.IsAdmin() && u.Active }

// keepAnAdmin fails with ErrLastAdmin unless an active admin other than
// user id exists. It runs inside the transaction that would remove id's
// rights, so two admins demoting each other at once cannot both succeed.
func keepAnAdmin(tx *bolt.Tx, id uint64) error {
	c := tx.Bucket(bucketUsers).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if btoi(k) == id {
			continue
		}
		var u User
		if err := decodeJSON(v, &u); err != nil {
			return err
		}
		if activeAdmin(&u) {
			return nil
		}
	}
	return ErrLastAdmin
}

// GuessState is what docent remembers of failed password checks: of one
// account from one client address (a pair), or of one account from every
// address. The policy that reads it is the API's; a store shared by
// several processes keeps it so that every replica applies it alike.
type GuessState struct {
	Failures int
	Free     int       // failures a pair may have before its first wait
	Last     time.Time // the last failure
	Until    time.Time // a pair's next password is not checked before this
}
