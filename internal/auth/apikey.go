package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
)

// APIKeyPrefix starts every API key docent issues, so a key is told from
// an access token (and found by secret scanners) at a glance.
const APIKeyPrefix = "dk_"

// apiKeyDigits is the length of a key's random part: 256 bits in base 62.
const apiKeyDigits = 43

// apiKeyShown is how many characters of a key (after APIKeyPrefix) its
// listed prefix shows: enough to tell one's keys apart, far too few to
// guess the rest.
const apiKeyShown = 8

// NewAPIKey returns a fresh API key (APIKeyPrefix and 43 base-62
// characters of 256 random bits), the prefix that identifies it in
// lists, and the hash under which it is stored. The key itself is shown
// to its owner once and kept nowhere.
func NewAPIKey() (key, prefix, hash string, err error) {
	key, err = randomCode(APIKeyPrefix, 32, apiKeyDigits)
	if err != nil {
		return "", "", "", fmt.Errorf("generate API key: %w", err)
	}
	return key, key[:len(APIKeyPrefix)+apiKeyShown], HashAPIKey(key), nil
}

// InvitePrefix starts every invite code.
const InvitePrefix = "inv_"

// NewInviteCode returns a fresh single-use invite code (InvitePrefix and
// 22 base-62 characters of 128 random bits) and the hash under which it
// is stored; the code itself is shown to the admin once.
func NewInviteCode() (code, hash string, err error) {
	code, err = randomCode(InvitePrefix, 16, 22)
	if err != nil {
		return "", "", fmt.Errorf("generate invite code: %w", err)
	}
	return code, HashAPIKey(code), nil
}

// randomCode is prefix and n random bytes written as digits base-62
// characters, zero-padded.
func randomCode(prefix string, n, digits int) (string, error) {
	raw := make([]byte, n)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	s := new(big.Int).SetBytes(raw).Text(62)
	return prefix + strings.Repeat("0", digits-len(s)) + s, nil
}

// HashAPIKey returns the hex SHA-256 of key, under which it is stored and
// looked up. A key carries 256 random bits, so a fast hash is enough: no
// dictionary can reach it.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// IsAPIKey reports whether a bearer credential is meant as an API key.
func IsAPIKey(credential string) bool { return strings.HasPrefix(credential, APIKeyPrefix) }
