package api

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"docent/internal/auth"
)

func TestRegisterValidatesAndRefusesDuplicates(t *testing.T) {
	e := newTestEnv(t, Config{})
	good := map[string]string{"username": "ann", "email": "ann@example.com", "password": "long-enough"}
	r := e.do("POST", "/api/v1/auth/register", "", good)
	expect(t, "register", r, http.StatusCreated)
	var u map[string]any
	r.JSON(t, &u)
	for _, k := range []string{"id", "username", "email", "role", "is_active", "created_at"} {
		if _, ok := u[k]; !ok {
			t.Errorf("user lacks %q: %s", k, r.Body)
		}
	}
	if strings.Contains(string(r.Body), "password") || strings.Contains(string(r.Body), "$2a$") {
		t.Errorf("user body leaks the password hash: %s", r.Body)
	}
	if u["role"] != "admin" {
		t.Errorf("first user role %v, want admin", u["role"])
	}

	with := func(k, v string) map[string]string {
		m := map[string]string{"username": "bob", "email": "bob@example.com", "password": "long-enough"}
		m[k] = v
		return m
	}
	cases := []struct {
		name  string
		body  any
		want  int
		field string
	}{
		{"short username", with("username", "ab"), 422, "username"},
		{"long username", with("username", strings.Repeat("a", 51)), 422, "username"},
		{"username with space", with("username", "bo b"), 422, "username"},
		{"empty username", with("username", ""), 422, "username"},
		{"bad email", with("email", "not-an-email"), 422, "email"},
		{"email without domain dot", with("email", "bob@localhost"), 422, "email"},
		{"email with display name", with("email", "Bob <bob@example.com>"), 422, "email"},
		{"short password", with("password", "1234567"), 422, "password"},
		{"unknown field", map[string]any{"username": "bob", "email": "bob@example.com", "password": "long-enough", "admin": true}, 422, "admin"},
		{"wrong type", map[string]any{"username": 7, "email": "bob@example.com", "password": "long-enough"}, 422, "username"},
		{"duplicate username, other case", with("username", "ANN"), 409, "username"},
		{"duplicate email", with("email", "ann@example.com"), 409, "email"},
		{"broken JSON", `{"username":`, 400, ""},
		{"not an object", `[1,2]`, 422, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do("POST", "/api/v1/auth/register", "", c.body)
			expect(t, c.name, r, c.want)
			if r.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("content type %q", r.Header.Get("Content-Type"))
			}
			if !strings.Contains(r.Detail(), c.field) {
				t.Errorf("detail %q does not name %q", r.Detail(), c.field)
			}
		})
	}
	second := e.do("POST", "/api/v1/auth/register", "", with("username", "bob"))
	expect(t, "second user", second, http.StatusCreated)
	if !strings.Contains(string(second.Body), `"role":"user"`) {
		t.Errorf("second user is not a plain user: %s", second.Body)
	}
}

