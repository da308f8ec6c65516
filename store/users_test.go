package store

import (
	"context"
	"errors"
	"sync"
	"testing"
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
