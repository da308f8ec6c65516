package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"docent/store"
)

// wsWorld is alice's workspace "Team", shared with bob for reading and not
// with carol, holding alice's plan; carol keeps a diary.
type wsWorld struct {
	s                  store.Store
	alice, bob, carol  store.Viewer
	team               store.Workspace
	aliceDoc, carolDoc store.Document
}

func newWSWorld(t *testing.T, s store.Store) *wsWorld {
	t.Helper()
	ctx := context.Background()
	w := &wsWorld{s: s}
	must(t, s.CreateUser(ctx, &store.User{Username: "admin", Email: "admin@example.com"})) // the first account, an admin
	for _, p := range []struct {
		name string
		v    *store.Viewer
	}{{"alice", &w.alice}, {"bob", &w.bob}, {"carol", &w.carol}} {
		u := store.User{Username: p.name, Email: p.name + "@example.com", Active: true}
		must(t, s.CreateUser(ctx, &u))
		*p.v = store.Viewer{UserID: u.ID}
	}
	w.team = store.Workspace{Name: "Team", Visibility: store.VisibilityMembers, Owner: w.alice.UserID}
	must(t, s.CreateWorkspace(ctx, &w.team))
	if _, err := s.SetMember(ctx, w.alice, w.team.ID, w.bob.UserID, store.AccessRead); err != nil {
		t.Fatal(err)
	}
	w.aliceDoc = store.Document{Owner: w.alice.UserID, Filename: "plan.md", SHA256: Sha("plan")}
	w.carolDoc = store.Document{Owner: w.carol.UserID, Filename: "diary.md", SHA256: Sha("diary")}
	create(t, s, &w.aliceDoc)
	create(t, s, &w.carolDoc)
	must(t, s.AddToWorkspace(ctx, w.alice, w.team.ID, w.aliceDoc.ID))
	return w
}

func testWorkspaceAccess(t *testing.T, s store.Store) {
	ctx := context.Background()
	w := newWSWorld(t, s)
	for _, c := range []struct {
		name string
		v    store.Viewer
		want store.Access
	}{
		{"owner", w.alice, store.AccessWrite},
		{"member", w.bob, store.AccessRead},
		{"stranger", w.carol, ""},
		{"admin stranger", store.Viewer{UserID: w.carol.UserID, Admin: true}, ""},
	} {
		got, err := s.Workspace(ctx, c.v, w.team.ID)
		switch {
		case c.want == "" && !errors.Is(err, store.ErrNotFound):
			t.Errorf("%s sees the workspace: %+v %v", c.name, got, err)
		case c.want != "" && (err != nil || c.v.Access(&got) != c.want):
			t.Errorf("%s: access %q, %v; want %q", c.name, c.v.Access(&got), err, c.want)
		}
		list, _ := s.Workspaces(ctx, c.v)
		if has := slices.ContainsFunc(list, func(x store.Workspace) bool { return x.ID == w.team.ID }); has != (c.want != "") {
			t.Errorf("%s lists the workspace: %v", c.name, has)
		}
		if _, err := s.Document(ctx, c.v, w.aliceDoc.ID); (err == nil) != (c.want != "") {
			t.Errorf("%s reads alice's document in the workspace: %v", c.name, err)
		}
		readable, err := s.ReadableDocuments(ctx, c.v, []uint64{w.aliceDoc.ID, w.carolDoc.ID})
		must(t, err)
		var ids []uint64
		for _, d := range readable {
			ids = append(ids, d.ID)
		}
		slices.Sort(ids)
		want := []uint64{w.aliceDoc.ID}
		switch {
		case c.want == "" && c.v.UserID == w.carol.UserID:
			want = []uint64{w.carolDoc.ID}
		case c.want == "":
			want = nil
		}
		if !slices.Equal(ids, want) {
			t.Errorf("%s: ReadableDocuments %v, want %v (a workspace's documents with its own)", c.name, ids, want)
		}
		if err := s.CheckWritable(ctx, c.v, w.team.ID); (err == nil) != (c.want == store.AccessWrite) {
			t.Errorf("%s may write: %v", c.name, err)
		}
	}
	if err := s.AddToWorkspace(ctx, w.bob, w.team.ID, w.aliceDoc.ID); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("a read member adds a document: %v", err)
	}
	if _, err := s.UpdateWorkspace(ctx, w.bob, w.team.ID, func(x *store.Workspace) error { x.Name = "Mine"; return nil }); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("a member renames: %v", err)
	}
	if err := s.DeleteWorkspace(ctx, w.carol, w.team.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a stranger deletes: %v", err)
	}
	if _, err := s.DeleteDocument(ctx, w.bob, w.aliceDoc.ID); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("a member deletes the owner's document: %v", err)
	}
	if _, err := s.SetMember(ctx, w.alice, w.team.ID, w.bob.UserID, store.AccessWrite); err != nil {
		t.Fatal(err)
	}
	if err := s.AddToWorkspace(ctx, w.bob, w.team.ID, w.carolDoc.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bob adds carol's document he cannot read: %v", err)
	}
	// Private hides the workspace from its members; everyone shows it to all.
	for _, vis := range []store.Visibility{store.VisibilityPrivate, store.VisibilityEveryone} {
		if _, err := s.UpdateWorkspace(ctx, w.alice, w.team.ID, func(x *store.Workspace) error { x.Visibility = vis; return nil }); err != nil {
			t.Fatal(err)
		}
		_, bobErr := s.Document(ctx, w.bob, w.aliceDoc.ID)
		_, carolErr := s.Document(ctx, w.carol, w.aliceDoc.ID)
		if (bobErr == nil) != (vis != store.VisibilityPrivate) || (carolErr == nil) != (vis == store.VisibilityEveryone) {
			t.Errorf("%s: bob reads %v, carol reads %v", vis, bobErr, carolErr)
		}
	}
	if ok, _ := s.HasDocuments(ctx, w.bob.UserID); !ok {
		t.Error("bob has a workspace's document but HasDocuments says none")
	}
}

