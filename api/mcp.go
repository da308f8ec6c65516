package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"docent/chat"
	"docent/retrieval"
	"docent/store"
)

// mcpInstructions tell a model what docent is, when it starts a session.
const mcpInstructions = `docent holds the user's own documents (reports, manuals, policies, notes) and answers from them with citations.
Use "ask" for a direct answer to a question the documents should settle, "search" to find passages and where they are,
"list_documents" to see which documents (and workspaces) there are, and "get_passage" to read a passage in full.
A workspace (by name) limits ask and search to a group of documents. Quote the filename and page when you cite.`

// Tool descriptions: when a model should reach for each tool.
const (
	mcpSearchDescription = `Search the user's documents in docent for the passages that best match a query (keyword and meaning), best first.
Use it to find where something is written, to gather quotes, or to look across many documents; each result gives the document id, filename, title, page and passage text, and its chunk index for get_passage.
For a direct answer to a question, prefer ask.`
	mcpAskDescription = `Answer a question from the user's documents in docent. The answer cites its sources as [1], [2] in the order of the sources returned with it (document, page, passage).
Use it whenever the user asks something their own documents (policies, reports, manuals, notes) should answer; it says plainly when they do not.`
	mcpListDescription = `List the documents in docent that the user may read (newest first, with ids, titles, pages and indexing status) and the workspaces they see.
Use it to learn what the library holds, to find a document's id for search or ask's document_ids, or a workspace's name.`
	mcpPassageDescription = `Read one passage (chunk) of a document in full, by the document id and chunk index that search or ask returned.
Use it to read more than a search snippet, or the passages just before or after (chunk - 1, chunk + 1) for context.`
)

// mcpTools are the tools of one caller: every lookup is theirs.
type mcpTools struct {
	s    *Server
	user *store.User
}

func (t mcpTools) viewer() store.Viewer {
	return store.Viewer{UserID: t.user.ID, Admin: t.user.IsAdmin()}
}

// MCP returns an MCP server whose tools search, answer from, list and read
// the documents u may read: served over HTTP at /mcp for the caller of
// each request, and over stdio by `docent mcp`.
func (s *Server) MCP(u *store.User) *mcp.Server {
	srv := mcp.NewServer(&mcp.Implementation{Name: "docent", Title: "docent", Version: s.cfg.Version},
		&mcp.ServerOptions{Instructions: mcpInstructions, SchemaCache: s.mcpSchemas})
	t := mcpTools{s, u}
	readOnly := func(title string) *mcp.ToolAnnotations {
		closed := false
		return &mcp.ToolAnnotations{Title: title, ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: &closed}
	}
	mcp.AddTool(srv, &mcp.Tool{Name: "search", Description: mcpSearchDescription, Annotations: readOnly("Search the documents")}, t.search)
	mcp.AddTool(srv, &mcp.Tool{Name: "ask", Description: mcpAskDescription, Annotations: readOnly("Ask the documents")}, t.ask)
	mcp.AddTool(srv, &mcp.Tool{Name: "list_documents", Description: mcpListDescription, Annotations: readOnly("List the documents")}, t.listDocuments)
	mcp.AddTool(srv, &mcp.Tool{Name: "get_passage", Description: mcpPassageDescription, Annotations: readOnly("Read a passage")}, t.getPassage)
	return srv
}

// mcpHandler serves MCP's streamable HTTP transport for authenticated
// callers. It is stateless: each request gets the tools of the user its
// bearer credential names, so a revoked key or a deactivated user stops
// at the next request. Its DNS-rebinding guard (refusing a non-local Host
// on a loopback address) is off: it protects servers that trust whoever
// reaches them, while /mcp needs a bearer credential, which a page that
// rebinds a name never holds, and the guard would refuse a reverse proxy
// on the same host.
func (s *Server) mcpHandler() http.Handler {
	return mcp.NewStreamableHTTPHandler(func(r *http.Request) *mcp.Server {
		return s.MCP(currentUser(r.Context()))
	}, &mcp.StreamableHTTPOptions{Stateless: true, DisableLocalhostProtection: true, Logger: s.log, MaxRequestBodyBytes: maxJSONBody})
}

// serveMCP serves /mcp.
func (s *Server) serveMCP(w http.ResponseWriter, r *http.Request) { s.mcp.ServeHTTP(w, r) }

// mcpSource is a passage as the tools return it.
type mcpSource struct {
	DocumentID uint64  `json:"document_id"`
	Filename   string  `json:"filename"`
	Title      string  `json:"title,omitempty"`
	Chunk      int     `json:"chunk" jsonschema:"the chunk index, for get_passage"`
	Page       int     `json:"page,omitempty" jsonschema:"the page the passage starts on, from 1"`
	EndPage    int     `json:"end_page,omitempty"`
	Score      float64 `json:"score"`
	Text       string  `json:"text"`
}

