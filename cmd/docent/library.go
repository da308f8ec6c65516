package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"docent/retrieval"
	"docent/store"
	"docent/store/postgres"
)

// isPostgres reports whether --store names a PostgreSQL database.
func isPostgres(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// openBackend opens the store --store names: the bbolt file in the data
// directory (bolt, the default) or a PostgreSQL database.
func openBackend(ctx context.Context, g *Globals) (store.Store, error) {
	switch {
	case isPostgres(g.Store):
		return postgres.Open(ctx, g.Store, postgres.Options{})
	case g.Store == "" || g.Store == "bolt":
		return store.Open(ctx, g.Data, store.Options{})
	}
	return nil, fmt.Errorf("--store %q: want bolt or a postgres:// URL", g.Store)
}

// openStore opens the store for an offline command, explaining what to do
// when a server holds the data directory.
func openStore(ctx context.Context, g *Globals) (store.Store, error) {
	db, err := openBackend(ctx, g)
	if errors.Is(err, store.ErrLocked) {
		return nil, fmt.Errorf("%w: stop it, or use --server URL --token T to go through it", err)
	}
	return db, err
}

// openLibrary opens the store and a Library over it with the configured
// embedder. With load, the in-memory index is built too (for searching);
// without, the library only writes to the store.
func openLibrary(ctx context.Context, g *Globals, ef embedFlags, load bool) (store.Store, *retrieval.Library, error) {
	db, err := openStore(ctx, g)
	if err != nil {
		return nil, nil, err
	}
	emb, err := ef.embedder()
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	lib := retrieval.NewLibrary(db, emb, retrieval.LibraryOptions{StoreOnly: !load})
	if err := lib.CheckEmbedder(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	if load {
		if _, err := lib.Load(ctx); err != nil {
			db.Close()
			return nil, nil, err
		}
	}
	return db, lib, nil
}

// newLibraryFor returns a Library over db that keeps an index in memory.
func newLibraryFor(db retrieval.Store, emb retrieval.Embedder) *retrieval.Library {
	return retrieval.NewLibrary(db, emb, retrieval.LibraryOptions{})
}