func TestTokenAcceptsFormAndJSONByUsernameOrEmail(t *testing.T) {
	e := newTestEnv(t, Config{})
	e.register("ann")
	form := func(user, pw string) *http.Request {
		req, _ := http.NewRequest("POST", e.http.URL+"/api/v1/auth/token",
			strings.NewReader(url.Values{"username": {user}, "password": {pw}, "grant_type": {"password"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req
	}
	cases := []struct {
		name string
		send func() response
		want int
	}{
		{"form by username", func() response { return e.send(form("ann", "password-ann")) }, 200},
		{"form by email", func() response { return e.send(form("ann@example.com", "password-ann")) }, 200},
		{"json by username", func() response {
			return e.do("POST", "/api/v1/auth/token", "", map[string]string{"username": "ann", "password": "password-ann"})
		}, 200},
		{"json by email, other case", func() response {
			return e.do("POST", "/api/v1/auth/token", "", map[string]string{"username": "ANN@example.com", "password": "password-ann"})
		}, 200},
		{"wrong password", func() response { return e.send(form("ann", "password-bob")) }, 401},
		{"unknown user", func() response { return e.send(form("nobody", "password-ann")) }, 401},
		{"missing password", func() response { return e.send(form("ann", "")) }, 422},
	}
	var unknownDetail, wrongDetail string
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.send()
			expect(t, c.name, r, c.want)
			if c.want == 200 {
				var tok map[string]any
				r.JSON(t, &tok)
				if tok["token_type"] != "bearer" || tok["access_token"] == "" || tok["expires_in"] != float64(60) {
					t.Errorf("token response %s", r.Body)
				}
			}
			switch c.name {
			case "wrong password":
				wrongDetail = r.Detail()
			case "unknown user":
				unknownDetail = r.Detail()
			}
		})
	}
	if wrongDetail != unknownDetail {
		t.Errorf("unknown user and wrong password answer differently (%q vs %q): enumeration", unknownDetail, wrongDetail)
	}
}

func TestBadTokensAre401(t *testing.T) {
	e := newTestEnv(t, Config{})
	ann := e.register("ann")
	now := time.Now()
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"sub": sprintf("%d", ann.ID), "iss": auth.Issuer, "aud": auth.Audience,
			"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "ver": 0}
		if mod != nil {
			mod(c)
		}
		return c
	}
	sign := func(m jwt.SigningMethod, key any, c jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	if r := e.do("GET", "/api/v1/auth/me", sign(jwt.SigningMethodHS256, testSecret, claims(nil)), nil); r.Status != 200 {
		t.Fatalf("control token refused: %d", r.Status)
	}
	cases := map[string]string{
		"no token":        "",
		"garbage":         "abc.def.ghi",
		"wrong signature": sign(jwt.SigningMethodHS256, []byte("some-other-secret-some-other-secret"), claims(nil)),
		"expired":         sign(jwt.SigningMethodHS256, testSecret, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() })),
		"alg none":        sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil)),
		"RS256":           sign(jwt.SigningMethodRS256, rsaKey, claims(nil)),
		"wrong audience":  sign(jwt.SigningMethodHS256, testSecret, claims(func(c jwt.MapClaims) { c["aud"] = "elsewhere" })),
		"wrong issuer":    sign(jwt.SigningMethodHS256, testSecret, claims(func(c jwt.MapClaims) { c["iss"] = "elsewhere" })),
		"unknown user":    sign(jwt.SigningMethodHS256, testSecret, claims(func(c jwt.MapClaims) { c["sub"] = "999" })),
		"old version":     sign(jwt.SigningMethodHS256, testSecret, claims(func(c jwt.MapClaims) { c["ver"] = 5 })),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			r := e.do("GET", "/api/v1/auth/me", tok, nil)
			expect(t, name, r, http.StatusUnauthorized)
			if r.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

func TestDeactivationAndPasswordChangeRevokeTokens(t *testing.T) {
	e := newTestEnv(t, Config{})
	admin := e.register("admin")
	bob := e.register("bob")

	r := e.do("PATCH", "/api/v1/users/me", bob.Token, map[string]string{"password": "brand-new-password", "current_password": "password-bob"})
	expect(t, "change password", r, 200)
	expect(t, "old token after password change", e.do("GET", "/api/v1/auth/me", bob.Token, nil), 401)
	bob.Token = e.login("bob", "brand-new-password")
	expect(t, "new token", e.do("GET", "/api/v1/auth/me", bob.Token, nil), 200)
	expect(t, "old password", e.do("POST", "/api/v1/auth/token", "", map[string]string{"username": "bob", "password": "password-bob"}), 401)

	r = e.do("PATCH", sprintf("/api/v1/users/%d", bob.ID), admin.Token, map[string]any{"is_active": false})
	expect(t, "deactivate", r, 200)
	expect(t, "token of deactivated user", e.do("GET", "/api/v1/auth/me", bob.Token, nil), 401)
	expect(t, "login of deactivated user", e.do("POST", "/api/v1/auth/token", "", map[string]string{"username": "bob", "password": "brand-new-password"}), 401)

	expect(t, "reactivate", e.do("PATCH", sprintf("/api/v1/users/%d", bob.ID), admin.Token, map[string]any{"is_active": true}), 200)
	e.login("bob", "brand-new-password")
}

func TestLoginIsThrottledPerIPAndAccount(t *testing.T) {
	e := newTestEnv(t, Config{LoginRate: 12})
	e.register("ann")
	bad := map[string]string{"username": "ann", "password": "wrong-password"}
	var last response
	for i := 0; i < 7; i++ {
		last = e.do("POST", "/api/v1/auth/token", "", bad)
	}
	expect(t, "7th attempt on one account", last, http.StatusTooManyRequests)
	if last.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	for i := 0; i < 6; i++ {
		last = e.do("POST", "/api/v1/auth/token", "", map[string]string{"username": sprintf("user%d", i), "password": "x"})
	}
	expect(t, "13th attempt from one IP", last, http.StatusTooManyRequests)
}
