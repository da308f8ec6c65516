package main

import (
	"context"
	"fmt"
	"strings"

	"docent/ingest"
)

type extractCmd struct {
	File string `arg:"" type:"existingfile" help:"The file to read."`
}

// Run prints the text docent extracts from a file, pages separated by a
// form feed, so users can see why a passage is or is not found.
func (c *extractCmd) Run(ctx context.Context, g *Globals) error {
	x, err := ingest.ExtractFile(ctx, c.File, ingest.Limits{})
	if err != nil {
		return fmt.Errorf("%s: %w", c.File, err)
	}
	text := x.Text
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	_, err = fmt.Fprint(g.stdout, text)
	return err
}
