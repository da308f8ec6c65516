package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"docent/internal/credentials"
)

// client calls a running docent server with a token.
type client struct {
	base  string
	token string
	http  *http.Client
}

// newClient returns a client of the server at base with token, or
// without one with the credential `docent login` saved for base. A
// missing credential is refused here, before any request, with where to
// get one.
func newClient(base, token string) (*client, error) {
	if strings.TrimSpace(token) == "" {
		saved, ok, err := credentials.Get(base)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("--server %s needs an access token: run docent login --server %s once, "+
				"or pass --token T (an API key or a token) or set DOCENT_TOKEN", base, base)
		}
		token = saved.Token
	}
	return &client{base: strings.TrimRight(base, "/"), token: token, http: &http.Client{Timeout: 30 * time.Minute}}, nil
}

// send sends a request and returns a 2xx response for the caller to read
// and close; other answers become errors carrying the server's detail, and
// a refused token says how to get a fresh one.
func (c *client) send(ctx context.Context, method, p, contentType string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+p, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.base, err)
	}
	if resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		return nil, fmt.Errorf("%s refused the access token (%s): log in again (docent login --server %s) or pass a valid one with --token or DOCENT_TOKEN",
			c.base, problemDetail(resp), c.base)
	}
	return nil, fmt.Errorf("%s %s: %s", method, p, problemDetail(resp))
}

// do sends a request and decodes a 2xx JSON answer into out (nil: the
// answer is discarded).
func (c *client) do(ctx context.Context, method, p, contentType string, body io.Reader, out any) error {
	resp, err := c.send(ctx, method, p, contentType, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// remoteUser is who a token belongs to.
type remoteUser struct {
	ID       uint64 `json:"id"`
	Username string `json:"username"`
	Email    string `json:"email"`
	Role     string `json:"role"`
}

// connect returns a client of server after checking that token is
// accepted, and whose it is: commands call it before doing or printing
// anything else.
func connect(ctx context.Context, server, token string) (*client, remoteUser, error) {
	cl, err := newClient(server, token)
	if err != nil {
		return nil, remoteUser{}, err
	}
	var me remoteUser
	if err := cl.do(ctx, "GET", "/api/v1/auth/me", "", nil, &me); err != nil {
		return nil, remoteUser{}, err
	}
	return cl, me, nil
}

// problemDetail extracts the detail of a problem+json error response.
func problemDetail(resp *http.Response) string {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var p struct {
		Detail string `json:"detail"`
	}
	if json.Unmarshal(raw, &p) == nil && p.Detail != "" {
		return resp.Status + ": " + p.Detail
	}
	return resp.Status
}
