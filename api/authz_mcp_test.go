package api

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// mcpAsBob: every MCP tool, called by bob, finds none of ann's documents
// or workspaces (hers are "not found" exactly like missing ones), and ann
// reads her own through the same tools.
func (a *authz) mcpAsBob() {
	t := a.t
	call := func(cs *mcp.ClientSession, name string, args map[string]any, stranger bool) string {
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: name, Arguments: args})
		if err != nil {
			t.Fatalf("MCP %s: %v", name, err)
		}
		raw, _ := json.Marshal(res)
		if stranger {
			a.strangerBodies = append(a.strangerBodies, "mcp "+name+" → "+string(raw))
		} else {
			a.ownerBodies = append(a.ownerBodies, string(raw))
		}
		return string(raw)
	}
	bob, err := a.e.mcpSession(t.Context(), a.bob.Token)
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	tools, err := bob.ListTools(t.Context(), nil)
	if err != nil || len(tools.Tools) != 4 {
		t.Fatalf("bob's MCP tools: %v %v", tools, err)
	}
	const q = "What is the zorblax reactor access code?"
	for _, c := range []struct {
		tool string
		args map[string]any
	}{
		{"search", map[string]any{"query": q, "top_k": 50}},
		{"ask", map[string]any{"question": q}},
		{"list_documents", nil},
		{"search", map[string]any{"query": q, "workspace": "team"}},
		{"ask", map[string]any{"question": q, "workspace": "shared"}},
	} {
		if out := call(bob, c.tool, c.args, true); strings.Contains(out, `"isError":true`) {
			t.Errorf("bob's MCP %s %v failed: %s", c.tool, c.args, out)
		}
	}
	same := func(what string, calls ...func() string) {
		first := calls[0]()
		for _, c := range calls[1:] {
			if got := c(); got != first || !strings.Contains(got, "not found") {
				t.Errorf("MCP %s tells ann's from a missing one: %s / %s", what, first, got)
			}
		}
	}
	same("get_passage",
		func() string {
			return call(bob, "get_passage", map[string]any{"document_id": a.annDoc, "chunk": 0}, true)
		},
		func() string {
			return call(bob, "get_passage", map[string]any{"document_id": 987654, "chunk": 0}, true)
		})
	same("search's document_ids",
		func() string {
			return call(bob, "search", map[string]any{"query": q, "document_ids": []uint64{a.annDoc}}, true)
		},
		func() string {
			return call(bob, "search", map[string]any{"query": q, "document_ids": []uint64{987654}}, true)
		})
	same("ask's workspace",
		func() string {
			return call(bob, "ask", map[string]any{"question": q, "workspace": marker + "-ws"}, true)
		},
		func() string {
			return call(bob, "ask", map[string]any{"question": q, "workspace": "no such workspace"}, true)
		},
		func() string {
			return call(bob, "ask", map[string]any{"question": q, "workspace": strconv.FormatUint(a.annWS, 10)}, true)
		})
	same("list_documents' workspace",
		func() string { return call(bob, "list_documents", map[string]any{"workspace": marker + "-ws"}, true) },
		func() string {
			return call(bob, "list_documents", map[string]any{"workspace": "no such workspace"}, true)
		})

	ann, err := a.e.mcpSession(t.Context(), a.annReadKey.Key)
	if err != nil {
		t.Fatal(err)
	}
	defer ann.Close()
	if out := call(ann, "get_passage", map[string]any{"document_id": a.annDoc, "chunk": 0}, false); !strings.Contains(out, marker+"content") {
		t.Errorf("ann cannot read her own passage over MCP: %s", out)
	}
	if out := call(ann, "ask", map[string]any{"question": q, "workspace": marker + "-ws"}, false); !strings.Contains(out, marker+"content") {
		t.Errorf("ann cannot ask her own workspace over MCP: %s", out)
	}
}
