package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"
)

func TestPasswordHashAndCheck(t *testing.T) {
	h, err := NewHasher(bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := h.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(hash, "correct horse") {
		t.Fatal("hash contains the password")
	}
	if err := h.Check(hash, "correct horse"); err != nil {
		t.Errorf("right password refused: %v", err)
	}
	for _, bad := range []string{"", "correct horsE", "correct horse "} {
		if err := h.Check(hash, bad); !errors.Is(err, ErrBadPassword) {
			t.Errorf("password %q accepted", bad)
		}
	}
	if err := h.Check("", "anything"); !errors.Is(err, ErrBadPassword) {
		t.Error("unknown user (empty hash) accepted")
	}
}

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// sign builds a token with arbitrary claims and method, as an attacker could.
func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyRefusesEveryBadToken(t *testing.T) {
	tokens, err := NewTokens(testSecret, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := tokens.Issue(7, 3)
	c, err := tokens.Verify(good)
	if err != nil || c.UserID != 7 || c.Version != 3 {
		t.Fatalf("good token: %+v %v", c, err)
	}

	now := time.Now()
	valid := func() jwt.MapClaims {
		return jwt.MapClaims{"sub": "7", "iss": Issuer, "aud": Audience,
			"iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}
	}
	with := func(k string, v any) jwt.MapClaims { m := valid(); m[k] = v; return m }
	without := func(k string) jwt.MapClaims { m := valid(); delete(m, k); return m }
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	none := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid())
	otherKey := sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-xx"), valid())

	cases := map[string]string{
		"empty":                   "",
		"garbage":                 "not.a.token",
		"tampered payload":        good[:strings.Index(good, ".")+1] + "eyJzdWIiOiIxIn0" + good[strings.LastIndex(good, "."):],
		"tampered signature":      good[:len(good)-2] + "xx",
		"other secret":            otherKey,
		"alg none":                none,
		"RS256 (HS/RS confusion)": sign(t, jwt.SigningMethodRS256, rsaKey, valid()),
		"HS512":                   sign(t, jwt.SigningMethodHS512, testSecret, valid()),
		"expired":                 sign(t, jwt.SigningMethodHS256, testSecret, with("exp", now.Add(-time.Hour).Unix())),
		"no expiry":               sign(t, jwt.SigningMethodHS256, testSecret, without("exp")),
		"not yet valid":           sign(t, jwt.SigningMethodHS256, testSecret, with("nbf", now.Add(time.Hour).Unix())),
		"issued in future":        sign(t, jwt.SigningMethodHS256, testSecret, with("iat", now.Add(time.Hour).Unix())),
		"wrong issuer":            sign(t, jwt.SigningMethodHS256, testSecret, with("iss", "someone-else")),
		"wrong audience":          sign(t, jwt.SigningMethodHS256, testSecret, with("aud", "other-api")),
		"no subject":              sign(t, jwt.SigningMethodHS256, testSecret, without("sub")),
		"non-numeric subject":     sign(t, jwt.SigningMethodHS256, testSecret, with("sub", "admin")),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := tokens.Verify(tok); !errors.Is(err, ErrInvalidToken) {
				t.Errorf("accepted: %v", err)
			}
		})
	}
}

func TestNewTokensRefusesShortSecret(t *testing.T) {
	if _, err := NewTokens([]byte("short"), 0); err == nil {
		t.Fatal("short secret accepted")
	}
}