func testWorkspaceScope(t *testing.T, s store.Store) {
	ctx := context.Background()
	w := newWSWorld(t, s)
	sc, err := s.ScopeOf(ctx, w.bob, 0)
	if err != nil || !slices.Contains(sc.Documents, w.aliceDoc.ID) || !slices.Equal(sc.Owners, []uint64{store.Shared, w.bob.UserID}) {
		t.Errorf("bob's scope: %+v %v", sc, err)
	}
	if sc, _ := s.ScopeOf(ctx, w.carol, 0); slices.Contains(sc.Documents, w.aliceDoc.ID) {
		t.Errorf("carol's scope holds alice's document: %+v", sc)
	}
	if _, err := s.ScopeOf(ctx, w.carol, w.team.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("carol scopes to a workspace she cannot see: %v", err)
	}
	if sc, _ := s.ScopeOf(ctx, w.bob, w.team.ID); len(sc.Owners) != 0 || !slices.Equal(sc.Documents, []uint64{w.aliceDoc.ID}) {
		t.Errorf("the workspace's scope: %+v", sc)
	}
	bobDocs, _ := s.Documents(ctx, w.bob.UserID, 0, 100)
	carolDocs, _ := s.Documents(ctx, w.carol.UserID, 0, 100)
	if len(bobDocs) != 1 || bobDocs[0].ID != w.aliceDoc.ID || len(carolDocs) != 1 || carolDocs[0].ID != w.carolDoc.ID {
		t.Errorf("lists: bob %+v, carol %+v", bobDocs, carolDocs)
	}
	if docs, _ := s.ScopeDocuments(ctx, w.bob, w.team.ID); len(docs) != 1 || docs[0].ID != w.aliceDoc.ID {
		t.Errorf("the workspace's documents: %+v", docs)
	}
	if _, err := s.ScopeDocuments(ctx, w.carol, w.team.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("carol lists a workspace she cannot see: %v", err)
	}
}

