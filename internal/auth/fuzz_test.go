package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fuzzNow is the fixed clock of FuzzVerify, so its seed tokens never expire.
var fuzzNow = time.Unix(1_760_000_000, 0)

// fuzzIssued are the tokens FuzzVerify's authority issues, with the
// claims each was issued for.
func fuzzTokens(tb testing.TB) (*Tokens, map[string]Claims) {
	tokens, err := NewTokens(testSecret, time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	tokens.now = func() time.Time { return fuzzNow }
	issued := map[string]Claims{}
	for _, c := range []Claims{{UserID: 1}, {UserID: 7, Version: 3}, {UserID: 1<<64 - 1, Version: 1<<64 - 1}} {
		tok, err := tokens.Issue(c.UserID, c.Version)
		if err != nil {
			tb.Fatal(err)
		}
		c.Expires = fuzzNow.Add(time.Hour).Truncate(time.Second)
		issued[tok] = c
	}
	return tokens, issued
}

// FuzzVerify: Verify never panics, refuses with ErrInvalidToken, and
// accepts only tokens exactly as Issue writes them with the secret; any
// mutation of one (a flipped bit, another spelling of the same bytes, a
// changed claim) is refused. testdata/fuzz/FuzzVerify/signature-reencoded
// is such a mutation: the last character of an issued token's signature
// changed within its two unused bits.
//
//	go test ./internal/auth -run '^$' -fuzz '^FuzzVerify$' -fuzztime 60s
func FuzzVerify(f *testing.F) {
	tokens, issued := fuzzTokens(f)
	for tok := range issued {
		f.Add(tok)
		parts := strings.Split(tok, ".")
		f.Add(parts[0] + "." + parts[1] + ".")
		f.Add(parts[0] + "." + parts[1] + "." + parts[2] + "=")
		f.Add(tok + "." + parts[2])
	}
	claims := jwt.MapClaims{"sub": "1", "iss": Issuer, "aud": Audience, "iat": fuzzNow.Unix(), "exp": fuzzNow.Add(time.Hour).Unix(), "ver": 0}
	for _, s := range []struct {
		m   jwt.SigningMethod
		key any
	}{
		{jwt.SigningMethodHS256, []byte("another-secret-another-secret-xx")},
		{jwt.SigningMethodHS384, testSecret},
		{jwt.SigningMethodHS512, testSecret},
		{jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType},
	} {
		tok, err := jwt.NewWithClaims(s.m, claims).SignedString(s.key)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
	}
	f.Add("")
	f.Add("..")
	f.Add("eyJhbGciOiJIUzI1NiJ9.e30.")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := tokens.Verify(tok)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("refusal does not wrap ErrInvalidToken: %v", err)
			}
			if c != (Claims{}) {
				t.Fatalf("refused token still returned claims %+v", c)
			}
			return
		}
		if why := notSignedByUs(tok); why != "" {
			t.Fatalf("accepted a token Issue did not produce (%s): %q → %+v", why, tok, c)
		}
		if want, ok := issued[tok]; ok && (c.UserID != want.UserID || c.Version != want.Version || !c.Expires.Equal(want.Expires)) {
			t.Fatalf("claims %+v, issued %+v", c, want)
		}
	})
}

// notSignedByUs says why tok is not exactly what Issue writes with the
// test secret: three segments in canonical unpadded base64url (one
// spelling per byte string), an HS256 header, and an HMAC-SHA256 of the
// first two segments under the secret. It returns "" for such a token.
func notSignedByUs(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "not three segments"
	}
	raw := make([][]byte, 3)
	for i, p := range parts {
		b, err := base64.RawURLEncoding.Strict().DecodeString(p)
		if err != nil || base64.RawURLEncoding.EncodeToString(b) != p {
			return sprintf("segment %d is not canonical base64url", i+1)
		}
		raw[i] = b
	}
	var head struct{ Alg string }
	if json.Unmarshal(raw[0], &head) != nil || head.Alg != "HS256" {
		return "header is not HS256"
	}
	mac := hmac.New(sha256.New, testSecret)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal(mac.Sum(nil), raw[2]) {
		return "signature is not the secret's HMAC"
	}
	return ""
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
