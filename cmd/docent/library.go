package main

import (
	"context"
	"errors"
	"fmt"

	"docent/retrieval"
	"docent/store"
)

// openStore opens the data directory for an offline command, explaining
// what to do when a server holds it.
func openStore(ctx context.Context, g *Globals) (*store.DB, error) {
	db, err := store.Open(ctx, g.Data, store.Options{})
	if errors.Is(err, store.ErrLocked) {
		return nil, fmt.Errorf("%w: stop it, or use --server URL --token T to go through it", err)
	}
	return db, err
}

// openLibrary opens the data directory and a Library over it with the
// configured embedder. With load, the in-memory index is built too (for
// searching); without, the library only writes to the store.
func openLibrary(ctx context.Context, g *Globals, ef embedFlags, load bool) (*store.DB, *retrieval.Library, error) {
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
func newLibraryFor(db *store.DB, emb retrieval.Embedder) *retrieval.Library {
	return retrieval.NewLibrary(db, emb, retrieval.LibraryOptions{})
}
