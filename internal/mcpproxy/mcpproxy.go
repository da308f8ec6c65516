// Package mcpproxy offers, on a local MCP server, the tools of a remote
// one: `docent mcp --server URL` serves a running docent's tools over
// stdio to an editor or desktop assistant that only launches commands.
// Each call is forwarded as it is, so the tools, their descriptions and
// their answers are the remote server's, checked against the remote
// user's credential on every call.
package mcpproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Connect opens an MCP session with the streamable HTTP endpoint (a
// docent's /mcp), sending token as its bearer credential, and returns a
// server offering the endpoint's tools. Close the session when the server
// is done.
func Connect(ctx context.Context, endpoint, token string, hc *http.Client, impl *mcp.Implementation) (*mcp.Server, *mcp.ClientSession, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	authed := *hc
	authed.Transport = Bearer(token, hc.Transport)
	client := mcp.NewClient(impl, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: &authed}, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to %s: %w", endpoint, err)
	}
	opts := &mcp.ServerOptions{}
	if init := cs.InitializeResult(); init != nil {
		opts.Instructions = init.Instructions
	}
	srv := mcp.NewServer(impl, opts)
	for tool, err := range cs.Tools(ctx, nil) {
		if err != nil {
			cs.Close()
			return nil, nil, fmt.Errorf("list the tools of %s: %w", endpoint, err)
		}
		if !objectSchema(tool.InputSchema) {
			continue // not a tool an MCP server may offer
		}
		srv.AddTool(tool, forward(cs))
	}
	return srv, cs, nil
}

// forward calls the remote tool of the same name with the same arguments.
func forward(cs *mcp.ClientSession) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		params := &mcp.CallToolParams{Name: req.Params.Name}
		if len(req.Params.Arguments) > 0 {
			params.Arguments = req.Params.Arguments
		}
		return cs.CallTool(ctx, params)
	}
}

// objectSchema reports whether a JSON schema describes an object.
func objectSchema(schema any) bool {
	raw, err := json.Marshal(schema)
	if err != nil {
		return false
	}
	var s struct {
		Type any `json:"type"`
	}
	return json.Unmarshal(raw, &s) == nil && s.Type == "object"
}

// Bearer returns a transport that sends token as the bearer credential of
// every request through next (http.DefaultTransport when nil).
func Bearer(token string, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return bearer{token: token, next: next}
}

// bearer sends a bearer credential with every request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}
