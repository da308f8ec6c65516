package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// openTest opens a store in a fresh temporary directory.
func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), t.TempDir(), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenTwiceFailsFastWithClearError(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	_, err = Open(ctx, dir, Options{LockTimeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: got %v, want ErrLocked", err)
	}
	want := "data directory " + dir + " is in use by another docent process"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("second open took %v; it must fail at once", d)
	}
}

func TestMigrationsApplyOnceAndPersist(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := db.SchemaVersion(ctx)
	if v != len(migrations()) {
		t.Fatalf("schema version %d, want %d", v, len(migrations()))
	}
	u := User{Username: "ann", Email: "ann@example.com"}
	if err := db.CreateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.UserByID(ctx, u.ID); err != nil {
		t.Errorf("user lost across reopen: %v", err)
	}
	calls := 0
	steps := append(migrations(), migration{"count", func(_ *txAlias) error { calls++; return nil }})
	for range 2 {
		if err := db.migrate(ctx, steps); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 {
		t.Errorf("new migration ran %d times, want once", calls)
	}
	if err := db.migrate(ctx, steps[:1]); err == nil {
		t.Error("a store newer than the binary must be refused")
	}
}

func TestUsersUniqueAndFirstIsAdmin(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ann := User{Username: "Ann", Email: "ann@example.com", Role: RoleUser}
	bob := User{Username: "bob", Email: "bob@example.com"}
	for _, u := range []*User{&ann, &bob} {
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if ann.Role != RoleAdmin || bob.Role != RoleUser {
		t.Errorf("roles ann=%s bob=%s, want first admin then user", ann.Role, bob.Role)
	}
	tests := []struct {
		name  string
		user  User
		field string
	}{
		{"same username other case", User{Username: "ANN", Email: "x@example.com"}, "username"},
		{"same email other case", User{Username: "carl", Email: "BOB@example.com"}, "email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.CreateUser(ctx, &tt.user)
			if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("got %v, want ErrConflict naming %s", err, tt.field)
			}
		})
	}
	if got, err := db.UserByLogin(ctx, "BOB@EXAMPLE.COM"); err != nil || got.ID != bob.ID {
		t.Errorf("login by email: %v %v", got.ID, err)
	}
	if got, err := db.UserByLogin(ctx, "ann"); err != nil || got.ID != ann.ID {
		t.Errorf("login by username: %v %v", got.ID, err)
	}
	// Renaming frees the old name and refuses a taken one.
	if _, err := db.UpdateUser(ctx, bob.ID, func(u *User) error { u.Username = "ann"; return nil }); !errors.Is(err, ErrConflict) {
		t.Errorf("rename to taken name: %v", err)
	}
	if _, err := db.UpdateUser(ctx, bob.ID, func(u *User) error { u.Username = "robert"; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UserByLogin(ctx, "bob"); !errors.Is(err, ErrNotFound) {
		t.Errorf("old username still resolves: %v", err)
	}
	carl := User{Username: "bob", Email: "carl@example.com"}
	if err := db.CreateUser(ctx, &carl); err != nil {
		t.Errorf("freed username not reusable: %v", err)
	}
	users, _ := db.Users(ctx, 1, 1)
	if len(users) != 1 || users[0].ID != bob.ID {
		t.Errorf("skip/limit page: %+v", users)
	}
}

func TestConversationsScopedOrderedAndCascaded(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ann, bob := User{Username: "ann", Email: "a@x.io"}, User{Username: "bob", Email: "b@x.io"}
	db.CreateUser(ctx, &User{Username: "root", Email: "root@x.io"}) // the admin
	db.CreateUser(ctx, &ann)
	db.CreateUser(ctx, &bob)

	first := Conversation{UserID: ann.ID, Title: "first"}
	second := Conversation{UserID: ann.ID, Title: "second"}
	db.CreateConversation(ctx, &first)
	db.CreateConversation(ctx, &second)
	for i, text := range []string{"one", "two", "three"} {
		m := Message{ConversationID: first.ID, Role: RoleUserMessage, Content: text}
		if err := db.AddMessage(ctx, ann.ID, &m); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	list, _ := db.Conversations(ctx, ann.ID, 0, 100)
	if len(list) != 2 || list[0].ID != first.ID {
		t.Errorf("most recently active first: got %+v", list)
	}
	msgs, _ := db.Messages(ctx, ann.ID, first.ID, 0, 100)
	if len(msgs) != 3 || msgs[0].Content != "one" || msgs[2].Content != "three" {
		t.Errorf("messages oldest first: %+v", msgs)
	}
	recent, _ := db.RecentMessages(ctx, ann.ID, first.ID, 2)
	if len(recent) != 2 || recent[0].Content != "two" || recent[1].Content != "three" {
		t.Errorf("recent window: %+v", recent)
	}

	// Bob sees none of it.
	foreign := []struct {
		name string
		call func() error
	}{
		{"get", func() error { _, err := db.Conversation(ctx, bob.ID, first.ID); return err }},
		{"rename", func() error { _, err := db.RenameConversation(ctx, bob.ID, first.ID, "x"); return err }},
		{"delete", func() error { return db.DeleteConversation(ctx, bob.ID, first.ID) }},
		{"messages", func() error { _, err := db.Messages(ctx, bob.ID, first.ID, 0, 10); return err }},
		{"add message", func() error {
			return db.AddMessage(ctx, bob.ID, &Message{ConversationID: first.ID, Role: "user", Content: "hi"})
		}},
	}
	for _, f := range foreign {
		if err := f.call(); !errors.Is(err, ErrNotFound) {
			t.Errorf("bob %s on ann's conversation: %v, want ErrNotFound", f.name, err)
		}
	}

	if err := db.DeleteConversation(ctx, ann.ID, first.ID); err != nil {
		t.Fatal(err)
	}
	if n := countKeys(t, db, bucketMessages); n != 0 {
		t.Errorf("%d messages left after deleting their conversation", n)
	}
	if _, err := db.DeleteUser(ctx, ann.ID); err != nil {
		t.Fatal(err)
	}
	if n := countKeys(t, db, bucketConvs); n != 0 {
		t.Errorf("%d conversations left after deleting their user", n)
	}
	if _, err := db.UserByLogin(ctx, "ann"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted user still logs in: %v", err)
	}
}
