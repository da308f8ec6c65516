package api

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket/wsjson"
	"github.com/golang-jwt/jwt/v5"

	"docent/internal/auth"
)

// Tokens at the API level, on every authenticated route. auth_test.go
// checks a first set on /auth/me; these add the remaining forgeries and
// revocations and run each one against every route that needs a token.

// forge signs claims as an attacker could.
func forge(t *testing.T, m jwt.SigningMethod, key any, claims jwt.MapClaims, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func b64(v any) string {
	raw, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func TestBadAndRevokedTokensAre401OnEveryRoute(t *testing.T) {
	e := newTestEnv(t, Config{})
	admin := e.register("admin")
	carl := e.register("carl")
	now := time.Now()
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"sub": strconv.FormatUint(carl.ID, 10), "iss": auth.Issuer, "aud": auth.Audience,
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Minute).Unix(), "ver": 0}
		if mod != nil {
			mod(c)
		}
		return c
	}
	hs := func(mod func(jwt.MapClaims)) string {
		return forge(t, jwt.SigningMethodHS256, testSecret, claims(mod), nil)
	}
	expect(t, "control: carl's forged-but-correct token", e.do("GET", "/api/v1/auth/me", hs(nil), nil), 200)

	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	pubDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	head, payload, sig := func() (string, string, string) {
		p := strings.Split(carl.Token, ".")
		return p[0], p[1], p[2]
	}()
	var swapped map[string]any
	raw, _ := base64.RawURLEncoding.DecodeString(payload)
	json.Unmarshal(raw, &swapped)
	swapped["sub"] = strconv.FormatUint(admin.ID, 10)
	flipped := []byte(sig)
	flipped[len(flipped)/2] ^= 0x01
	rsHeaderHMAC := func() string {
		h := b64(map[string]string{"alg": "RS256", "typ": "JWT"})
		p := b64(claims(nil))
		s, _ := jwt.SigningMethodHS256.Sign(h+"."+p, testSecret)
		return h + "." + p + "." + base64.RawURLEncoding.EncodeToString(s)
	}()

	bad := map[string]string{
		"payload swapped to the admin, signature kept": head + "." + b64(swapped) + "." + sig,
		"signature bit flipped":                        head + "." + payload + "." + string(flipped),
		"signature stripped":                           head + "." + payload + ".",
		"no signature segment":                         head + "." + payload,
		"not yet valid (nbf in an hour)":               hs(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() }),
		"issued in an hour":                            hs(func(c jwt.MapClaims) { c["iat"] = now.Add(time.Hour).Unix() }),
		"expired a minute ago": hs(func(c jwt.MapClaims) {
			c["iat"], c["nbf"], c["exp"] = now.Add(-time.Hour).Unix(), now.Add(-time.Hour).Unix(), now.Add(-time.Minute).Unix()
		}),
		"no expiry":                           hs(func(c jwt.MapClaims) { delete(c, "exp") }),
		"wrong issuer":                        hs(func(c jwt.MapClaims) { c["iss"] = "docent-evil" }),
		"wrong audience":                      hs(func(c jwt.MapClaims) { c["aud"] = []string{"other-api"} }),
		"subject 0":                           hs(func(c jwt.MapClaims) { c["sub"] = "0" }),
		"subject not a number":                hs(func(c jwt.MapClaims) { c["sub"] = "carl" }),
		"subject a JSON number":               hs(func(c jwt.MapClaims) { c["sub"] = carl.ID }),
		"subject with a sign":                 hs(func(c jwt.MapClaims) { c["sub"] = "+" + strconv.FormatUint(carl.ID, 10) }),
		"version a string":                    hs(func(c jwt.MapClaims) { c["ver"] = "0" }),
		"alg none":                            forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil), nil),
		"HS512 with the right secret":         forge(t, jwt.SigningMethodHS512, testSecret, claims(nil), nil),
		"HS384 with the right secret":         forge(t, jwt.SigningMethodHS384, testSecret, claims(nil), nil),
		"HS256 keyed with the RSA public key": forge(t, jwt.SigningMethodHS256, pubPEM, claims(nil), nil),
		"RS256 with a real RSA key":           forge(t, jwt.SigningMethodRS256, rsaKey, claims(nil), nil),
		"RS256 header over an HMAC signature": rsHeaderHMAC,
		"kid and jku pointing elsewhere":      forge(t, jwt.SigningMethodHS256, []byte("attacker-key-attacker-key-attacker"), claims(nil), map[string]any{"kid": "../../../dev/null", "jku": "https://evil.example/jwks"}),
		"the secret with a byte less":         forge(t, jwt.SigningMethodHS256, testSecret[:len(testSecret)-1], claims(nil), nil),
		"whitespace only":                     "   ",
	}

	// Revoked tokens of real users.
	dave := e.register("dave")
	expect(t, "delete dave", e.do("DELETE", sprintf("/api/v1/users/%d", dave.ID), admin.Token, nil), 204)
	bad["deleted user"] = dave.Token
	george := e.register("george") // registered after dave's deletion
	if george.ID == dave.ID {
		t.Errorf("a new user got deleted dave's id %d", dave.ID)
	}
	erin := e.register("erin")
	expect(t, "deactivate erin", e.do("PATCH", sprintf("/api/v1/users/%d", erin.ID), admin.Token, map[string]any{"is_active": false}), 200)
	bad["deactivated user"] = erin.Token
	fay := e.register("fay")
	fayOther := e.login("fay", "password-fay")
	expect(t, "reactivation round", e.do("PATCH", sprintf("/api/v1/users/%d", fay.ID), admin.Token, map[string]any{"is_active": false}), 200)
	expect(t, "reactivation round", e.do("PATCH", sprintf("/api/v1/users/%d", fay.ID), admin.Token, map[string]any{"is_active": true}), 200)
	bad["deactivated then reactivated user's old token"] = fay.Token
	hal := e.register("hal")
	halSecond := e.login("hal", "password-hal")
	expect(t, "hal changes password", e.do("PATCH", "/api/v1/users/me", hal.Token, map[string]string{"password": "a-new-password-for-hal", "current_password": "password-hal"}), 200)
	bad["token used to change the password"] = hal.Token
	bad["other session's token after a password change"] = halSecond

	// API keys: revoked, of a deactivated user, of a changed password, made up.
	ivy := e.register("ivy")
	var revoked newKeyJSON
	e.do("POST", "/api/v1/keys", ivy.Token, map[string]string{"name": "revoked", "scope": "write"}).JSON(t, &revoked)
	expect(t, "revoke ivy's key", e.do("DELETE", sprintf("/api/v1/keys/%d", revoked.ID), ivy.Token, nil), 204)
	bad["revoked API key"] = revoked.Key
	jim := e.register("jim")
	bad["deactivated user's API key"] = e.newKey(jim.Token, "jim's", "write")
	expect(t, "deactivate jim", e.do("PATCH", sprintf("/api/v1/users/%d", jim.ID), admin.Token, map[string]any{"is_active": false}), 200)
	kim := e.register("kim")
	bad["API key from before a password change"] = e.newKey(kim.Token, "kim's", "write")
	expect(t, "kim changes password", e.do("PATCH", "/api/v1/users/me", kim.Token, map[string]string{"password": "a-new-password-for-kim", "current_password": "password-kim"}), 200)
	bad["made-up API key"] = "dk_" + strings.Repeat("A", 43)
	bad["API key prefix only"] = revoked.Prefix

	routes := routeKeys(t, e)
	n := 0
	for _, key := range routes {
		rule := authzRules[key]
		if rule.access == authzPublic {
			continue
		}
		method, pattern, _ := strings.Cut(key, " ")
		path := strings.ReplaceAll(pattern, "{id}", "1")
		for name, tok := range bad {
			n++
			req, _ := http.NewRequest(method, e.http.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			r := e.send(req)
			if r.Status != http.StatusUnauthorized {
				t.Errorf("%s with %s: %d, want 401: %s", key, name, r.Status, r.Body)
			}
			// Only a genuine token refused for its age alone says so.
			if said, expired := strings.Contains(r.Detail(), "expired"), name == "expired a minute ago"; said != expired {
				t.Errorf("%s with %s: detail %q (saying it expired: %v, want %v)", key, name, r.Detail(), said, expired)
			}
		}
		// A token anywhere but the Authorization header is no token, except
		// on the WebSocket (which API.md lets take it from ?token=).
		if rule.access != authzSocket {
			for name, req := range map[string]*http.Request{
				"token in ?token=":       mustRequest(method, e.http.URL+path+"?token="+fay.Token+"&access_token="+fayOther),
				"Basic credentials":      withHeader(mustRequest(method, e.http.URL+path), "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("fay:password-fay"))),
				"token without a scheme": withHeader(mustRequest(method, e.http.URL+path), "Authorization", fayOther),
				"token in a cookie":      withHeader(mustRequest(method, e.http.URL+path), "Cookie", "token="+fayOther+"; access_token="+fayOther),
			} {
				if r := e.send(req); r.Status != http.StatusUnauthorized {
					t.Errorf("%s with %s: %d, want 401", key, name, r.Status)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no authenticated route")
	}
	// The live tokens still work: the refusals were about the tokens.
	expect(t, "fay's fresh token", e.do("GET", "/api/v1/auth/me", e.login("fay", "password-fay"), nil), 200)
	expect(t, "hal's new password", e.do("GET", "/api/v1/auth/me", e.login("hal", "a-new-password-for-hal"), nil), 200)
	r := e.do("GET", "/api/v1/auth/me", george.Token, nil)
	var me userJSON
	r.JSON(t, &me)
	if me.Username != "george" {
		t.Errorf("george's token answers as %+v", me)
	}
	for _, name := range []string{"deleted user", "deactivated user", "token used to change the password"} {
		_, resp, err := e.wsDial(t.Context(), bad[name], "query")
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("WebSocket upgrade with the %s's token: %v %v", name, err, resp)
		}
	}
}

func mustRequest(method, url string) *http.Request {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		panic(err)
	}
	return req
}

func withHeader(req *http.Request, k, v string) *http.Request {
	req.Header.Set(k, v)
	return req
}

// A demoted admin loses the admin routes at once, with the same token.
func TestDemotedAdminLosesAdminRoutesAtOnce(t *testing.T) {
	e := newTestEnv(t, Config{})
	admin := e.register("admin")
	bob := e.register("bob")
	expect(t, "promote bob", e.do("PATCH", sprintf("/api/v1/users/%d", bob.ID), admin.Token, map[string]any{"role": "admin"}), 200)
	expect(t, "bob as admin", e.do("GET", "/api/v1/users", bob.Token, nil), 200)
	expect(t, "demote bob", e.do("PATCH", sprintf("/api/v1/users/%d", bob.ID), admin.Token, map[string]any{"role": "user"}), 200)
	for _, key := range routeKeys(t, e) {
		if authzRules[key].access != authzAdmin {
			continue
		}
		method, pattern, _ := strings.Cut(key, " ")
		r := e.do(method, strings.ReplaceAll(pattern, "{id}", strconv.FormatUint(admin.ID, 10)), bob.Token, authzRules[key].body)
		expect(t, key+" by the demoted bob", r, http.StatusForbidden)
	}
	expect(t, "demoted bob is still a user", e.do("GET", "/api/v1/auth/me", bob.Token, nil), 200)
}

// An open WebSocket stops answering once its user is deactivated or
// changes password: every chat frame is checked against the current user.
func TestRevocationReachesAnOpenWebSocket(t *testing.T) {
	e := newTestEnv(t, Config{})
	admin := e.register("admin")
	for _, revoke := range []string{"deactivate", "password"} {
		t.Run(revoke, func(t *testing.T) {
			u := e.register("user-" + revoke)
			conv := e.conversation(u.Token)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			c, _, err := e.wsDial(ctx, u.Token, "header")
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			if revoke == "deactivate" {
				expect(t, revoke, e.do("PATCH", sprintf("/api/v1/users/%d", u.ID), admin.Token, map[string]any{"is_active": false}), 200)
			} else {
				expect(t, revoke, e.do("PATCH", "/api/v1/users/me", u.Token,
					map[string]string{"password": "another-password", "current_password": "password-" + u.Name}), 200)
			}
			wsjson.Write(ctx, c, map[string]any{"type": "chat", "conversation_id": conv, "content": "still there?"})
			var f wsFrameIn
			if err := wsjson.Read(ctx, c, &f); err == nil && (f.Type != "error" || !strings.Contains(f.Detail, "not authenticated")) {
				t.Errorf("after %s the open socket answered %+v", revoke, f)
			}
			msgs, err := e.db.Messages(t.Context(), u.ID, conv, 0, 0)
			if err == nil && len(msgs) != 0 {
				t.Errorf("after %s the open socket stored %+v", revoke, msgs)
			}
		})
	}
}
