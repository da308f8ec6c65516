package auth

import (
	"crypto/rand"
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// ErrBadPassword means a password does not match its hash.
var ErrBadPassword = errors.New("wrong password")

// Hasher hashes and checks passwords with bcrypt.
type Hasher struct {
	cost  int
	decoy []byte // hash of random bytes, compared against for unknown users
}

// NewHasher returns a Hasher using bcrypt cost (0 means bcrypt.DefaultCost;
// tests pass bcrypt.MinCost).
func NewHasher(cost int) (*Hasher, error) {
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h := &Hasher{cost: cost}
	decoy, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), cost)
	if err != nil {
		return nil, fmt.Errorf("prepare password hasher: %w", err)
	}
	h.decoy = decoy
	return h, nil
}

// Hash returns the bcrypt hash of password. bcrypt reads at most 72 bytes;
// callers limit password length before calling.
func (h *Hasher) Hash(password string) (string, error) {
	b, err := bcrypt.GenerateFromPassword([]byte(password), h.cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(b), nil
}

// Check reports whether password matches hash, returning ErrBadPassword if
// not. An empty hash (no such user) still costs one full bcrypt comparison,
// so the answer time does not reveal which accounts exist.
func (h *Hasher) Check(hash, password string) error {
	if hash == "" {
		bcrypt.CompareHashAndPassword(h.decoy, []byte(password))
		return ErrBadPassword
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return ErrBadPassword
	}
	return nil
}
