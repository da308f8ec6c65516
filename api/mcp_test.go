package api

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"docent/internal/mcpproxy"
)

// mcpSession connects the MCP SDK's client to /mcp with token.
func (e *testEnv) mcpSession(ctx context.Context, token string) (*mcp.ClientSession, error) {
	client := mcp.NewClient(&mcp.Implementation{Name: "docent-test", Version: "1"}, nil)
	hc := &http.Client{Transport: mcpproxy.Bearer(token, e.http.Client().Transport)}
	return client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: e.http.URL + "/mcp", HTTPClient: hc}, nil)
}

// callTool calls a tool and returns its text and structured output,
// failing the test when the call itself fails.
func callTool(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) (res *mcp.CallToolResult, text string) {
	t.Helper()
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			text += tc.Text
		}
	}
	return res, text
}

// structured decodes a tool's structured output into v.
func structured(t *testing.T, res *mcp.CallToolResult, v any) {
	t.Helper()
	raw, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("structured output %s: %v", raw, err)
	}
}

func TestMCPOverHTTP(t *testing.T) {
	e := newTestEnv(t, Config{})
	ann, bob := e.register("ann"), e.register("bob")
	guide := e.ingest(ann.Token, campingGuide)[0]
	bobs := e.ingest(bob.Token, file{"bob.md", []byte("# Bob\n\nBob's secret fern schedule: water on Tuesdays.\n")})[0]
	key := e.newKey(ann.Token, "mcp", "read")
	ctx := t.Context()
	cs, err := e.mcpSession(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()

	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
		schema, _ := json.Marshal(tool.InputSchema)
		if len(tool.Description) < 80 || tool.Annotations == nil || !tool.Annotations.ReadOnlyHint || !strings.Contains(string(schema), `"properties"`) {
			t.Errorf("tool %s: description %q, annotations %+v, schema %s", tool.Name, tool.Description, tool.Annotations, schema)
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"ask", "get_passage", "list_documents", "search"}) {
		t.Fatalf("tools: %v", names)
	}

	res, text := callTool(t, cs, "search", map[string]any{"query": "boil water at altitude", "top_k": 3})
	var found mcpSearchOut
	structured(t, res, &found)
	if res.IsError || len(found.Results) == 0 || found.Results[0].DocumentID != guide.ID || !strings.Contains(text, "three minutes") {
		t.Errorf("search: %v %s", res.IsError, text)
	}

	res, text = callTool(t, cs, "ask", map[string]any{"question": "How long should water boil above 2000 metres?"})
	var answer mcpAskOut
	structured(t, res, &answer)
	if res.IsError || !strings.Contains(answer.Answer, "three minutes") || !strings.Contains(answer.Answer, "[1]") ||
		len(answer.Sources) == 0 || answer.Sources[0].DocumentID != guide.ID || answer.Mode != "extractive" {
		t.Errorf("ask: %s", text)
	}

	res, text = callTool(t, cs, "list_documents", nil)
	var list mcpListOut
	structured(t, res, &list)
	if res.IsError || len(list.Documents) != 1 || list.Documents[0].ID != guide.ID || len(list.Workspaces) != 1 || list.Workspaces[0].Name != "shared" {
		t.Errorf("list_documents: %s", text)
	}

	chunk := found.Results[0].Chunk
	res, text = callTool(t, cs, "get_passage", map[string]any{"document_id": guide.ID, "chunk": chunk})
	var passage mcpPassageOut
	structured(t, res, &passage)
	if res.IsError || passage.Chunk != chunk || passage.Chunks != guide.Chunks || passage.Text == "" || passage.Filename != "guide.md" {
		t.Errorf("get_passage: %s", text)
	}

	// Another user's document or workspace is not found, exactly as a
	// missing one; bad arguments are tool errors the model can read.
	_, foreign := callTool(t, cs, "get_passage", map[string]any{"document_id": bobs.ID, "chunk": 0})
	_, missing := callTool(t, cs, "get_passage", map[string]any{"document_id": 987654, "chunk": 0})
	if foreign != missing || !strings.Contains(foreign, "document not found") || strings.Contains(foreign, "fern") {
		t.Errorf("bob's document %q, a missing one %q", foreign, missing)
	}
	for name, args := range map[string]map[string]any{
		"search":                   {"query": "fern schedule", "document_ids": []uint64{bobs.ID}},
		"ask":                      {"question": "When does bob water the fern?", "workspace": "Bob's"},
		"list_documents":           {"workspace": "nope"},
		"get_passage":              {"document_id": guide.ID, "chunk": 999},
		"search with a bad top_k":  {"query": "water", "top_k": 500},
		"search without its query": {"top_k": 3},
	} {
		tool, _, _ := strings.Cut(name, " ")
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
		if err == nil && !res.IsError {
			t.Errorf("%s %v: no error", name, args)
		}
		if raw, _ := json.Marshal(res); strings.Contains(string(raw), "fern") {
			t.Errorf("%s answers with bob's document: %s", name, raw)
		}
	}
	_, text = callTool(t, cs, "search", map[string]any{"query": "fern schedule Tuesdays", "top_k": 50})
	if strings.Contains(text, "fern") {
		t.Errorf("ann's search finds bob's document: %s", text)
	}
}

func TestMCPRefusesBadCredentials(t *testing.T) {
	e := newTestEnv(t, Config{})
	ann := e.register("ann")
	var k newKeyJSON
	e.do("POST", "/api/v1/keys", ann.Token, map[string]string{"name": "mcp"}).JSON(t, &k)
	ctx := t.Context()
	for _, tok := range []string{"", "dk_made_up", "x.y.z"} {
		if cs, err := e.mcpSession(ctx, tok); err == nil {
			cs.Close()
			t.Errorf("connected with %q", tok)
		}
	}
	r := e.do("POST", "/mcp", "", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
	if r.Status != http.StatusUnauthorized || r.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("anonymous /mcp: %d %v", r.Status, r.Header)
	}
	cs, err := e.mcpSession(ctx, k.Key)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	expect(t, "revoke", e.do("DELETE", sprintf("/api/v1/keys/%d", k.ID), ann.Token, nil), http.StatusNoContent)
	if res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "list_documents"}); err == nil && !res.IsError {
		t.Errorf("a revoked key still calls tools: %+v", res)
	}
}