func testWorkspaceNames(t *testing.T, s store.Store) {
	ctx := context.Background()
	w := newWSWorld(t, s)
	if err := s.CreateWorkspace(ctx, &store.Workspace{Name: "team", Visibility: store.VisibilityPrivate, Owner: w.alice.UserID}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a second workspace named team (other case) for alice: %v", err)
	}
	if err := s.CreateWorkspace(ctx, &store.Workspace{Name: "Team", Visibility: store.VisibilityPrivate, Owner: w.carol.UserID}); err != nil {
		t.Errorf("carol may have her own Team: %v", err)
	}
	if err := s.CreateWorkspace(ctx, &store.Workspace{Name: "Ghost", Owner: 9999}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a workspace of a missing user: %v", err)
	}
	other := store.Workspace{Name: "Other", Visibility: store.VisibilityPrivate, Owner: w.alice.UserID}
	must(t, s.CreateWorkspace(ctx, &other))
	if _, err := s.UpdateWorkspace(ctx, w.alice, other.ID, func(x *store.Workspace) error { x.Name = "TEAM"; return nil }); !errors.Is(err, store.ErrConflict) {
		t.Errorf("renamed onto a taken name: %v", err)
	}
	if _, err := s.UpdateWorkspace(ctx, w.alice, other.ID, func(x *store.Workspace) error { x.Name = "Renamed"; x.Owner = 99; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateWorkspace(ctx, &store.Workspace{Name: "Other", Owner: w.alice.UserID}); err != nil {
		t.Errorf("the old name is not freed: %v", err)
	}
	if got, _ := s.Workspace(ctx, w.alice, other.ID); got.Owner != w.alice.UserID || got.Name != "Renamed" {
		t.Errorf("after the update: %+v", got)
	}
	if _, err := s.SetMember(ctx, w.alice, w.team.ID, 999, store.AccessRead); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a member who does not exist: %v", err)
	}
	if _, err := s.SetMember(ctx, w.alice, w.team.ID, w.alice.UserID, store.AccessRead); !errors.Is(err, store.ErrConflict) {
		t.Errorf("the owner as member: %v", err)
	}
	if _, err := s.RemoveMember(ctx, w.alice, w.team.ID, w.bob.UserID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Document(ctx, w.bob, w.aliceDoc.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a removed member still reads: %v", err)
	}
	if _, err := s.RemoveMember(ctx, w.alice, w.team.ID, w.bob.UserID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("removing a non-member: %v", err)
	}
}

// Deleting a document, a workspace or a user leaves no membership behind;
// a new version of a file, and a failed upload retried, keep the
// workspaces of the copy they replace.
func testWorkspaceMemberships(t *testing.T, s store.Store) {
	ctx := context.Background()
	w := newWSWorld(t, s)
	c1, v1 := Chunks("v1", 2)
	must(t, s.Commit(ctx, &w.aliceDoc, c1, v1))
	next := store.Document{Owner: w.alice.UserID, Filename: "plan.md", SHA256: Sha("plan v2"), Replaces: w.aliceDoc.ID}
	create(t, s, &next)
	c2, v2 := Chunks("v2", 2)
	must(t, s.Commit(ctx, &next, c2, v2))
	if ids, _ := s.WorkspaceDocuments(ctx, w.bob, w.team.ID); !slices.Equal(ids, []uint64{next.ID}) {
		t.Errorf("after the new version the workspace holds %v, want [%d]", ids, next.ID)
	}
	failed := store.Document{Owner: w.alice.UserID, Filename: "scan.pdf", SHA256: Sha("scan")}
	create(t, s, &failed)
	must(t, s.AddToWorkspace(ctx, w.alice, w.team.ID, failed.ID))
	must(t, s.SetStatus(ctx, failed.ID, store.StatusFailed, "no text"))
	retry := store.Document{Owner: w.alice.UserID, Filename: "scan.pdf", SHA256: Sha("scan")}
	create(t, s, &retry)
	if ids, _ := s.WorkspaceDocuments(ctx, w.alice, w.team.ID); !slices.Equal(ids, []uint64{next.ID, retry.ID}) {
		t.Errorf("after a retried upload the workspace holds %v", ids)
	}
	if _, err := s.DeleteDocument(ctx, w.alice, retry.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveFromWorkspace(ctx, w.alice, w.team.ID, retry.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a deleted document is still in the workspace: %v", err)
	}
	must(t, s.DeleteWorkspace(ctx, w.alice, w.team.ID))
	if _, err := s.Document(ctx, w.alice, next.ID); err != nil {
		t.Errorf("deleting the workspace deleted its document: %v", err)
	}
	if n := memberships(t, s); n != 0 {
		t.Errorf("%d memberships left after the workspace went", n)
	}

	mine := store.Workspace{Name: "Carol's", Visibility: store.VisibilityMembers, Owner: w.carol.UserID}
	must(t, s.CreateWorkspace(ctx, &mine))
	shared := store.Workspace{Name: "With carol", Visibility: store.VisibilityMembers, Owner: w.alice.UserID}
	must(t, s.CreateWorkspace(ctx, &shared))
	if _, err := s.SetMember(ctx, w.alice, shared.ID, w.carol.UserID, store.AccessWrite); err != nil {
		t.Fatal(err)
	}
	must(t, s.AddToWorkspace(ctx, w.carol, shared.ID, w.carolDoc.ID))
	if _, err := s.DeleteUser(ctx, w.carol.UserID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Workspace(ctx, w.carol, mine.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a deleted user's workspace survives: %v", err)
	}
	if got, _ := s.Workspace(ctx, w.alice, shared.ID); len(got.Members) != 0 {
		t.Errorf("a deleted user is still a member: %+v", got.Members)
	}
	if ids, _ := s.WorkspaceDocuments(ctx, w.alice, shared.ID); len(ids) != 0 {
		t.Errorf("a deleted user's document is still in a workspace: %v", ids)
	}
	if r, _ := s.Check(ctx); !r.OK() {
		t.Errorf("check: %+v", r.Problems)
	}
}

// memberships counts the memberships s exports.
func memberships(t *testing.T, s store.Store) int {
	n := 0
	must(t, s.Export(context.Background(), func(r store.Record) error {
		if r.Membership != nil {
			n++
		}
		return nil
	}))
	return n
}

func testLibraryWorkspace(t *testing.T, s store.Store) {
	ctx := context.Background()
	w := newWSWorld(t, s)
	list, _ := s.Workspaces(ctx, w.carol)
	if len(list) != 1 || list[0].Name != store.LibraryName || !list[0].Library || list[0].Visibility != store.VisibilityEveryone || list[0].Owner != store.Shared {
		t.Fatalf("carol's workspaces: %+v", list)
	}
	lib := list[0]
	doc := store.Document{Owner: store.Shared, Filename: "handbook.md", SHA256: Sha("handbook")}
	create(t, s, &doc)
	if ids, _ := s.WorkspaceDocuments(ctx, w.carol, lib.ID); !slices.Equal(ids, []uint64{doc.ID}) {
		t.Errorf("the library's workspace holds %v, want the shared document %d", ids, doc.ID)
	}
	if sc, _ := s.ScopeOf(ctx, w.carol, lib.ID); !slices.Equal(sc.Owners, []uint64{store.Shared}) || len(sc.Documents) != 0 {
		t.Errorf("the library's scope: %+v", sc)
	}
	admin := store.Viewer{UserID: w.carol.UserID, Admin: true}
	if err := s.DeleteWorkspace(ctx, admin, lib.ID); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("the library's workspace deleted: %v", err)
	}
	if err := s.RemoveFromWorkspace(ctx, admin, lib.ID, doc.ID); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("a shared document taken out of the library: %v", err)
	}
	if err := s.AddToWorkspace(ctx, w.carol, lib.ID, w.carolDoc.ID); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("a user adds to the library: %v", err)
	}
	must(t, s.AddToWorkspace(ctx, admin, lib.ID, w.carolDoc.ID))
	if _, err := s.Document(ctx, w.bob, w.carolDoc.ID); err != nil {
		t.Errorf("a document added to the library is not readable by all: %v", err)
	}
	must(t, s.RemoveFromWorkspace(ctx, admin, lib.ID, w.carolDoc.ID))
	if _, err := s.Document(ctx, w.bob, w.carolDoc.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a document taken out of the library is still readable by all: %v", err)
	}
}

func testConversationScope(t *testing.T, s store.Store) {
	ctx := context.Background()
	w := newWSWorld(t, s)
	c := store.Conversation{UserID: w.bob.UserID, Title: "t", Workspace: w.team.ID}
	must(t, s.CreateConversation(ctx, &c))
	got, err := s.UpdateConversation(ctx, w.bob.UserID, c.ID, func(x *store.Conversation) {
		x.Workspace, x.DocumentIDs, x.UserID, x.ID = 0, []uint64{w.aliceDoc.ID}, 999, 999
	})
	if err != nil || got.ID != c.ID || got.UserID != w.bob.UserID || got.Workspace != 0 || !slices.Equal(got.DocumentIDs, []uint64{w.aliceDoc.ID}) ||
		!got.UpdatedAt.After(c.UpdatedAt) && !got.UpdatedAt.Equal(c.UpdatedAt) {
		t.Errorf("UpdateConversation = %+v %v", got, err)
	}
	if again, _ := s.Conversation(ctx, w.bob.UserID, c.ID); !slices.Equal(again.DocumentIDs, []uint64{w.aliceDoc.ID}) || again.Title != "t" {
		t.Errorf("stored: %+v", again)
	}
	if _, err := s.UpdateConversation(ctx, w.carol.UserID, c.ID, func(*store.Conversation) {}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("carol updates bob's conversation: %v", err)
	}
}

// A document created with Document.Workspace is in that workspace from
// its first moment (a watched folder's); one naming a workspace that is
// gone is not created at all; the library's own documents need no link.
func testCreateIntoWorkspace(t *testing.T, s store.Store) {
	ctx := context.Background()
	w := newWSWorld(t, s)
	d := store.Document{Owner: w.alice.UserID, Filename: "watched.md", SHA256: Sha("watched"), Workspace: w.team.ID}
	create(t, s, &d)
	if _, err := s.Document(ctx, w.bob, d.ID); err != nil {
		t.Errorf("bob, a member, cannot read the document created into the workspace: %v", err)
	}
	if ids, _ := s.WorkspaceDocuments(ctx, w.alice, w.team.ID); !slices.Contains(ids, d.ID) {
		t.Errorf("the workspace holds %v, not the new document %d", ids, d.ID)
	}
	before, _ := s.OwnedDocuments(ctx, w.alice.UserID)
	gone := store.Document{Owner: w.alice.UserID, Filename: "lost.md", SHA256: Sha("lost"), Workspace: 98765}
	if _, _, err := s.CreateDocument(ctx, &gone); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a document into a missing workspace: %v, want ErrNotFound", err)
	}
	if after, _ := s.OwnedDocuments(ctx, w.alice.UserID); len(after) != len(before) {
		t.Errorf("the refused document was created: %d documents, want %d", len(after), len(before))
	}
	libs, err := s.Workspaces(ctx, w.carol)
	must(t, err)
	lib := libs[slices.IndexFunc(libs, func(x store.Workspace) bool { return x.Library })]
	shared := store.Document{Owner: store.Shared, Filename: "handbook.md", SHA256: Sha("handbook"), Workspace: lib.ID}
	create(t, s, &shared)
	if _, err := s.Document(ctx, w.carol, shared.ID); err != nil {
		t.Errorf("a shared document created into the library: %v", err)
	}
	if r, _ := s.Check(ctx); !r.OK() {
		t.Errorf("check: %+v", r.Problems)
	}
}
