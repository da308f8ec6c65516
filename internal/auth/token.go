package auth

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token claims fixed for docent.
const (
	Issuer   = "docent"
	Audience = "docent-api"
)

// ErrInvalidToken means a token is malformed, forged, expired or not meant
// for docent. The detail stays in logs, never in responses.
var ErrInvalidToken = errors.New("invalid or expired token")

// ErrExpiredToken means a token docent issued is past its expiry and
// nothing else is wrong with it. It wraps ErrInvalidToken.
var ErrExpiredToken = fmt.Errorf("%w: expired", ErrInvalidToken)

// Claims are what a verified token says.
type Claims struct {
	UserID  uint64
	Version uint64 // the user's token version when issued
	Expires time.Time
}

// Tokens issues and verifies access tokens.
type Tokens struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time
}

// NewTokens returns a token authority signing with secret (at least 32
// bytes) and issuing tokens valid for ttl (0 means 30 minutes).
func NewTokens(secret []byte, ttl time.Duration) (*Tokens, error) {
	if len(secret) < 32 {
		return nil, fmt.Errorf("token secret must be at least 32 bytes, got %d", len(secret))
	}
	if ttl <= 0 {
		ttl = 30 * time.Minute
	}
	return &Tokens{secret: secret, ttl: ttl, now: time.Now}, nil
}

// TTL is the lifetime of issued tokens.
func (t *Tokens) TTL() time.Duration { return t.ttl }

type jwtClaims struct {
	Version uint64 `json:"ver"`
	jwt.RegisteredClaims
}

// Issue returns a signed token for userID at token version.
func (t *Tokens) Issue(userID, version uint64) (string, error) {
	now := t.now()
	c := jwtClaims{
		Version: version,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   strconv.FormatUint(userID, 10),
			Issuer:    Issuer,
			Audience:  jwt.ClaimStrings{Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(t.ttl)),
		},
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.secret)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return s, nil
}

// Verify checks a token's signature (HS256 only), issuer, audience, expiry
// (required) and not-before, and returns its claims. Every failure wraps
// ErrInvalidToken; a token that fails only because it expired wraps
// ErrExpiredToken too.
func (t *Tokens) Verify(token string) (Claims, error) {
	// Go's base64 decoders skip \r and \n even in strict mode, so a token
	// with line breaks inside a segment would verify as the one without:
	// only the characters of three base64url segments and their dots pass.
	if i := strings.IndexFunc(token, notTokenChar); i >= 0 {
		return Claims{}, fmt.Errorf("%w: character %q is not part of a token", ErrInvalidToken, token[i])
	}
	var c jwtClaims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(t.now),
		jwt.WithLeeway(5*time.Second),
		jwt.WithStrictDecoding(), // one spelling per token: no re-encoded signatures
	)
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) && c.ExpiresAt != nil && t.validAt(token, c.ExpiresAt.Time) {
			return Claims{}, fmt.Errorf("%w at %s", ErrExpiredToken, c.ExpiresAt.Time.UTC().Format(time.RFC3339))
		}
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	id, err := strconv.ParseUint(c.Subject, 10, 64)
	if err != nil || id == 0 {
		return Claims{}, fmt.Errorf("%w: bad subject", ErrInvalidToken)
	}
	return Claims{UserID: id, Version: c.Version, Expires: c.ExpiresAt.Time}, nil
}

// validAt reports whether token passes every check at the second before
// expires: a refusal for expiry alone, not for a forged or foreign token.
func (t *Tokens) validAt(token string, expires time.Time) bool {
	at := *t
	at.now = func() time.Time { return expires.Add(-time.Second) }
	_, err := at.Verify(token)
	return err == nil
}

// notTokenChar reports whether r is outside the alphabet of a compact JWS
// token: base64url without padding, and the dots between segments.
func notTokenChar(r rune) bool {
	switch {
	case 'A' <= r && r <= 'Z', 'a' <= r && r <= 'z', '0' <= r && r <= '9', r == '-', r == '_', r == '.':
		return false
	}
	return true
}
