package api

import (
	"net/http"

	"docent/store"
)

// routes is the single list of endpoints: the router and the OpenAPI
// document are both built from it, so neither can miss a route.
func (s *Server) routes() []route {
	ok := func(schema string) map[int]string { return map[int]string{http.StatusOK: schema} }
	created := func(schema string) map[int]string { return map[int]string{http.StatusCreated: schema} }
	return []route{
		{method: "GET", pattern: "/", summary: "The web page; the JSON banner with Accept: application/json", handler: s.root,
			responses: ok("Banner")},
		{method: "GET", pattern: "/assets/{name}", summary: "A content-hashed asset of the web page, cached for a year", handler: s.asset,
			responses: ok("")},
		{method: "GET", pattern: "/health", summary: "Liveness: 200 while the process is up", handler: s.health, responses: ok("Status")},
		{method: "GET", pattern: "/ready", summary: "Readiness: 200 once the index is loaded, 503 before", handler: s.readiness,
			responses: map[int]string{200: "Status", 503: "Problem"}},
		{method: "GET", pattern: "/metrics", summary: "Prometheus metrics: for admins, or with the scrape token (serve --metrics-token)",
			access: accessAdmin, scrape: true, handler: s.metrics.handler().ServeHTTP, responses: ok("")},
		{method: "GET", pattern: "/openapi.json", summary: "This OpenAPI document", handler: s.openAPI, responses: ok("")},
		{method: "GET", pattern: "/docs", summary: "The API reference: this document as a page", handler: s.docs, responses: ok("")},
		{method: "GET", pattern: "/debug/pprof/*", summary: "Go profiles (net/http/pprof) for admins; 404 unless the server runs with --pprof", access: accessAdmin, handler: s.pprof, responses: ok("")},

		{method: "POST", pattern: "/api/v1/auth/register", summary: "Create an account (the first one becomes admin); as the registration mode allows: 201 active, 202 waiting for an admin's approval, 403 closed or without a valid invite",
			handler: s.register, request: "RegisterRequest", responses: map[int]string{http.StatusCreated: "User", http.StatusAccepted: "PendingUser", http.StatusForbidden: "Problem"},
			middleware: []func(http.Handler) http.Handler{s.limitByIP(s.registerByIP)}},
		{method: "POST", pattern: "/api/v1/auth/token", summary: "Log in (OAuth2 password form or JSON); username may be the email",
			handler: s.token, request: "TokenRequest", responses: ok("Token"),
			middleware: []func(http.Handler) http.Handler{s.limitByIP(s.loginByIP)}},
		{method: "GET", pattern: "/api/v1/auth/registration", summary: "How registration works here: the mode (open, approval, invite, closed) and whether the next account is the first",
			handler: s.registrationInfo, responses: ok("RegistrationInfo")},
		{method: "GET", pattern: "/api/v1/auth/me", summary: "The current user", access: accessUser, handler: s.me, responses: ok("User")},

		{method: "GET", pattern: "/api/v1/users", summary: "List users (admin)", access: accessAdmin, handler: s.listUsers, responses: ok("UserList")},
		{method: "POST", pattern: "/api/v1/users", summary: "Add an active account (admin): how accounts come about when registration is closed",
			access: accessAdmin, scope: store.ScopeWrite, handler: s.createUser, request: "UserCreate", responses: created("User")},
		{method: "POST", pattern: "/api/v1/invites", summary: "Make a single-use invite code (admin), shown only in this answer; optional expires_in seconds (default 7 days)",
			access: accessAdmin, scope: store.ScopeWrite, handler: s.createInvite, request: "InviteCreate", responses: created("NewInvite")},
		{method: "GET", pattern: "/api/v1/invites", summary: "Invites, used and unused, without their codes (admin)",
			access: accessAdmin, handler: s.listInvites, responses: ok("InviteList")},
		{method: "DELETE", pattern: "/api/v1/invites/{id}", summary: "Withdraw an invite (admin)",
			access: accessAdmin, scope: store.ScopeWrite, handler: s.deleteInvite, responses: map[int]string{http.StatusNoContent: ""}},
		{method: "GET", pattern: "/api/v1/users/me", summary: "The current user (as /api/v1/auth/me)", access: accessUser, handler: s.me, responses: ok("User")},
		{method: "PATCH", pattern: "/api/v1/users/me", summary: "Change own username, email or password (a new password needs current_password; 403 when missing or wrong) and revokes earlier tokens",
			access: accessUser, scope: store.ScopeWrite, handler: s.updateMe, request: "UserUpdate", responses: map[int]string{http.StatusOK: "User", http.StatusForbidden: "Problem"}},
		{method: "GET", pattern: "/api/v1/users/{id}", summary: "A user (admin)", access: accessAdmin, handler: s.getUser, responses: ok("User")},
		{method: "PATCH", pattern: "/api/v1/users/{id}", summary: "Activate, deactivate, change the role of or set the password of a user (admin); deactivating and a new password revoke the user's tokens",
			access: accessAdmin, scope: store.ScopeWrite, handler: s.adminUpdateUser, request: "UserAdminUpdate", responses: ok("User")},
		{method: "DELETE", pattern: "/api/v1/users/{id}", summary: "Delete a user with their conversations and private documents (admin or self)",
			access: accessUser, scope: store.ScopeWrite, handler: s.deleteUser, responses: map[int]string{http.StatusNoContent: ""}},

		{method: "POST", pattern: "/api/v1/keys", summary: "Make an API key (shown once, in this answer); scope read or write",
			access: accessUser, scope: store.ScopeWrite, handler: s.createKey, request: "KeyCreate", responses: created("NewKey")},
		{method: "GET", pattern: "/api/v1/keys", summary: "Own API keys (never the keys themselves); ?all=true lists everyone's (admin)",
			access: accessUser, handler: s.listKeys, responses: ok("KeyList")},
		{method: "DELETE", pattern: "/api/v1/keys/{id}", summary: "Revoke an API key at once (own keys; an admin's, anyone's)",
			access: accessUser, scope: store.ScopeWrite, handler: s.deleteKey, responses: map[int]string{http.StatusNoContent: ""}},

		{method: "GET", pattern: "/api/v1/admin/backup", summary: "A consistent snapshot of the whole store, taken while serving (admin)",
			access: accessAdmin, handler: s.backup, responses: ok("")},
		{method: "GET", pattern: "/api/v1/admin/check", summary: "Check the store's invariants and that the live index equals a fresh rebuild (admin)",
			access: accessAdmin, handler: s.check, responses: ok("CheckReport")},

		{method: "GET", pattern: "/api/v1/conversations", summary: "Own conversations, most recently active first", access: accessUser,
			handler: s.listConversations, responses: ok("ConversationList")},
		{method: "POST", pattern: "/api/v1/conversations", summary: "Start a conversation", access: accessUser,
			handler: s.createConversation, request: "ConversationCreate", responses: created("Conversation")},
		{method: "GET", pattern: "/api/v1/conversations/{id}", summary: "A conversation with its messages", access: accessUser,
			handler: s.getConversation, responses: ok("ConversationWithMessages")},
		{method: "PUT", pattern: "/api/v1/conversations/{id}", summary: "Rename a conversation", access: accessUser,
			scope: store.ScopeWrite, handler: s.renameConversation, request: "ConversationUpdate", responses: ok("Conversation")},
		{method: "DELETE", pattern: "/api/v1/conversations/{id}", summary: "Delete a conversation and its messages", access: accessUser,
			scope: store.ScopeWrite, handler: s.deleteConversation, responses: map[int]string{http.StatusNoContent: ""}},
		{method: "GET", pattern: "/api/v1/conversations/{id}/messages", summary: "Messages, oldest first", access: accessUser,
			handler: s.listMessages, responses: ok("MessageList")},
		{method: "POST", pattern: "/api/v1/conversations/{id}/messages", summary: "Ask a question; answered as JSON or streamed as Server-Sent Events",
			access: accessUser, handler: s.postMessage, request: "MessageCreate",
			responses: map[int]string{http.StatusCreated: "Exchange", http.StatusOK: "EventStream"}},

		{method: "POST", pattern: "/api/v1/documents", summary: "Upload files (multipart 'file' parts) or a page by URL (JSON {\"url\"}); ?wait=true, ?shared=true (admin), ?replace=true",
			access: accessUser, scope: store.ScopeWrite, handler: s.uploadDocuments, request: "Upload",
			responses: map[int]string{http.StatusCreated: "DocumentList", http.StatusAccepted: "DocumentList"}},
		{method: "GET", pattern: "/api/v1/documents", summary: "Own documents and the shared library, newest first", access: accessUser,
			handler: s.listDocuments, responses: ok("DocumentList")},
		{method: "GET", pattern: "/api/v1/watches", summary: "Watched folders feeding the caller's documents, with their progress (docent serve --watch)", access: accessUser,
			handler: s.listWatches, responses: ok("WatchList")},
		{method: "GET", pattern: "/api/v1/documents/{id}", summary: "A document", access: accessUser,
			handler: s.getDocument, responses: ok("Document")},
		{method: "GET", pattern: "/api/v1/documents/{id}/chunks", summary: "A document's chunks as indexed", access: accessUser,
			handler: s.documentChunks, responses: ok("ChunkList")},
		{method: "DELETE", pattern: "/api/v1/documents/{id}", summary: "Delete a document with its chunks and vectors", access: accessUser,
			scope: store.ScopeWrite, handler: s.deleteDocument, responses: map[int]string{http.StatusNoContent: ""}},
		{method: "POST", pattern: "/api/v1/documents/{id}/analyze", summary: "Summary and key points of a whole document", access: accessUser,
			handler: s.analyzeDocument, responses: ok("Analysis")},

		{method: "POST", pattern: "/api/v1/ask", summary: "Answer one question without storing a conversation; JSON, or Server-Sent Events with stream: true",
			access: accessUser, handler: s.ask, request: "AskRequest", responses: map[int]string{http.StatusOK: "Answer"}},
		{method: "POST", pattern: "/api/v1/search", summary: "Search the passages of documents the caller may read", access: accessUser,
			handler: s.search, request: "SearchRequest", responses: ok("SearchResults")},
		{method: "GET", pattern: "/api/v1/ws", summary: "WebSocket chat; token in the Authorization header, ?token= or the subprotocol bearer.<token>",
			handler: s.websocketChat, responses: map[int]string{http.StatusSwitchingProtocols: ""}},
	}
}
