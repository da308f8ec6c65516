// Package storetest is the conformance suite of docent's store: every
// behaviour a store.Store must have, specified once and run against each
// backend (bbolt and PostgreSQL) from that backend's tests, the way
// golang.org/x/net/nettest checks every net.Conn. A backend that differs
// fails the same test.
package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"docent/store"
)

// Opener returns a new, empty store for one test; the test closes it
// through t.Cleanup (the opener registers that).
type Opener func(t *testing.T) store.Store

// Run runs the whole conformance suite, each test on a fresh store from open.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"UsersUniqueAndFirstIsAdmin", testUsers},
		{"FirstUserIsAdminUnderConcurrency", testConcurrentFirstUser},
		{"UpdateUserKeepsIdentity", testUpdateUser},
		{"LastActiveAdminIsKept", testLastActiveAdmin},
		{"FirstUserAndApproval", testFirstUser},
		{"InvitesAreSingleUseAndExpire", testInvites},
		{"ConversationsScopedOrderedAndCascaded", testConversations},
		{"APIKeyLifecycle", testAPIKeys},
		{"DocumentLifecycleAndDedupe", testDocumentLifecycle},
		{"SharedVectorsAreRefCounted", testSharedVectors},
		{"ViewerRules", testViewerRules},
		{"CommitReplacesOldVersionAtomically", testCommitReplaces},
		{"DeleteUserDeletesPrivateDocuments", testDeleteUser},
		{"HasDocuments", testHasDocuments},
		{"DocumentListsAndStatus", testDocumentLists},
		{"ChunksByIDKeepsOrder", testChunksByID},
		{"ChunkPageReadsAWindow", testChunkPage},
		{"QuotasHoldWhereDocumentsAreAdded", testQuotas},
		{"ParallelUploadsKeepTheQuota", testParallelUploadsKeepTheQuota},
		{"IndexChunksMatchesForEachChunk", testIndexChunks},
		{"ReembedReplacesEveryVectorAtOnce", testReembed},
		{"CheckCountsACleanStore", testCheckClean},
		{"ExportImportRoundTrip", func(t *testing.T, s store.Store) { testExportImport(t, s, open(t)) }},
		{"ImportRefusesAStoreWithData", testImportRefusesData},
		{"WorkspaceAccess", testWorkspaceAccess},
		{"WorkspaceScopeAndLists", testWorkspaceScope},
		{"WorkspaceNamesAndMembers", testWorkspaceNames},
		{"WorkspaceMembershipsFollowDocuments", testWorkspaceMemberships},
		{"LibraryWorkspace", testLibraryWorkspace},
		{"DocumentCreatedIntoAWorkspace", testCreateIntoWorkspace},
		{"ConversationRemembersItsScope", testConversationScope},
		{"BackupIsAReadableSnapshot", testBackup},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// Sha returns the hex SHA-256 of s (documents' content hashes in tests).
func Sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Chunks makes n chunks with vectors of dimension 4, their texts and
// vectors depending on prefix.
func Chunks(prefix string, n int) ([]store.Chunk, map[[16]byte][]float32) {
	chunks := make([]store.Chunk, n)
	vecs := map[[16]byte][]float32{}
	for i := range chunks {
		text := fmt.Sprintf("%s passage %d", prefix, i)
		h := store.TextHash(text)
		chunks[i] = store.Chunk{Text: text, Start: i * 10, End: i*10 + 9, Page: i + 1,
			Headings: []string{"Intro", prefix}, Terms: []byte{byte(i), 7}, TextHash: h}
		vecs[h] = []float32{float32(i), 1, 2, 3}
	}
	return chunks, vecs
}

// Populate fills s with a user, a workspace, a conversation in it with a
// message, an API key and two ready documents of 2 and 3 chunks (the
// first in the workspace), and returns the documents.
func Populate(t *testing.T, s store.Store) []store.Document {
	t.Helper()
	ctx := context.Background()
	u := store.User{Username: "ann", Email: "ann@example.com", PasswordHash: "hash"}
	must(t, s.CreateUser(ctx, &u))
	must(t, s.CreateKey(ctx, &store.APIKey{UserID: u.ID, Name: "k", Scope: store.ScopeRead, Hash: Sha("key")}))
	must(t, s.CreateInvite(ctx, &store.Invite{Hash: Sha("invite"), CreatedBy: u.ID, ExpiresAt: time.Now().Add(time.Hour)}))
	ws := store.Workspace{Name: "Team", Visibility: store.VisibilityMembers, Owner: u.ID}
	must(t, s.CreateWorkspace(ctx, &ws))
	c := store.Conversation{UserID: u.ID, Title: "first", Workspace: ws.ID, DocumentIDs: []uint64{1}}
	must(t, s.CreateConversation(ctx, &c))
	must(t, s.AddMessage(ctx, u.ID, &store.Message{ConversationID: c.ID, Role: store.RoleUserMessage, Content: "hi"}))
	must(t, s.AddMessage(ctx, u.ID, &store.Message{ConversationID: c.ID, Role: store.RoleAssistantMessage, Content: "hello [1]",
		Sources: []store.Source{{DocumentID: 1, Filename: "a", Score: 0.5, Text: "x"}}, Mode: "extractive"}))
	must(t, s.SetIndexInfo(ctx, store.IndexInfo{Embedder: "test", Dim: 4}))
	var docs []store.Document
	for i, name := range []string{"a", "b"} {
		d := store.Document{Owner: u.ID, Filename: name, SHA256: Sha(name), Title: "Title " + name}
		if i == 1 {
			d.Owner = store.Shared
		}
		if _, _, err := s.CreateDocument(ctx, &d); err != nil {
			t.Fatal(err)
		}
		chunks, vecs := Chunks(name, 2+i)
		chunks[0].OCR, chunks[0].OCRConfidence = true, 87.5
		must(t, s.Commit(ctx, &d, chunks, vecs))
		docs = append(docs, d)
	}
	must(t, s.AddToWorkspace(ctx, store.Viewer{UserID: u.ID, Admin: true}, ws.ID, docs[0].ID))
	return docs
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
