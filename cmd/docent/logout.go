package main

import (
	"context"
	"fmt"

	"docent/internal/credentials"
)

type logoutCmd struct {
	Server string `name:"server" env:"DOCENT_SERVER" required:"" help:"The server to log out of."`
}

// Run forgets the server's credential, revoking first the API key a
// password login made for this machine (a key given with --api-key is
// only forgotten: it may serve elsewhere).
func (c *logoutCmd) Run(ctx context.Context, g *Globals) error {
	server, err := credentials.Server(c.Server)
	if err != nil {
		return err
	}
	cred, ok, err := credentials.Get(server)
	if err != nil {
		return err
	}
	if !ok {
		fmt.Fprintf(g.stdout, "not logged in to %s\n", server)
		return nil
	}
	revoked := ""
	if cred.KeyID != 0 {
		cl, err := newClient(server, cred.Token)
		if err == nil {
			err = cl.do(ctx, "DELETE", fmt.Sprintf("/api/v1/keys/%d", cred.KeyID), "", nil, nil)
		}
		if err != nil {
			fmt.Fprintf(g.stderr, "the API key of this login could not be revoked (%v): revoke it in the web page's Account dialog\n", err)
		} else {
			revoked = " (its API key is revoked)"
		}
	}
	if _, _, err := credentials.Delete(server); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "logged out of %s%s\n", server, revoked)
	return nil
}