func mcpSources(ss []sourceJSON) []mcpSource {
	out := make([]mcpSource, len(ss))
	for i, s := range ss {
		out[i] = mcpSource{DocumentID: s.DocumentID, Filename: s.Filename, Title: s.Title, Chunk: s.ChunkIndex,
			Page: s.Page, EndPage: s.EndPage, Score: s.Score, Text: s.Text}
	}
	return out
}

type mcpSearchIn struct {
	Query       string   `json:"query" jsonschema:"what to look for: words, a phrase or a question"`
	TopK        int      `json:"top_k,omitempty" jsonschema:"how many passages, 1 to 50 (default 5)"`
	Workspace   string   `json:"workspace,omitempty" jsonschema:"search only this workspace (its name, or id)"`
	DocumentIDs []uint64 `json:"document_ids,omitempty" jsonschema:"search only these documents"`
}

type mcpSearchOut struct {
	Results []mcpSource `json:"results"`
}

func (t mcpTools) search(ctx context.Context, _ *mcp.CallToolRequest, in mcpSearchIn) (*mcp.CallToolResult, mcpSearchOut, error) {
	var out mcpSearchOut
	sc, k, err := t.scope(ctx, in.Query, in.TopK, in.Workspace, in.DocumentIDs)
	if err != nil {
		return nil, out, err
	}
	res, err := t.s.library.Search(ctx, t.viewer(), retrieval.SearchRequest{Text: in.Query, TopK: k,
		DocumentIDs: sc.DocumentIDs, Workspace: sc.Workspace})
	if err != nil {
		return nil, out, toolError(err)
	}
	out.Results = make([]mcpSource, 0, len(res))
	for _, r := range res {
		out.Results = append(out.Results, mcpSources([]sourceJSON{toSourceJSON(r)})...)
	}
	return nil, out, nil
}

// scope checks a tool's question, top_k and scope as the HTTP API does.
func (t mcpTools) scope(ctx context.Context, query string, topK int, workspace string, docs []uint64) (scope, int, error) {
	ws, err := t.workspaceID(ctx, workspace)
	if err != nil {
		return scope{}, 0, err
	}
	sc := scope{Workspace: ws, DocumentIDs: docs}
	if topK == 0 {
		topK = 5
	}
	if topK < 1 || topK > 50 {
		return sc, 0, errors.New("top_k must be from 1 to 50")
	}
	k, err := t.s.checkSearch(ctx, t.viewer(), query, &topK, sc)
	return sc, k, toolError(err)
}

// workspaceID resolves a workspace by name (the caller's own first) or
// id, among those the caller sees.
func (t mcpTools) workspaceID(ctx context.Context, name string) (uint64, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return 0, nil
	}
	spaces, err := t.s.db.Workspaces(ctx, t.viewer())
	if err != nil {
		return 0, err
	}
	if w, ok := byName(t.viewer(), spaces, name); ok {
		return w.ID, nil
	}
	if id, err := strconv.ParseUint(name, 10, 64); err == nil {
		for _, w := range spaces {
			if w.ID == id {
				return id, nil
			}
		}
	}
	return 0, errors.New("workspace not found: list_documents lists the workspaces")
}

// toolError is what a tool says of a failure: the HTTP API's detail, never
// an internal error.
func toolError(err error) error {
	if err == nil {
		return nil
	}
	var he *httpError
	if errors.As(err, &he) {
		return errors.New(he.detail)
	}
	if errors.Is(err, store.ErrNotFound) {
		return errors.New("not found")
	}
	return errors.New("internal error; the server log has the details")
}

type mcpAskIn struct {
	Question    string   `json:"question" jsonschema:"the question, in the user's words"`
	Workspace   string   `json:"workspace,omitempty" jsonschema:"answer only from this workspace (its name, or id)"`
	DocumentIDs []uint64 `json:"document_ids,omitempty" jsonschema:"answer only from these documents"`
}

type mcpAskOut struct {
	Answer  string      `json:"answer" jsonschema:"the answer, citing sources as [n]"`
	Mode    string      `json:"mode" jsonschema:"llm (written by a language model) or extractive (sentences quoted from the passages)"`
	Sources []mcpSource `json:"sources" jsonschema:"the passages cited, [1] first"`
}

