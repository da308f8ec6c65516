package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// mcpStdio starts `docent mcp args...` and connects the MCP SDK's client
// to it over its standard input and output.
func mcpStdio(t *testing.T, args ...string) *mcp.ClientSession {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"mcp"}, args...)...)
	cmd.Env = append(os.Environ(), "DOCENT_LOG_LEVEL=warn")
	cmd.Stderr = os.Stderr
	client := mcp.NewClient(&mcp.Implementation{Name: "docent-cli-test", Version: "1"}, nil)
	cs, err := client.Connect(t.Context(), &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("docent mcp %v: %v", args, err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// useTools lists the tools and calls each, checking what a model reads.
func useTools(t *testing.T, cs *mcp.ClientSession, wantDoc string) {
	t.Helper()
	ctx := t.Context()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
		if tool.Description == "" || tool.InputSchema == nil {
			t.Errorf("tool %s has no description or schema", tool.Name)
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"ask", "get_passage", "list_documents", "search"}) {
		t.Fatalf("tools: %v", names)
	}
	call := func(name string, args map[string]any) string {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
		if err != nil || res.IsError {
			t.Fatalf("%s: %v %+v", name, err, res)
		}
		raw, _ := json.Marshal(res.StructuredContent)
		return string(raw)
	}
	var list struct {
		Documents []struct {
			ID       uint64 `json:"id"`
			Filename string `json:"filename"`
		} `json:"documents"`
	}
	json.Unmarshal([]byte(call("list_documents", nil)), &list)
	if len(list.Documents) != 1 || list.Documents[0].Filename != wantDoc {
		t.Fatalf("list_documents: %+v", list)
	}
	if out := call("search", map[string]any{"query": "boil water altitude"}); !strings.Contains(out, "three minutes") {
		t.Errorf("search: %s", out)
	}
	if out := call("ask", map[string]any{"question": "How long should water boil above 2000 metres?"}); !strings.Contains(out, "three minutes") ||
		!strings.Contains(out, "[1]") {
		t.Errorf("ask: %s", out)
	}
	if out := call("get_passage", map[string]any{"document_id": list.Documents[0].ID, "chunk": 0}); !strings.Contains(out, "three minutes") {
		t.Errorf("get_passage: %s", out)
	}
}

func TestMCPOverStdioFromTheDataDirectory(t *testing.T) {
	data := t.TempDir()
	root := writeTree(t, map[string][]byte{"water.md": []byte("# Water\n\nBoil water for three minutes above 2000 metres.\n")})
	if _, stderr, code := docent(t, "", "ingest", root, "--data", data); code != 0 {
		t.Fatalf("ingest: %s", stderr)
	}
	useTools(t, mcpStdio(t, "--data", data), "water.md")
}

// Through a running server, with the key docent login kept: the server's
// own tools, as the logged-in user.
func TestMCPOverStdioThroughAServer(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("DOCENT_TOKEN", "")
	s := startServer(t, t.TempDir(), "--registration", "open")
	token := register(t, s, "ann")
	register(t, s, "bob")
	root := writeTree(t, map[string][]byte{"water.md": []byte("# Water\n\nBoil water for three minutes above 2000 metres.\n")})
	if _, stderr, code := docent(t, "", "ingest", root, "--server", s.URL, "--token", token, "--user", "ann"); code != 0 {
		t.Fatalf("ingest: %s", stderr)
	}
	if _, stderr, code := docent(t, "password-ann\n", "login", "--server", s.URL, "--username", "ann", "--password-stdin"); code != 0 {
		t.Fatalf("login: %s", stderr)
	}
	useTools(t, mcpStdio(t, "--server", s.URL), "water.md")

	// bob sees none of ann's documents through the same command.
	if _, stderr, code := docent(t, "password-bob\n", "login", "--server", s.URL, "--username", "bob", "--password-stdin"); code != 0 {
		t.Fatalf("login: %s", stderr)
	}
	cs := mcpStdio(t, "--server", s.URL)
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "search", Arguments: map[string]any{"query": "boil water altitude", "top_k": 50}})
	if raw, _ := json.Marshal(res); err != nil || strings.Contains(string(raw), "three minutes") {
		t.Errorf("bob's search through docent mcp: %s %v", raw, err)
	}
	if _, stderr, code := docent(t, "", "mcp", "--server", s.URL, "--api-key", "dk_nope"); code == 0 || !strings.Contains(stderr, "refused") {
		t.Errorf("a bad key: exit %d, %s", code, stderr)
	}
}
