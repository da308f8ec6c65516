package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"docent/internal/pgtest"
	"docent/store"
	"docent/store/postgres"
	"docent/store/storetest"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// openURL connects to the database at url as one more process would.
func openURL(t *testing.T, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// within polls cond for up to 10 s.
func within(t *testing.T, what string, cond func() bool) {
	t.Helper()
	start := time.Now()
	for ; !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("%s: still not so after 10 s", what)
		}
	}
	t.Logf("%s: %v", what, time.Since(start))
}

// TestCacheFollowsEveryWriter: what one process answers from its cache
// (a user, an API key, a scope) follows changes made by another process
// and by SQL run straight on the database, and a key's last use, which
// every request may record, does not empty the others' caches.
func TestCacheFollowsEveryWriter(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	reader, writer := openURL(t, url), openURL(t, url)
	u := store.User{Username: "ann", Email: "ann@example.com", PasswordHash: "x"}
	must(t, writer.CreateUser(ctx, &u))
	k := store.APIKey{UserID: u.ID, Name: "k", Hash: storetest.Sha("k"), Scope: store.ScopeRead}
	must(t, writer.CreateKey(ctx, &k))
	within(t, "the reader's cache answers", func() bool {
		got, err := reader.UserByID(ctx, u.ID)
		_, kerr := reader.KeyByHash(ctx, k.Hash)
		return err == nil && kerr == nil && got.Username == "ann"
	})

	_, err := writer.UpdateUser(ctx, u.ID, func(u *store.User) error { u.RevokeCredentials(); return nil })
	must(t, err)
	within(t, "a revocation by another process", func() bool {
		got, _ := reader.UserByID(ctx, u.ID)
		return got.TokenVersion == 1
	})

	sql := openURL(t, url) // stands for an operator's psql
	must(t, sql.Exec(ctx, `UPDATE users SET data = jsonb_set(data, '{is_active}', 'false') WHERE id = $1`, u.ID))
	within(t, "a change made in SQL", func() bool {
		got, _ := reader.UserByID(ctx, u.ID)
		return !got.Active
	})

	must(t, writer.TouchKey(ctx, k.ID, time.Now()))
	must(t, sql.Exec(ctx, `DELETE FROM api_keys WHERE id = $1`, k.ID))
	within(t, "a key deleted in SQL", func() bool {
		_, err := reader.KeyByHash(ctx, k.Hash)
		return errors.Is(err, store.ErrNotFound)
	})
	var logged int
	must(t, sql.QueryRow(ctx, `SELECT count(*) FROM cache_changes WHERE kind = 'key'`, &logged))
	if logged != 2 { // made, deleted: the use is not logged
		t.Errorf("%d key changes logged, want 2 (a use must not empty every replica's cache)", logged)
	}

	v := store.Viewer{UserID: u.ID}
	w := store.Workspace{Owner: u.ID, Name: "team", Visibility: store.VisibilityMembers}
	must(t, writer.CreateWorkspace(ctx, &w))
	d := store.Document{Owner: u.ID, Filename: "a", SHA256: storetest.Sha("a")}
	if _, _, err := writer.CreateDocument(ctx, &d); err != nil {
		t.Fatal(err)
	}
	if sc, err := reader.ScopeOf(ctx, v, w.ID); err != nil || len(sc.Documents) != 0 {
		t.Fatalf("scope of an empty workspace: %+v, %v", sc, err)
	}
	must(t, writer.AddToWorkspace(ctx, v, w.ID, d.ID))
	within(t, "a document added to a workspace by another process", func() bool {
		sc, _ := reader.ScopeOf(ctx, v, w.ID)
		return len(sc.Documents) == 1
	})
	if _, err := reader.Workspace(ctx, v, w.ID); err != nil {
		t.Fatal(err)
	}
	must(t, writer.DeleteWorkspace(ctx, v, w.ID))
	within(t, "a workspace deleted by another process", func() bool {
		_, err := reader.ScopeOf(ctx, v, w.ID)
		_, werr := reader.Workspace(ctx, v, w.ID)
		return errors.Is(err, store.ErrNotFound) && errors.Is(werr, store.ErrNotFound)
	})
}

// TestCacheStopsAnsweringWithoutTheLog: a process that cannot read the
// change log stops answering from its cache (it cannot know what was
// revoked meanwhile) and answers again once the database is back.
func TestCacheStopsAnsweringWithoutTheLog(t *testing.T) {
	ctx := context.Background()
	c := pgtest.Cluster(t)
	db := openURL(t, pgtest.URL(t))
	u := store.User{Username: "ann", Email: "ann@example.com", PasswordHash: "x"}
	must(t, db.CreateUser(ctx, &u))
	for range 3 { // the first starts the follower, the next are kept
		if _, err := db.UserByID(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := c.Pause(); err != nil {
		t.Fatal(err)
	}
	defer c.Resume(context.Background())
	within(t, "no answer without the database", func() bool {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		_, err := db.UserByID(ctx, u.ID)
		return err != nil
	})
	if err := c.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	within(t, "answers again", func() bool { _, err := db.UserByID(ctx, u.ID); return err == nil })
}
