package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// The store keeps an active admin: demoting, deactivating or deleting the
// last one fails with ErrLastAdmin and changes nothing, and two admins
// demoting each other at once leave exactly one, because the check runs in
// the transaction that makes the change.
func TestLastActiveAdminIsKept(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	ann := User{Username: "ann", Email: "ann@example.com", PasswordHash: "x", Active: true}
	bob := User{Username: "bob", Email: "bob@example.com", PasswordHash: "x", Active: true}
	for _, u := range []*User{&ann, &bob} {
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for name, fn := range map[string]func(*User) error{
		"demote":     func(u *User) error { u.Role = RoleUser; return nil },
		"deactivate": func(u *User) error { u.SetActive(false); return nil },
	} {
		if _, err := db.UpdateUser(ctx, ann.ID, fn); !errors.Is(err, ErrLastAdmin) {
			t.Errorf("%s the last admin: %v, want ErrLastAdmin", name, err)
		}
	}
	if _, err := db.DeleteUser(ctx, ann.ID); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("delete the last admin: %v, want ErrLastAdmin", err)
	}
	if u, _ := db.UserByID(ctx, ann.ID); !u.IsAdmin() || !u.Active {
		t.Fatalf("a refused change changed ann: %+v", u)
	}
	if _, err := db.UpdateUser(ctx, ann.ID, func(u *User) error { u.Email = "ann@example.org"; return nil }); err != nil {
		t.Errorf("an admin's other changes: %v", err)
	}

	for round := range 50 {
		if _, err := db.UpdateUser(ctx, bob.ID, func(u *User) error { u.Role, u.Active = RoleAdmin, true; return nil }); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpdateUser(ctx, ann.ID, func(u *User) error { u.Role, u.Active = RoleAdmin, true; return nil }); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, id := range []uint64{ann.ID, bob.ID} {
			wg.Go(func() {
				_, errs[i] = db.UpdateUser(ctx, id, func(u *User) error { u.SetActive(false); return nil })
			})
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) || !errors.Is(errors.Join(errs...), ErrLastAdmin) {
			t.Fatalf("round %d: both demotions at once: %v", round, errs)
		}
	}
}

// An invite registers one active account before it expires; a used,
// expired, deleted or unknown code is ErrInvite, and a taken name leaves
// the invite unused.
func TestInvitesAreSingleUseAndExpire(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	db.now = func() time.Time { return now }
	admin := User{Username: "admin", Email: "admin@example.com", PasswordHash: "x", Active: true}
	if err := db.CreateUser(ctx, &admin); err != nil {
		t.Fatal(err)
	}
	inv := Invite{Hash: sha("code-1"), CreatedBy: admin.ID, ExpiresAt: now.Add(time.Hour)}
	old := Invite{Hash: sha("code-2"), CreatedBy: admin.ID, ExpiresAt: now.Add(time.Minute)}
	gone := Invite{Hash: sha("code-3"), CreatedBy: admin.ID, ExpiresAt: now.Add(time.Hour)}
	for _, i := range []*Invite{&inv, &old, &gone} {
		if err := db.CreateInvite(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	taken := User{Username: "ADMIN", Email: "other@example.com", PasswordHash: "x"}
	if err := db.CreateUserWithInvite(ctx, &taken, inv.Hash); !errors.Is(err, ErrConflict) {
		t.Fatalf("a taken name with an invite: %v", err)
	}
	ann := User{Username: "ann", Email: "ann@example.com", PasswordHash: "x", Pending: true}
	if err := db.CreateUserWithInvite(ctx, &ann, inv.Hash); err != nil {
		t.Fatalf("the invite, unused after the conflict: %v", err)
	}
	if u, _ := db.UserByID(ctx, ann.ID); !u.Active || u.Pending || u.IsAdmin() {
		t.Errorf("ann registered by invite: %+v, want an active user", u)
	}
	if err := db.DeleteInvite(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute)
	for name, hash := range map[string]string{"used": inv.Hash, "expired": old.Hash, "deleted": gone.Hash, "unknown": sha("nope"), "malformed": "zz"} {
		u := User{Username: "u-" + name, Email: name + "@example.com", PasswordHash: "x"}
		if err := db.CreateUserWithInvite(ctx, &u, hash); !errors.Is(err, ErrInvite) {
			t.Errorf("%s invite: %v, want ErrInvite", name, err)
		}
	}
	list, err := db.Invites(ctx)
	if err != nil || len(list) != 2 || list[1].UsedBy != ann.ID || list[0].UsedBy != 0 {
		t.Errorf("invites: %+v %v", list, err)
	}
	if n, _ := db.CountUsers(ctx); n != 2 {
		t.Errorf("%d users, want admin and ann", n)
	}
}
