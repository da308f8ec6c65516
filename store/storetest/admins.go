package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"docent/store"
)

// testLastActiveAdmin: the store keeps an active admin. Demoting,
// deactivating or deleting the last one fails with ErrLastAdmin and
// changes nothing, and two admins demoting each other at once leave
// exactly one, because the check runs in the transaction that makes the
// change (on PostgreSQL, whichever replicas the two requests reach).
func testLastActiveAdmin(t *testing.T, db store.Store) {
	ctx := context.Background()
	ann := store.User{Username: "ann", Email: "ann@example.com", PasswordHash: "x", Active: true}
	bob := store.User{Username: "bob", Email: "bob@example.com", PasswordHash: "x", Active: true}
	for _, u := range []*store.User{&ann, &bob} {
		must(t, db.CreateUser(ctx, u))
	}
	for name, fn := range map[string]func(*store.User) error{
		"demote":     func(u *store.User) error { u.Role = store.RoleUser; return nil },
		"deactivate": func(u *store.User) error { u.SetActive(false); return nil },
	} {
		if _, err := db.UpdateUser(ctx, ann.ID, fn); !errors.Is(err, store.ErrLastAdmin) {
			t.Errorf("%s the last admin: %v, want ErrLastAdmin", name, err)
		}
	}
	if _, err := db.DeleteUser(ctx, ann.ID); !errors.Is(err, store.ErrLastAdmin) {
		t.Errorf("delete the last admin: %v, want ErrLastAdmin", err)
	}
	if u, _ := db.UserByID(ctx, ann.ID); !u.IsAdmin() || !u.Active {
		t.Fatalf("a refused change changed ann: %+v", u)
	}
	if _, err := db.UpdateUser(ctx, ann.ID, func(u *store.User) error { u.Email = "ann@example.org"; return nil }); err != nil {
		t.Errorf("an admin's other changes: %v", err)
	}
	for round := range 20 {
		for _, id := range []uint64{bob.ID, ann.ID} {
			if _, err := db.UpdateUser(ctx, id, func(u *store.User) error { u.Role, u.Active = store.RoleAdmin, true; return nil }); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, id := range []uint64{ann.ID, bob.ID} {
			wg.Go(func() {
				_, errs[i] = db.UpdateUser(ctx, id, func(u *store.User) error { u.SetActive(false); return nil })
			})
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) || !errors.Is(errors.Join(errs...), store.ErrLastAdmin) {
			t.Fatalf("round %d: both demotions at once: %v", round, errs)
		}
	}
	if _, err := db.DeleteUser(ctx, bob.ID); err != nil && !errors.Is(err, store.ErrLastAdmin) {
		t.Fatal(err)
	}
}

// testFirstUser: CreateFirstUser makes the first account, an active admin
// whatever it asked, and only that one.
func testFirstUser(t *testing.T, db store.Store) {
	ctx := context.Background()
	u := store.User{Username: "root", Email: "root@example.com", Role: store.RoleUser, Pending: true}
	must(t, db.CreateFirstUser(ctx, &u))
	if !u.IsAdmin() || !u.Active || u.Pending {
		t.Errorf("the first account: %+v", u)
	}
	second := store.User{Username: "ann", Email: "ann@example.com"}
	if err := db.CreateFirstUser(ctx, &second); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("a second first account: %v, want ErrForbidden", err)
	}
	if n, _ := db.CountUsers(ctx); n != 1 {
		t.Errorf("%d accounts", n)
	}
	pending := store.User{Username: "ann", Email: "ann@example.com", Pending: true}
	must(t, db.CreateUser(ctx, &pending))
	if got, _ := db.UserByID(ctx, pending.ID); !got.Pending || got.Active || got.IsAdmin() {
		t.Errorf("an account waiting for approval: %+v", got)
	}
	got, err := db.UpdateUser(ctx, pending.ID, func(u *store.User) error { u.SetActive(true); return nil })
	if err != nil || got.Pending || !got.Active {
		t.Errorf("approved: %+v %v", got, err)
	}
}

// testInvites: an invite registers one active account before it expires;
// a used, expired, deleted or unknown code is ErrInvite, and a taken name
// leaves the invite unused.
func testInvites(t *testing.T, db store.Store) {
	ctx := context.Background()
	now := time.Now()
	admin := store.User{Username: "admin", Email: "admin@example.com", PasswordHash: "x", Active: true}
	must(t, db.CreateUser(ctx, &admin))
	inv := store.Invite{Hash: Sha("code-1"), CreatedBy: admin.ID, ExpiresAt: now.Add(time.Hour)}
	old := store.Invite{Hash: Sha("code-2"), CreatedBy: admin.ID, ExpiresAt: now.Add(-time.Minute)}
	gone := store.Invite{Hash: Sha("code-3"), CreatedBy: admin.ID, ExpiresAt: now.Add(time.Hour)}
	for _, i := range []*store.Invite{&inv, &old, &gone} {
		must(t, db.CreateInvite(ctx, i))
		if i.ID == 0 || i.CreatedAt.IsZero() {
			t.Errorf("invite not numbered or dated: %+v", i)
		}
	}
	if err := db.CreateInvite(ctx, &store.Invite{Hash: inv.Hash, ExpiresAt: now.Add(time.Hour)}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a second invite with the same code: %v", err)
	}
	taken := store.User{Username: "ADMIN", Email: "other@example.com", PasswordHash: "x"}
	if err := db.CreateUserWithInvite(ctx, &taken, inv.Hash); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a taken name with an invite: %v", err)
	}
	ann := store.User{Username: "ann", Email: "ann@example.com", PasswordHash: "x", Pending: true}
	if err := db.CreateUserWithInvite(ctx, &ann, inv.Hash); err != nil {
		t.Fatalf("the invite, unused after the conflict: %v", err)
	}
	if u, _ := db.UserByID(ctx, ann.ID); !u.Active || u.Pending || u.IsAdmin() {
		t.Errorf("ann registered by invite: %+v, want an active user", u)
	}
	must(t, db.DeleteInvite(ctx, gone.ID))
	if err := db.DeleteInvite(ctx, gone.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting a deleted invite: %v", err)
	}
	for name, hash := range map[string]string{"used": inv.Hash, "expired": old.Hash, "deleted": gone.Hash, "unknown": Sha("nope"), "malformed": "zz"} {
		u := store.User{Username: "u-" + name, Email: name + "@example.com", PasswordHash: "x"}
		if err := db.CreateUserWithInvite(ctx, &u, hash); !errors.Is(err, store.ErrInvite) {
			t.Errorf("%s invite: %v, want ErrInvite", name, err)
		}
	}
	list, err := db.Invites(ctx)
	if err != nil || len(list) != 2 || list[0].ID != old.ID || list[1].UsedBy != ann.ID || list[0].UsedBy != 0 || list[1].UsedAt.IsZero() {
		t.Errorf("invites, newest first: %+v %v", list, err)
	}
	if n, _ := db.CountUsers(ctx); n != 2 {
		t.Errorf("%d users, want admin and ann", n)
	}
}
