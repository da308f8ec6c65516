package mcpproxy

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type echoIn struct {
	Text string `json:"text"`
}

type echoOut struct {
	Echo string `json:"echo"`
}

// A remote tool is offered as it is: its description, its schema, its
// answers and errors; the bearer credential goes with every call.
func TestConnectForwardsTools(t *testing.T) {
	remote := mcp.NewServer(&mcp.Implementation{Name: "remote"}, &mcp.ServerOptions{Instructions: "use echo"})
	mcp.AddTool(remote, &mcp.Tool{Name: "echo", Description: "Echo the text back."},
		func(_ context.Context, _ *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, echoOut, error) {
			if in.Text == "" {
				return nil, echoOut{}, errTextRequired
			}
			return nil, echoOut{Echo: in.Text}, nil
		})
	var auth []string
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return remote }, &mcp.StreamableHTTPOptions{Stateless: true})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = append(auth, r.Header.Get("Authorization"))
		if r.Header.Get("Authorization") != "Bearer dk_secret" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ctx := t.Context()

	if _, _, err := Connect(ctx, srv.URL, "dk_wrong", nil, &mcp.Implementation{Name: "proxy"}); err == nil {
		t.Fatal("connected with a wrong credential")
	}
	auth = nil
	local, session, err := Connect(ctx, srv.URL, "dk_secret", nil, &mcp.Implementation{Name: "proxy"})
	if err != nil {
		t.Fatal(err)
	}
	defer session.Close()
	st, ct := mcp.NewInMemoryTransports()
	if _, err := local.Connect(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	client, err := mcp.NewClient(&mcp.Implementation{Name: "client"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if client.InitializeResult().Instructions != "use echo" {
		t.Errorf("instructions: %q", client.InitializeResult().Instructions)
	}
	tools, err := client.ListTools(ctx, nil)
	if err != nil || len(tools.Tools) != 1 || tools.Tools[0].Description != "Echo the text back." {
		t.Fatalf("tools: %+v %v", tools, err)
	}
	res, err := client.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}})
	if err != nil || res.IsError || !strings.Contains(res.Content[0].(*mcp.TextContent).Text, `"echo":"hi"`) {
		t.Errorf("echo: %+v %v", res, err)
	}
	res, err = client.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": ""}})
	if err != nil || !res.IsError || !strings.Contains(res.Content[0].(*mcp.TextContent).Text, "text is required") {
		t.Errorf("a remote tool error: %+v %v", res, err)
	}
	if len(auth) < 3 {
		t.Errorf("%d requests reached the remote server", len(auth))
	}
	for _, a := range auth {
		if a != "Bearer dk_secret" {
			t.Errorf("a request went with %q", a)
		}
	}
}

var errTextRequired = errorString("text is required")

type errorString string

func (e errorString) Error() string { return string(e) }
