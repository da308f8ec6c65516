package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"docent/store"
)

func testUsers(t *testing.T, db store.Store) {
	ctx := context.Background()
	ann := store.User{Username: "Ann", Email: "ann@example.com", Role: store.RoleUser}
	bob := store.User{Username: "bob", Email: "bob@example.com"}
	for _, u := range []*store.User{&ann, &bob} {
		must(t, db.CreateUser(ctx, u))
	}
	if ann.Role != store.RoleAdmin || bob.Role != store.RoleUser {
		t.Errorf("roles ann=%s bob=%s, want first admin then user", ann.Role, bob.Role)
	}
	if ann.ID == 0 || bob.ID == ann.ID || ann.CreatedAt.IsZero() || !ann.UpdatedAt.Equal(ann.CreatedAt) {
		t.Errorf("ids and times not assigned: %+v %+v", ann, bob)
	}
	tests := []struct {
		name  string
		user  store.User
		field string
	}{
		{"same username other case", store.User{Username: "ANN", Email: "x@example.com"}, "username"},
		{"same email other case", store.User{Username: "carl", Email: "BOB@example.com"}, "email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.CreateUser(ctx, &tt.user)
			if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("got %v, want ErrConflict naming %s", err, tt.field)
			}
		})
	}
	if n, err := db.CountUsers(ctx); err != nil || n != 2 {
		t.Errorf("CountUsers = %d, %v; a refused user was counted", n, err)
	}
	if got, err := db.UserByLogin(ctx, "BOB@EXAMPLE.COM"); err != nil || got.ID != bob.ID {
		t.Errorf("login by email: %v %v", got.ID, err)
	}
	if got, err := db.UserByLogin(ctx, "ann"); err != nil || got.ID != ann.ID || got.Username != "Ann" {
		t.Errorf("login by username: %+v %v", got, err)
	}
	if got, err := db.UserByID(ctx, bob.ID); err != nil || got.Email != "bob@example.com" || !got.CreatedAt.Equal(bob.CreatedAt) {
		t.Errorf("UserByID: %+v %v", got, err)
	}
	if _, err := db.UserByID(ctx, 999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing user: %v", err)
	}
	// Renaming frees the old name and refuses a taken one.
	if _, err := db.UpdateUser(ctx, bob.ID, func(u *store.User) error { u.Username = "ann"; return nil }); !errors.Is(err, store.ErrConflict) {
		t.Errorf("rename to taken name: %v", err)
	}
	if _, err := db.UpdateUser(ctx, bob.ID, func(u *store.User) error { u.Username = "robert"; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UserByLogin(ctx, "bob"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old username still resolves: %v", err)
	}
	carl := store.User{Username: "bob", Email: "carl@example.com"}
	if err := db.CreateUser(ctx, &carl); err != nil {
		t.Errorf("freed username not reusable: %v", err)
	}
	users, _ := db.Users(ctx, 1, 1)
	if len(users) != 1 || users[0].ID != bob.ID {
		t.Errorf("skip/limit page: %+v", users)
	}
	if all, _ := db.Users(ctx, 0, 0); len(all) != 3 || all[0].ID != ann.ID || all[2].ID != carl.ID {
		t.Errorf("all users in id order: %+v", all)
	}
}

// testConcurrentFirstUser: several accounts created at once still make
// exactly one admin (two replicas taking the first registration).
func testConcurrentFirstUser(t *testing.T, db store.Store) {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := store.User{Username: fmt.Sprintf("u%d", i), Email: fmt.Sprintf("u%d@example.com", i)}
			errs <- db.CreateUser(ctx, &u)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	users, err := db.Users(ctx, 0, 0)
	must(t, err)
	admins := 0
	for _, u := range users {
		if u.IsAdmin() {
			admins++
		}
	}
	if len(users) != 8 || admins != 1 {
		t.Errorf("%d users, %d admins; want 8 and exactly 1", len(users), admins)
	}
}

func testUpdateUser(t *testing.T, db store.Store) {
	ctx := context.Background()
	must(t, db.CreateUser(ctx, &store.User{Username: "root", Email: "root@example.com"})) // the admin
	u := store.User{Username: "ann", Email: "ann@example.com", PasswordHash: "old"}
	must(t, db.CreateUser(ctx, &u))
	time.Sleep(2 * time.Millisecond)
	got, err := db.UpdateUser(ctx, u.ID, func(x *store.User) error {
		x.ID, x.CreatedAt = 77, time.Time{} // ignored
		x.SetPassword("new")
		x.SetActive(false)
		return nil
	})
	must(t, err)
	if got.ID != u.ID || !got.CreatedAt.Equal(u.CreatedAt) || !got.UpdatedAt.After(u.UpdatedAt) {
		t.Errorf("identity or times not kept: %+v (was %+v)", got, u)
	}
	again, _ := db.UserByID(ctx, u.ID)
	if again.PasswordHash != "new" || again.Active || again.TokenVersion != u.TokenVersion+1 {
		t.Errorf("update not stored: %+v", again)
	}
	boom := errors.New("refused")
	if _, err := db.UpdateUser(ctx, u.ID, func(x *store.User) error { x.Email = "z@example.com"; return boom }); !errors.Is(err, boom) {
		t.Errorf("fn's error: %v", err)
	}
	if again, _ := db.UserByID(ctx, u.ID); again.Email != "ann@example.com" {
		t.Errorf("a refused update was stored: %+v", again)
	}
	if _, err := db.UpdateUser(ctx, 999, func(*store.User) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("updating a missing user: %v", err)
	}
}

func testConversations(t *testing.T, db store.Store) {
	ctx := context.Background()
	must(t, db.CreateUser(ctx, &store.User{Username: "root", Email: "root@x.io"})) // the admin
	ann, bob := store.User{Username: "ann", Email: "a@x.io"}, store.User{Username: "bob", Email: "b@x.io"}
	must(t, db.CreateUser(ctx, &ann))
	must(t, db.CreateUser(ctx, &bob))
	if err := db.CreateConversation(ctx, &store.Conversation{UserID: 999}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a conversation of a missing user: %v", err)
	}
	first := store.Conversation{UserID: ann.ID, Title: "first"}
	second := store.Conversation{UserID: ann.ID}
	must(t, db.CreateConversation(ctx, &first))
	must(t, db.CreateConversation(ctx, &second))
	for i, text := range []string{"one", "two", "three"} {
		m := store.Message{ConversationID: first.ID, Role: store.RoleUserMessage, Content: text, TokensUsed: i}
		if i == 2 {
			m.Role, m.Mode, m.Model, m.Partial = store.RoleAssistantMessage, "llm", "m", true
			m.Sources = []store.Source{{DocumentID: 3, Filename: "f.pdf", ChunkIndex: 2, Page: 4, EndPage: 5, Score: 0.25, Text: "t"}}
		}
		if err := db.AddMessage(ctx, ann.ID, &m); err != nil || m.ID == 0 || m.CreatedAt.IsZero() {
			t.Fatalf("message %d: %+v %v", i, m, err)
		}
	}
	list, _ := db.Conversations(ctx, ann.ID, 0, 100)
	if len(list) != 2 || list[0].ID != first.ID {
		t.Errorf("most recently active first: got %+v", list)
	}
	if page, _ := db.Conversations(ctx, ann.ID, 1, 1); len(page) != 1 || page[0].ID != second.ID {
		t.Errorf("skip/limit: %+v", page)
	}
	msgs, _ := db.Messages(ctx, ann.ID, first.ID, 0, 100)
	if len(msgs) != 3 || msgs[0].Content != "one" || msgs[2].Content != "three" {
		t.Fatalf("messages oldest first: %+v", msgs)
	}
	if m := msgs[2]; !m.Partial || m.Mode != "llm" || len(m.Sources) != 1 || m.Sources[0].EndPage != 5 || m.TokensUsed != 2 {
		t.Errorf("assistant message round trip: %+v", m)
	}
	if page, _ := db.Messages(ctx, ann.ID, first.ID, 1, 1); len(page) != 1 || page[0].Content != "two" {
		t.Errorf("messages skip/limit: %+v", page)
	}
	recent, _ := db.RecentMessages(ctx, ann.ID, first.ID, 2)
	if len(recent) != 2 || recent[0].Content != "two" || recent[1].Content != "three" {
		t.Errorf("recent window: %+v", recent)
	}
	if err := db.SetTitleIfEmpty(ctx, ann.ID, first.ID, "auto"); err != nil {
		t.Fatal(err)
	}
	must(t, db.SetTitleIfEmpty(ctx, ann.ID, second.ID, "auto"))
	if c, _ := db.Conversation(ctx, ann.ID, first.ID); c.Title != "first" {
		t.Errorf("SetTitleIfEmpty replaced a title: %q", c.Title)
	}
	if c, _ := db.Conversation(ctx, ann.ID, second.ID); c.Title != "auto" {
		t.Errorf("SetTitleIfEmpty left an empty title: %q", c.Title)
	}
	renamed, err := db.RenameConversation(ctx, ann.ID, second.ID, "renamed")
	if err != nil || renamed.Title != "renamed" || !renamed.UpdatedAt.After(second.UpdatedAt) {
		t.Errorf("rename: %+v %v", renamed, err)
	}

	// Bob sees none of it.
	foreign := []struct {
		name string
		call func() error
	}{
		{"get", func() error { _, err := db.Conversation(ctx, bob.ID, first.ID); return err }},
		{"rename", func() error { _, err := db.RenameConversation(ctx, bob.ID, first.ID, "x"); return err }},
		{"title", func() error { return db.SetTitleIfEmpty(ctx, bob.ID, first.ID, "x") }},
		{"delete", func() error { return db.DeleteConversation(ctx, bob.ID, first.ID) }},
		{"messages", func() error { _, err := db.Messages(ctx, bob.ID, first.ID, 0, 10); return err }},
		{"recent", func() error { _, err := db.RecentMessages(ctx, bob.ID, first.ID, 10); return err }},
		{"add message", func() error {
			return db.AddMessage(ctx, bob.ID, &store.Message{ConversationID: first.ID, Role: "user", Content: "hi"})
		}},
	}
	for _, f := range foreign {
		if err := f.call(); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("bob %s on ann's conversation: %v, want ErrNotFound", f.name, err)
		}
	}
	if list, _ := db.Conversations(ctx, bob.ID, 0, 100); len(list) != 0 {
		t.Errorf("bob lists ann's conversations: %+v", list)
	}

	must(t, db.DeleteConversation(ctx, ann.ID, first.ID))
	if r, _ := db.Check(ctx); r.Messages != 0 || r.Conversations != 1 || !r.OK() {
		t.Errorf("after deleting a conversation: %d messages, %d conversations left, problems %+v", r.Messages, r.Conversations, r.Problems)
	}
	if _, err := db.DeleteUser(ctx, ann.ID); err != nil {
		t.Fatal(err)
	}
	if r, _ := db.Check(ctx); r.Conversations != 0 || r.Users != 2 {
		t.Errorf("after deleting their user: %d conversations, %d users", r.Conversations, r.Users)
	}
	if _, err := db.UserByLogin(ctx, "ann"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted user still logs in: %v", err)
	}
	if _, err := db.DeleteUser(ctx, ann.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting a deleted user: %v", err)
	}
}

