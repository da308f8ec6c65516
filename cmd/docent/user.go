package main

import (
	"bufio"
	"context"
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
	Activate   userActivateCmd   `cmd:"" help:"Re-activate a deactivated account."`
}

type userAddCmd struct {
	Name          string `arg:"" help:"Username (3-50 letters, digits, '.', '_' or '-')."`
	Email         string `name:"email" required:"" help:"Email address (also accepted as login)."`
	PasswordStdin bool   `name:"password-stdin" help:"Read the password from the first line of standard input (otherwise it is asked for on the terminal)."`
	Admin         bool   `name:"admin" help:"Make the account an admin (the first account always is)."`
}

func (c *userAddCmd) Run(ctx context.Context, g *Globals) error {
	for _, err := range []error{auth.ValidateUsername(c.Name), auth.ValidateEmail(c.Email)} {
		if err != nil {
			return err
		}
	}
	pw, err := readPassword(g, c.PasswordStdin)
	if err != nil {
		return err
	}
	if err := auth.ValidatePassword(pw); err != nil {
		return err
	}
	hasher, err := auth.NewHasher(0)
	if err != nil {
		return err
	}
	hash, err := hasher.Hash(pw)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, g.Data, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
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
	if err != nil {
		return "", err
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
	db, err := store.Open(ctx, g.Data, store.Options{})
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
	db, err := store.Open(ctx, g.Data, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := db.UserByLogin(ctx, name)
	if err != nil {
		return fmt.Errorf("no user %q", name)
	}
	u, err = db.UpdateUser(ctx, u.ID, func(u *store.User) error {
		if u.Active != active {
			u.Active = active
			u.TokenVersion++
		}
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
