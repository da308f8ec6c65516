package main

import (
	"context"
	"fmt"
	"time"

	"docent/store"
)

type reindexCmd struct {
	Batch int `name:"batch" default:"64" help:"Passages per embedder call."`

	embedFlags
}

// Run re-embeds every stored passage with the configured embedder, in one
// transaction, and records it as the index's embedder.
func (c *reindexCmd) Run(ctx context.Context, g *Globals) error {
	db, err := openStore(ctx, g)
	if err != nil {
		return err
	}
	defer db.Close()
	emb, err := c.embedder()
	if err != nil {
		return err
	}
	old, err := db.IndexInfo(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	last := time.Time{}
	progress := func(done, total int) {
		if time.Since(last) > time.Second || done == total {
			fmt.Fprintf(g.stderr, "re-embedded %d/%d passages\n", done, total)
			last = time.Now()
		}
	}
	info := store.IndexInfo{Embedder: emb.ID(), Dim: emb.Dim()}
	if err := db.Reembed(ctx, info, c.Batch, emb.Embed, progress); err != nil {
		return fmt.Errorf("reindex (nothing changed): %w", err)
	}
	from := old.Embedder
	if from == "" {
		from = "none"
	}
	fmt.Fprintf(g.stdout, "reindexed with %s (was %s) in %s\n", emb.ID(), from, time.Since(start).Round(time.Millisecond))
	return nil
}
