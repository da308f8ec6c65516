package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"docent/internal/credentials"
)

type loginCmd struct {
	Server        string `name:"server" env:"DOCENT_SERVER" required:"" help:"The server to log in to (http://host:port)."`
	Username      string `name:"username" short:"u" help:"Your username or email (asked for on the terminal when not given)."`
	PasswordStdin bool   `name:"password-stdin" help:"Read the password from the first line of standard input (otherwise it is asked for on the terminal)."`
	APIKey        string `name:"api-key" help:"Keep this API key (dk_…, made in the web page's Account dialog) instead of logging in with a password."`
	Scope         string `name:"scope" default:"write" enum:"read,write" help:"Scope of the API key a password login makes: ${enum}."`
}

// Run logs in and keeps a long-lived credential for the server: the API
// key given, or one made for this machine with the password (an access
// token would last only minutes). Either stops working when the account
// is deactivated or its password changes.
func (c *loginCmd) Run(ctx context.Context, g *Globals) error {
	server, err := credentials.Server(c.Server)
	if err != nil {
		return err
	}
	cred := credentials.Credential{Token: strings.TrimSpace(c.APIKey)}
	if cred.Token == "" {
		if cred, err = c.withPassword(ctx, g, server); err != nil {
			return err
		}
	}
	cl, me, err := connect(ctx, server, cred.Token)
	if err != nil {
		return err
	}
	cred.Username = me.Username
	if old, ok, _ := credentials.Get(server); ok && old.KeyID != 0 && old.KeyID != cred.KeyID {
		cl.do(ctx, "DELETE", fmt.Sprintf("/api/v1/keys/%d", old.KeyID), "", nil, nil) // the key of the last login here
	}
	if err := credentials.Put(server, cred); err != nil {
		return err
	}
	path, _ := credentials.Path()
	how := "the API key given"
	if cred.KeyID != 0 {
		how = fmt.Sprintf("a new API key (%s…, scope %s; docent logout revokes it)", cred.Token[:min(11, len(cred.Token))], c.Scope)
	}
	fmt.Fprintf(g.stdout, "logged in to %s as %s; %s is kept in %s\n", server, me.Username, how, path)
	return nil
}

// withPassword logs in with a username and password and makes an API key
// named for this machine.
func (c *loginCmd) withPassword(ctx context.Context, g *Globals, server string) (credentials.Credential, error) {
	username := strings.TrimSpace(c.Username)
	if username == "" && c.PasswordStdin {
		return credentials.Credential{}, errors.New("--password-stdin reads the password from standard input: give the username with --username")
	}
	if username == "" {
		fmt.Fprint(g.stderr, "Username: ")
		line, _ := bufio.NewReader(g.stdin).ReadString('\n') // a terminal gives one line per read
		if username = strings.TrimSpace(line); username == "" {
			return credentials.Credential{}, errors.New("no username")
		}
	}
	password, err := askPassword(g, c.PasswordStdin, false)
	if err != nil {
		return credentials.Credential{}, err
	}
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	anon := &client{base: strings.TrimRight(server, "/"), http: &http.Client{Timeout: time.Minute}}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := anon.do(ctx, "POST", "/api/v1/auth/token", "application/json", strings.NewReader(string(body)), &tok); err != nil {
		return credentials.Credential{}, fmt.Errorf("log in to %s: %w", server, err)
	}
	host, _ := os.Hostname()
	body, _ = json.Marshal(map[string]string{"name": "docent login on " + host, "scope": c.Scope})
	var key struct {
		ID  uint64 `json:"id"`
		Key string `json:"key"`
	}
	cl := &client{base: anon.base, token: tok.AccessToken, http: anon.http}
	if err := cl.do(ctx, "POST", "/api/v1/keys", "application/json", strings.NewReader(string(body)), &key); err != nil {
		return credentials.Credential{}, fmt.Errorf("make an API key for this machine: %w", err)
	}
	return credentials.Credential{Token: key.Key, KeyID: key.ID}, nil
}
