package api

import (
	"net/http"
	"strings"
	"testing"
)

// signUp posts a registration for name (password "password-<name>") with
// an optional invite.
func (e *testEnv) signUp(name, invite string) response {
	e.t.Helper()
	body := map[string]string{"username": name, "email": name + "@example.com", "password": "password-" + name}
	if invite != "" {
		body["invite"] = invite
	}
	return e.do("POST", "/api/v1/auth/register", "", body)
}

// tryLogin returns the status of a login as name with its password.
func (e *testEnv) tryLogin(name string) response {
	e.t.Helper()
	return e.do("POST", "/api/v1/auth/token", "", map[string]string{"username": name, "password": "password-" + name})
}

// Registration modes: after the first account (always the admin, in every
// mode), open gives active accounts, approval makes them wait for an admin,
// invite takes single-use codes and closed leaves it to admins.
func TestRegistrationModes(t *testing.T) {
	for _, mode := range []Registration{RegistrationOpen, RegistrationApproval, RegistrationInvite, RegistrationClosed} {
		t.Run(string(mode), func(t *testing.T) {
			e := newTestEnv(t, Config{Registration: mode})
			var info struct {
				Mode         string `json:"mode"`
				FirstAccount bool   `json:"first_account"`
			}
			e.do("GET", "/api/v1/auth/registration", "", nil).JSON(t, &info)
			if info.Mode != string(mode) || !info.FirstAccount {
				t.Errorf("registration info on a fresh server: %+v", info)
			}
			r := e.signUp("root", "")
			expect(t, "the first account", r, http.StatusCreated)
			var root userJSON
			r.JSON(t, &root)
			if root.Role != "admin" || !root.IsActive {
				t.Fatalf("the first account is %+v, want an active admin", root)
			}
			admin := e.login("root", "password-root")
			e.do("GET", "/api/v1/auth/registration", "", nil).JSON(t, &info)
			if info.FirstAccount {
				t.Error("first_account after the first account")
			}

			r = e.signUp("ann", "")
			switch mode {
			case RegistrationOpen:
				expect(t, "open", r, http.StatusCreated)
				expect(t, "login", e.tryLogin("ann"), http.StatusOK)
			case RegistrationApproval:
				approval(t, e, admin, r)
			case RegistrationInvite:
				expect(t, "invite mode without an invite", r, http.StatusForbidden)
				if p := problemOf(t, "no invite", r); !strings.Contains(p.Detail, "invite") {
					t.Errorf("the refusal %q does not say an invite is needed", p.Detail)
				}
				invites(t, e, admin)
			case RegistrationClosed:
				expect(t, "closed", r, http.StatusForbidden)
				expect(t, "closed, with an invite", e.signUp("ann", inviteCode(t, e, admin)), http.StatusForbidden)
				r = e.do("POST", "/api/v1/users", admin, map[string]string{"username": "ann", "email": "ann@example.com", "password": "password-ann"})
				expect(t, "an admin adds ann", r, http.StatusCreated)
				expect(t, "ann added by the admin logs in", e.tryLogin("ann"), http.StatusOK)
			}
		})
	}
}

// approval: ann's registration r waits: 202 without an id, her right
// password says so (403) while a wrong one is the usual 401, the admin sees
// her as pending and activating her lets her in.
func approval(t *testing.T, e *testEnv, admin string, r response) {
	expect(t, "approval", r, http.StatusAccepted)
	var p pendingJSON
	r.JSON(t, &p)
	if !p.Pending || p.IsActive || strings.Contains(string(r.Body), `"id"`) {
		t.Errorf("the 202 body %s: want pending, inactive, no id", r.Body)
	}
	r = e.tryLogin("ann")
	expect(t, "ann's right password while pending", r, http.StatusForbidden)
	if !strings.Contains(r.Detail(), "approval") {
		t.Errorf("pending login says %q", r.Detail())
	}
	expect(t, "a wrong password while pending", e.do("POST", "/api/v1/auth/token", "", map[string]string{"username": "ann", "password": "nope-nope"}), http.StatusUnauthorized)
	var users []userJSON
	e.do("GET", "/api/v1/users", admin, nil).JSON(t, &users)
	var ann *userJSON
	for i := range users {
		if users[i].Username == "ann" {
			ann = &users[i]
		}
	}
	if ann == nil || !ann.Pending || ann.IsActive {
		t.Fatalf("the admin's list shows ann as %+v, want pending and inactive", ann)
	}
	r = e.do("PATCH", sprintf("/api/v1/users/%d", ann.ID), admin, map[string]bool{"is_active": true})
	expect(t, "approve ann", r, http.StatusOK)
	if strings.Contains(string(r.Body), `"pending"`) {
		t.Errorf("approved ann is still pending: %s", r.Body)
	}
	expect(t, "approved ann logs in", e.tryLogin("ann"), http.StatusOK)
	r = e.signUp("bob", inviteCode(t, e, admin))
	expect(t, "an invite skips the approval", r, http.StatusCreated)
	expect(t, "bob with an invite logs in", e.tryLogin("bob"), http.StatusOK)
}

