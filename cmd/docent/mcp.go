package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"docent/api"
	"docent/internal/mcpproxy"
	"docent/store"
)

type mcpCmd struct {
	User   string `name:"user" help:"Serve as this user (their documents, the shared library and the workspaces they see); default: the shared library and the workspaces shared with everyone."`
	Server string `name:"server" env:"DOCENT_SERVER" help:"Serve the tools of a running server at this URL (its /mcp) instead of opening the data directory."`
	Token  string `name:"api-key" aliases:"token" env:"DOCENT_TOKEN" help:"API key (or access token) for --server; default: the one docent login kept."`

	embedFlags
	llmFlags
}

// Run serves the MCP tools (search, ask, list_documents, get_passage) on
// standard input and output, for an editor or assistant that starts
// docent as an MCP server: from the data directory, or forwarded to a
// running server's /mcp. Logs go to standard error.
func (c *mcpCmd) Run(ctx context.Context, g *Globals) error {
	impl := &mcp.Implementation{Name: "docent", Title: "docent", Version: versionString()}
	stdio := &mcp.IOTransport{Reader: io.NopCloser(g.stdin), Writer: nopWriteCloser{g.stdout}}
	if c.Server != "" {
		cl, _, err := connect(ctx, c.Server, c.Token) // says plainly when the credential is refused
		if err != nil {
			return err
		}
		srv, session, err := mcpproxy.Connect(ctx, cl.base+"/mcp", cl.token, &http.Client{Timeout: 10 * time.Minute}, impl)
		if err != nil {
			return err
		}
		defer session.Close()
		return srv.Run(ctx, stdio)
	}
	db, lib, err := openLibrary(ctx, g, c.embedFlags, true)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := c.user(ctx, db)
	if err != nil {
		return err
	}
	engine, err := c.engine()
	if err != nil {
		return err
	}
	srv := api.New(api.Config{Version: versionString()}, api.Deps{DB: db, Log: g.logger(), Library: lib, Chat: engine})
	return srv.MCP(u).Run(ctx, stdio)
}

// user is who the tools serve: --user, or the shared library's reader.
func (c *mcpCmd) user(ctx context.Context, db store.Store) (*store.User, error) {
	if strings.TrimSpace(c.User) == "" {
		return &store.User{ID: store.Shared, Username: "shared library", Role: store.RoleAdmin, Active: true}, nil
	}
	u, err := db.UserByLogin(ctx, c.User)
	if err != nil || !u.Active {
		return nil, fmt.Errorf("no active user %q", c.User)
	}
	return &u, nil
}

// nopWriteCloser leaves standard output open when the transport closes.
type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