func testAPIKeys(t *testing.T, db store.Store) {
	ctx := context.Background()
	ann, bob := store.User{Username: "ann", Email: "ann@example.com"}, store.User{Username: "bob", Email: "bob@example.com"}
	must(t, db.CreateUser(ctx, &ann))
	must(t, db.CreateUser(ctx, &bob))
	ann, _ = db.UpdateUser(ctx, ann.ID, func(u *store.User) error { u.RevokeCredentials(); return nil })
	hash := strings.Repeat("ab", 32)
	k := store.APIKey{UserID: ann.ID, Name: "laptop", Scope: store.ScopeRead, Prefix: "dk_abcdefgh", Hash: hash}
	must(t, db.CreateKey(ctx, &k))
	if k.ID == 0 || k.CreatedAt.IsZero() || k.TokenVersion != ann.TokenVersion {
		t.Errorf("created key %+v: no id, time or ann's credential generation %d", k, ann.TokenVersion)
	}
	if err := db.CreateKey(ctx, &store.APIKey{UserID: bob.ID, Hash: hash}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a second key with the same hash: %v", err)
	}
	if err := db.CreateKey(ctx, &store.APIKey{UserID: 999, Hash: strings.Repeat("cd", 32)}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a key for a missing user: %v", err)
	}
	got, err := db.KeyByHash(ctx, hash)
	if err != nil || got.ID != k.ID || got.Name != "laptop" || got.Scope != store.ScopeRead || got.Prefix != "dk_abcdefgh" {
		t.Fatalf("KeyByHash = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "zz", strings.Repeat("00", 32)} {
		if _, err := db.KeyByHash(ctx, bad); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("KeyByHash(%q) = %v", bad, err)
		}
	}
	used := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	must(t, db.TouchKey(ctx, k.ID, used))
	if keys, _ := db.Keys(ctx, ann.ID); len(keys) != 1 || !keys[0].LastUsedAt.Equal(used) {
		t.Errorf("ann's keys after use: %+v", keys)
	}
	if keys, _ := db.Keys(ctx, bob.ID); len(keys) != 0 {
		t.Errorf("bob lists ann's keys: %+v", keys)
	}
	if err := db.DeleteKey(ctx, store.Viewer{UserID: bob.ID}, k.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bob revokes ann's key: %v", err)
	}
	k2 := store.APIKey{UserID: bob.ID, Name: "ci", Scope: store.ScopeWrite, Hash: strings.Repeat("ef", 32)}
	must(t, db.CreateKey(ctx, &k2))
	if all, _ := db.AllKeys(ctx); len(all) != 2 || all[0].ID != k.ID || all[1].ID != k2.ID {
		t.Errorf("all keys by user: %+v", all)
	}
	must(t, db.DeleteKey(ctx, store.Viewer{UserID: ann.ID}, k.ID))
	if _, err := db.KeyByHash(ctx, hash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a revoked key is still found: %v", err)
	}
	if err := db.TouchKey(ctx, k.ID, used); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("touching a revoked key: %v", err)
	}
	if err := db.DeleteKey(ctx, store.Viewer{UserID: ann.ID, Admin: true}, k2.ID); err != nil {
		t.Errorf("an admin revokes anyone's key: %v", err)
	}

	// Deleting a user takes their keys along.
	k3 := store.APIKey{UserID: bob.ID, Name: "ci", Scope: store.ScopeWrite, Hash: strings.Repeat("12", 32)}
	must(t, db.CreateKey(ctx, &k3))
	if _, err := db.DeleteUser(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.KeyByHash(ctx, k3.Hash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a deleted user's key is still found: %v", err)
	}
	if all, _ := db.AllKeys(ctx); len(all) != 0 {
		t.Errorf("keys left after every key went: %+v", all)
	}
	if r, _ := db.Check(ctx); !r.OK() {
		t.Errorf("check: %+v", r.Problems)
	}
}
