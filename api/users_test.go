package api

import (
	"net/http"
	"testing"
)

func TestUsersAdminOnlyAndSelfService(t *testing.T) {
	e := newTestEnv(t, Config{})
	admin := e.register("admin")
	bob := e.register("bob")
	carl := e.register("carl")

	expect(t, "user lists users", e.do("GET", "/api/v1/users", bob.Token, nil), http.StatusForbidden)
	expect(t, "user changes a role", e.do("PATCH", sprintf("/api/v1/users/%d", carl.ID), bob.Token, map[string]any{"role": "admin"}), http.StatusForbidden)
	r := e.do("GET", "/api/v1/users?limit=2", admin.Token, nil)
	expect(t, "admin lists users", r, http.StatusOK)
	var users []userJSON
	r.JSON(t, &users)
	if len(users) != 2 || users[0].Username != "admin" {
		t.Errorf("limit=2 gave %+v", users)
	}
	expect(t, "limit over 1000", e.do("GET", "/api/v1/users?limit=1001", admin.Token, nil), 422)
	expect(t, "negative skip", e.do("GET", "/api/v1/users?skip=-1", admin.Token, nil), 422)

	r = e.do("PATCH", "/api/v1/users/me", bob.Token, map[string]string{"username": "robert", "email": "robert@example.com"})
	expect(t, "rename self", r, http.StatusOK)
	var me userJSON
	r.JSON(t, &me)
	if me.Username != "robert" || me.Email != "robert@example.com" {
		t.Errorf("after rename: %+v", me)
	}
	expect(t, "rename to taken", e.do("PATCH", "/api/v1/users/me", bob.Token, map[string]string{"username": "carl"}), http.StatusConflict)
	expect(t, "invalid email", e.do("PATCH", "/api/v1/users/me", bob.Token, map[string]string{"email": "nope"}), 422)
	expect(t, "short password", e.do("PATCH", "/api/v1/users/me", bob.Token, map[string]string{"password": "short"}), 422)

	expect(t, "bob deletes carl", e.do("DELETE", sprintf("/api/v1/users/%d", carl.ID), bob.Token, nil), http.StatusNotFound)
	expect(t, "admin deletes self as last admin", e.do("DELETE", sprintf("/api/v1/users/%d", admin.ID), admin.Token, nil), http.StatusConflict)
	expect(t, "admin demotes self as last admin", e.do("PATCH", sprintf("/api/v1/users/%d", admin.ID), admin.Token, map[string]any{"role": "user"}), http.StatusConflict)
	expect(t, "admin deletes carl", e.do("DELETE", sprintf("/api/v1/users/%d", carl.ID), admin.Token, nil), http.StatusNoContent)
	expect(t, "carl's token", e.do("GET", "/api/v1/auth/me", carl.Token, nil), http.StatusUnauthorized)
	expect(t, "bob deletes self", e.do("DELETE", sprintf("/api/v1/users/%d", bob.ID), bob.Token, nil), http.StatusNoContent)
	expect(t, "bob's token", e.do("GET", "/api/v1/auth/me", bob.Token, nil), http.StatusUnauthorized)
	expect(t, "delete missing", e.do("DELETE", "/api/v1/users/999", admin.Token, nil), http.StatusNotFound)
}
