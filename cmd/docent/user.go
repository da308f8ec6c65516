package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"docent/internal/auth"
	"docent/store"
)

type userCmd struct {
	Add        userAddCmd        `cmd:"" help:"Create an account."`
	List       userListCmd       `cmd:"" help:"List accounts."`
	Deactivate userDeactivateCmd `cmd:"" help:"Deactivate an account: it can no longer log in and its tokens stop working."`
	Activate   userActivateCmd   `cmd:"" help:"Activate an account: approve one waiting for approval, or re-activate a deactivated one."`
	Passwd     userPasswdCmd     `cmd:"" help:"Set an account's password (a forgotten one, too): its earlier tokens stop working."`
}

type userAddCmd struct {
	Name          string `arg:"" help:"Username (3-50 letters, digits, '.', '_' or '-')."`
	Email         string `name:"email" required:"" help:"Email address (also accepted as login)."`
	PasswordStdin bool   `name:"password-stdin" help:"Read the password from the first line of standard input (otherwise it is asked for on the terminal)."`
	Admin         bool   `name:"admin" help:"Make the account an admin (the first account always is)."`
}

func (c *userAddCmd) Run(ctx context.Context, g *Globals) error {
	// Every invalid field is named at once, before the password is asked for.
	if err := errors.Join(auth.ValidateUsername(c.Name), auth.ValidateEmail(c.Email)); err != nil {
		return err
	}
	db, err := openBackend(ctx, g) // a held data directory is said before the password is asked for
	if err != nil {
		return err
	}
	defer db.Close()
	hash, err := newPasswordHash(g, c.PasswordStdin)
	if err != nil {
		return err
	}
	u := store.User{Username: c.Name, Email: c.Email, PasswordHash: hash, Role: store.RoleUser, Active: true}
	if c.Admin {
		u.Role = store.RoleAdmin
	}
	if err := db.CreateUser(ctx, &u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("cannot add %s: %w", c.Name, err)
		}
		return err
	}
	fmt.Fprintf(g.stdout, "added %s <%s> (id %d, %s)\n", u.Username, u.Email, u.ID, u.Role)
	return nil
}

// readPassword reads the first line of stdin, or asks twice on a terminal.
func readPassword(g *Globals, fromStdin bool) (string, error) {
	return askPassword(g, fromStdin, true)
}

// askPassword reads the first line of stdin, or asks on a terminal (twice
// with confirm, to set a password).
func askPassword(g *Globals, fromStdin, confirm bool) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(g.stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", errors.New("no password on standard input")
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	f, ok := g.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("no terminal to ask for the password: use --password-stdin")
	}
	fmt.Fprint(g.stderr, "Password: ")
	first, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(g.stderr)
	if err != nil || !confirm {
		return string(first), err
	}
	fmt.Fprint(g.stderr, "Again: ")
	second, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(g.stderr)
	if err != nil {
		return "", err
	}
	if string(first) != string(second) {
		return "", errors.New("the passwords differ")
	}
	return string(first), nil
}

type userListCmd struct{}

func (userListCmd) Run(ctx context.Context, g *Globals) error {
	db, err := openBackend(ctx, g)
	if err != nil {
		return err
	}
	defer db.Close()
	users, err := db.Users(ctx, 0, 0)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSERNAME\tEMAIL\tROLE\tACTIVE\tCREATED")
	for _, u := range users {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%t\t%s\n", u.ID, u.Username, u.Email, u.Role, u.Active, u.CreatedAt.Format("2006-01-02 15:04"))
	}
	return tw.Flush()
}

type userDeactivateCmd struct {
	Name string `arg:"" help:"Username or email."`
}

func (c *userDeactivateCmd) Run(ctx context.Context, g *Globals) error {
	return setActive(ctx, g, c.Name, false)
}

type userActivateCmd struct {
	Name string `arg:"" help:"Username or email."`
}