func TestLoadSecretGeneratesOnceWithMode0600(t *testing.T) {
	dir := t.TempDir()
	first, err := LoadSecret(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 32 {
		t.Errorf("secret is %d bytes, want 32", len(first))
	}
	info, err := os.Stat(filepath.Join(dir, SecretFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode %v, want 0600", info.Mode().Perm())
	}
	again, _ := LoadSecret(dir, "")
	if string(again) != string(first) {
		t.Error("secret changed across restarts: earlier tokens would stop working")
	}
	other, _ := LoadSecret(t.TempDir(), "")
	if string(other) == string(first) {
		t.Error("two data directories got the same secret")
	}
	env := strings.Repeat("k", 40)
	if got, _ := LoadSecret(dir, env); string(got) != env {
		t.Error("DOCENT_SECRET_KEY not used")
	}
	if _, err := LoadSecret(dir, "short"); err == nil {
		t.Error("short DOCENT_SECRET_KEY accepted")
	}
	os.WriteFile(filepath.Join(dir, SecretFile), []byte("zz"), 0o600)
	if _, err := LoadSecret(dir, ""); err == nil {
		t.Error("damaged secret file accepted")
	}
}

// Only a token docent signed, for docent, and refused for its expiry alone
// is reported as expired; every other refusal stays generic.
func TestVerifyTellsExpiryApartOnlyForGenuineTokens(t *testing.T) {
	tokens, err := NewTokens(testSecret, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	expired := func(k string, v any) jwt.MapClaims {
		m := jwt.MapClaims{"sub": "7", "iss": Issuer, "aud": Audience,
			"iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()}
		if k != "" {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name    string
		token   string
		expired bool
	}{
		{"expired an hour ago", sign(t, jwt.SigningMethodHS256, testSecret, expired("", nil)), true},
		{"expired, another secret", sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-xx"), expired("", nil)), false},
		{"expired, wrong audience", sign(t, jwt.SigningMethodHS256, testSecret, expired("aud", "other-api")), false},
		{"expired, wrong issuer", sign(t, jwt.SigningMethodHS256, testSecret, expired("iss", "someone-else")), false},
		{"expired, alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, expired("", nil)), false},
		{"expired, HS512", sign(t, jwt.SigningMethodHS512, testSecret, expired("", nil)), false},
		{"expired, no subject", sign(t, jwt.SigningMethodHS256, testSecret, expired("sub", "")), false},
		{"expired, not valid before its expiry", sign(t, jwt.SigningMethodHS256, testSecret, expired("nbf", now.Unix())), false},
		{"garbage", "not.a.token", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := tokens.Verify(c.token)
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("accepted: %v", err)
			}
			if got := errors.Is(err, ErrExpiredToken); got != c.expired {
				t.Errorf("reported as expired: %v, want %v (%v)", got, c.expired, err)
			}
		})
	}
}

func TestValidateAccountReportsEveryProblem(t *testing.T) {
	cases := []struct {
		username, email, password string
		want                      []string
	}{
		{"ann", "ann@example.com", "long-enough", nil},
		{"ann", "nope", "short", []string{"email", "password"}},
		{"", "nope", "short", []string{"username", "email", "password"}},
		{"ann", "ann@example.com", strings.Repeat("é", 37), []string{"password"}}, // 74 bytes
		{"ann", "ann@example.com", strings.Repeat("é", 8), nil},                   // 8 characters, 16 bytes
	}
	for _, c := range cases {
		var got []string
		for _, fe := range ValidateAccount(c.username, c.email, c.password) {
			got = append(got, fe.Field)
			if fe.Field == "password" && fe.Message != PasswordRules {
				t.Errorf("password refusal %q does not state the rules", fe.Message)
			}
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("ValidateAccount(%q, %q, %q) = %v, want %v", c.username, c.email, c.password, got, c.want)
		}
	}
}

func TestNewAPIKey(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		key, prefix, hash, err := NewAPIKey()
		if err != nil {
			t.Fatal(err)
		}
		if !IsAPIKey(key) || len(key) != len(APIKeyPrefix)+43 {
			t.Fatalf("key %q: want dk_ and 43 characters", key)
		}
		for _, r := range key[len(APIKeyPrefix):] {
			if !('0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
				t.Fatalf("key %q holds %q, not a base-62 digit", key, r)
			}
		}
		if !strings.HasPrefix(key, prefix) || len(prefix) != len(APIKeyPrefix)+8 {
			t.Errorf("prefix %q of %q", prefix, key)
		}
		if hash != HashAPIKey(key) || strings.Contains(hash, key[len(prefix):]) || len(hash) != 64 {
			t.Errorf("hash %q of %q", hash, key)
		}
		if seen[key] || seen[prefix] {
			t.Fatalf("key or prefix repeated after %d keys", len(seen))
		}
		seen[key], seen[prefix] = true, true
	}
	if IsAPIKey("eyJhbGciOiJIUzI1NiJ9.e30.x") || HashAPIKey("dk_a") == HashAPIKey("dk_b") {
		t.Error("a token taken for a key, or two keys with one hash")
	}
}