// inviteCode makes an invite as admin and returns its code.
func inviteCode(t *testing.T, e *testEnv, admin string) string {
	t.Helper()
	r := e.do("POST", "/api/v1/invites", admin, nil)
	expect(t, "make an invite", r, http.StatusCreated)
	var inv inviteJSON
	r.JSON(t, &inv)
	if !strings.HasPrefix(inv.Code, "inv_") || inv.ExpiresAt.IsZero() {
		t.Fatalf("invite %+v", inv)
	}
	return inv.Code
}

// invites: a code registers one account; used, unknown, expired and
// withdrawn codes are refused alike, and lists never show a code.
func invites(t *testing.T, e *testEnv, admin string) {
	code := inviteCode(t, e, admin)
	expect(t, "a made-up invite", e.signUp("ann", "inv_0000000000000000000000"), http.StatusForbidden)
	expect(t, "ann with the invite", e.signUp("ann", code), http.StatusCreated)
	expect(t, "ann logs in", e.tryLogin("ann"), http.StatusOK)
	r := e.signUp("bob", code)
	expect(t, "the same invite again", r, http.StatusForbidden)
	if !strings.Contains(r.Detail(), "used or expired") {
		t.Errorf("a used invite is refused with %q", r.Detail())
	}
	short := e.do("POST", "/api/v1/invites", admin, map[string]int{"expires_in": 10})
	expect(t, "an invite of 10 seconds", short, http.StatusUnprocessableEntity)
	withdrawn := inviteCode(t, e, admin)
	var list []inviteJSON
	e.do("GET", "/api/v1/invites", admin, nil).JSON(t, &list)
	if len(list) != 2 || list[0].Code != "" || list[1].UsedBy == 0 {
		t.Errorf("the invite list %+v: want two, no codes, the first used", list)
	}
	expect(t, "withdraw", e.do("DELETE", sprintf("/api/v1/invites/%d", list[0].ID), admin, nil), http.StatusNoContent)
	expect(t, "a withdrawn invite", e.signUp("carl", withdrawn), http.StatusForbidden)
}

// Finding 9 (registration part): registration told which usernames and
// emails were taken (409). In approval mode, the default, a taken name or
// email is answered exactly like a free one and creates nothing.
func TestApprovalRegistrationDoesNotTellTakenNames(t *testing.T) {
	e := newTestEnv(t, Config{Registration: RegistrationApproval})
	e.register("root")
	expect(t, "ann", e.signUp("ann", ""), http.StatusAccepted)
	shape := func(r response) string {
		body := strings.NewReplacer("ann", "NAME", "zed", "NAME").Replace(string(r.Body))
		return sprintf("%d %s %s", r.Status, r.Header.Get("Content-Type"), body)
	}
	free := e.signUp("zed", "")
	for name, body := range map[string]map[string]string{
		"taken username": {"username": "ann", "email": "zed@example.com", "password": "password-zed"},
		"taken email":    {"username": "zed", "email": "ann@example.com", "password": "password-zed"},
	} {
		r := e.do("POST", "/api/v1/auth/register", "", body)
		if name == "taken email" { // the body echoes the email it was sent
			r.Body = []byte(strings.Replace(string(r.Body), "zed@", "ann@", 1))
		}
		if shape(r) != shape(free) {
			t.Errorf("%s answers differently from a free name:\n%s\n%s", name, shape(r), shape(free))
		}
	}
	if n, _ := e.db.CountUsers(t.Context()); n != 3 {
		t.Errorf("%d accounts, want root, ann and zed", n)
	}
	// Open registration, where the account is usable at once, says so.
	o := newTestEnv(t, Config{Registration: RegistrationOpen})
	o.register("root")
	expect(t, "open, taken name", o.signUp("root", ""), http.StatusConflict)
}

// Every mode keeps the per-address limit on registrations.
func TestRegistrationRateLimitedInEveryMode(t *testing.T) {
	for _, mode := range []Registration{RegistrationOpen, RegistrationApproval, RegistrationInvite, RegistrationClosed} {
		e := newTestEnv(t, Config{Registration: mode, RegisterRate: 3})
		var r response
		for i := range 4 {
			r = e.signUp(sprintf("user%d", i), "")
		}
		expect(t, string(mode)+": 4th registration in a minute", r, http.StatusTooManyRequests)
	}
}