func (t mcpTools) ask(ctx context.Context, _ *mcp.CallToolRequest, in mcpAskIn) (*mcp.CallToolResult, mcpAskOut, error) {
	var out mcpAskOut
	sc, k, err := t.scope(ctx, in.Question, 0, in.Workspace, in.DocumentIDs)
	if err != nil {
		return nil, out, err
	}
	release, lerr := t.s.chatLimits.admit(t.user.ID)
	if lerr != nil {
		return nil, out, errors.New(lerr.detail)
	}
	defer release()
	x := &exchange{user: t.user, scope: sc, req: chat.Request{Question: in.Question, TopK: k}}
	ans, err := t.s.chat.Answer(ctx, t.s.retriever(x), x.req, nil)
	if err != nil {
		return nil, out, toolError(answerError(err, t.user.IsAdmin()))
	}
	return nil, mcpAskOut{Answer: ans.Content, Mode: ans.Mode, Sources: mcpSources(toSourcesJSON(ans.Sources))}, nil
}

type mcpListIn struct {
	Workspace string `json:"workspace,omitempty" jsonschema:"list only this workspace's documents (its name, or id)"`
}

type mcpDocument struct {
	ID       uint64 `json:"id"`
	Filename string `json:"filename"`
	Title    string `json:"title,omitempty"`
	Status   string `json:"status" jsonschema:"ready once searchable"`
	Pages    int    `json:"pages,omitempty"`
	Chunks   int    `json:"chunks"`
	Shared   bool   `json:"shared" jsonschema:"in the shared library"`
}

type mcpWorkspace struct {
	ID         uint64 `json:"id"`
	Name       string `json:"name"`
	Visibility string `json:"visibility"`
	Documents  int    `json:"documents"`
}

type mcpListOut struct {
	Documents  []mcpDocument  `json:"documents"`
	Workspaces []mcpWorkspace `json:"workspaces"`
}

// maxListed bounds the documents list_documents returns.
const maxListed = 500

func (t mcpTools) listDocuments(ctx context.Context, _ *mcp.CallToolRequest, in mcpListIn) (*mcp.CallToolResult, mcpListOut, error) {
	out := mcpListOut{Documents: []mcpDocument{}, Workspaces: []mcpWorkspace{}}
	ws, err := t.workspaceID(ctx, in.Workspace)
	if err != nil {
		return nil, out, err
	}
	docs, err := t.s.db.ScopeDocuments(ctx, t.viewer(), ws)
	if err != nil {
		return nil, out, toolError(err)
	}
	for _, d := range docs[:min(len(docs), maxListed)] {
		out.Documents = append(out.Documents, mcpDocument{ID: d.ID, Filename: d.Filename, Title: d.Title, Status: string(d.Status),
			Pages: d.Pages, Chunks: d.Chunks, Shared: d.Owner == store.Shared})
	}
	spaces, err := t.s.db.Workspaces(ctx, t.viewer())
	if err != nil {
		return nil, out, toolError(err)
	}
	for _, w := range spaces {
		ids, err := t.s.db.WorkspaceDocuments(ctx, t.viewer(), w.ID)
		if err != nil {
			return nil, out, toolError(err)
		}
		out.Workspaces = append(out.Workspaces, mcpWorkspace{ID: w.ID, Name: w.Name, Visibility: string(w.Visibility), Documents: len(ids)})
	}
	return nil, out, nil
}

type mcpPassageIn struct {
	DocumentID uint64 `json:"document_id" jsonschema:"the document's id"`
	Chunk      int    `json:"chunk" jsonschema:"the chunk index, from 0"`
}

type mcpPassageOut struct {
	DocumentID uint64   `json:"document_id"`
	Filename   string   `json:"filename"`
	Title      string   `json:"title,omitempty"`
	Chunk      int      `json:"chunk"`
	Chunks     int      `json:"chunks" jsonschema:"how many chunks the document has"`
	Page       int      `json:"page,omitempty"`
	Headings   []string `json:"headings,omitempty" jsonschema:"the section the passage is in"`
	Text       string   `json:"text"`
}

func (t mcpTools) getPassage(ctx context.Context, _ *mcp.CallToolRequest, in mcpPassageIn) (*mcp.CallToolResult, mcpPassageOut, error) {
	var out mcpPassageOut
	d, err := t.s.db.Document(ctx, t.viewer(), in.DocumentID)
	if err != nil {
		return nil, out, toolError(storeError(err, "document"))
	}
	chunks, err := t.s.db.Chunks(ctx, d.ID)
	if err != nil {
		return nil, out, toolError(err)
	}
	if in.Chunk < 0 || in.Chunk >= len(chunks) {
		return nil, out, errors.New("chunk " + strconv.Itoa(in.Chunk) + " not found: the document has " + strconv.Itoa(len(chunks)) + " chunks, from 0")
	}
	c := chunks[in.Chunk]
	return nil, mcpPassageOut{DocumentID: d.ID, Filename: d.Filename, Title: d.Title, Chunk: c.Index, Chunks: len(chunks),
		Page: c.Page, Headings: c.Headings, Text: c.Text}, nil
}