func (c *userActivateCmd) Run(ctx context.Context, g *Globals) error {
	return setActive(ctx, g, c.Name, true)
}

// setActive activates or deactivates an account, revoking its tokens on change.
func setActive(ctx context.Context, g *Globals, name string, active bool) error {
	db, err := openBackend(ctx, g)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := db.UserByLogin(ctx, name)
	if err != nil {
		return fmt.Errorf("no user %q", name)
	}
	u, err = db.UpdateUser(ctx, u.ID, func(u *store.User) error {
		u.SetActive(active)
		return nil
	})
	if err != nil {
		return err
	}
	state := "deactivated"
	if u.Active {
		state = "active"
	}
	fmt.Fprintf(g.stdout, "%s is %s\n", u.Username, state)
	return nil
}

type userPasswdCmd struct {
	Name          string `arg:"" help:"Username or email."`
	PasswordStdin bool   `name:"password-stdin" help:"Read the new password from the first line of standard input (otherwise it is asked for on the terminal)."`
	Server        string `name:"server" env:"DOCENT_SERVER" help:"Set it through a running server at this URL instead of opening the data directory."`
	Token         string `name:"token" env:"DOCENT_TOKEN" help:"An admin's access token for --server."`
}

// Run finds the account first (so a typo or a held data directory is
// reported before the password is asked for), then sets the password.
func (c *userPasswdCmd) Run(ctx context.Context, g *Globals) error {
	if c.Server != "" {
		return c.viaServer(ctx, g)
	}
	db, err := openStore(ctx, g)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := db.UserByLogin(ctx, c.Name)
	if err != nil {
		return fmt.Errorf("no user %q", c.Name)
	}
	hash, err := newPasswordHash(g, c.PasswordStdin)
	if err != nil {
		return err
	}
	u, err = db.UpdateUser(ctx, u.ID, func(u *store.User) error {
		u.SetPassword(hash)
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "password of %s changed; their earlier tokens no longer work\n", u.Username)
	return nil
}

// newPasswordHash reads a new password, checks it against the rules and
// hashes it.
func newPasswordHash(g *Globals, fromStdin bool) (string, error) {
	pw, err := readPassword(g, fromStdin)
	if err != nil {
		return "", err
	}
	if err := auth.ValidatePassword(pw); err != nil {
		return "", err
	}
	hasher, err := auth.NewHasher(0)
	if err != nil {
		return "", err
	}
	return hasher.Hash(pw)
}

// viaServer sets the password with an admin's token: the user is found in
// GET /api/v1/users, the password set with PATCH /api/v1/users/{id}.
func (c *userPasswdCmd) viaServer(ctx context.Context, g *Globals) error {
	cl, err := newClient(c.Server, c.Token)
	if err != nil {
		return err
	}
	type user struct {
		ID       uint64 `json:"id"`
		Username string `json:"username"`
		Email    string `json:"email"`
	}
	var target user
	for skip := 0; target.ID == 0; skip += 1000 {
		var page []user
		if err := cl.do(ctx, "GET", fmt.Sprintf("/api/v1/users?skip=%d&limit=1000", skip), "", nil, &page); err != nil {
			return err
		}
		for _, u := range page {
			if strings.EqualFold(u.Username, c.Name) || strings.EqualFold(u.Email, c.Name) {
				target = u
			}
		}
		if target.ID == 0 && len(page) < 1000 {
			return fmt.Errorf("no user %q on %s", c.Name, c.Server)
		}
	}
	pw, err := readPassword(g, c.PasswordStdin)
	if err != nil {
		return err
	}
	if err := auth.ValidatePassword(pw); err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]string{"password": pw})
	if err := cl.do(ctx, "PATCH", fmt.Sprintf("/api/v1/users/%d", target.ID), "application/json", bytes.NewReader(body), nil); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "password of %s changed; their earlier tokens no longer work\n", target.Username)
	return nil
}
