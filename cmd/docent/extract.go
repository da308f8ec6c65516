package main

import (
	"context"
	"fmt"
	"strings"

	"docent/ingest"
)

type extractCmd struct {
	File    string `arg:"" type:"existingfile" help:"The file to read."`
	OCRLang string `name:"ocr-lang" env:"DOCENT_OCR_LANG" default:"eng" help:"Tesseract languages for scanned pages and images, joined by + (e.g. eng+deu)."`
}

// Run prints the text docent extracts from a file, pages separated by a
// form feed, so users can see why a passage is or is not found.
func (c *extractCmd) Run(ctx context.Context, g *Globals) error {
	if err := ingest.ValidateLanguages(c.OCRLang); err != nil {
		return fmt.Errorf("--ocr-lang: %w", err)
	}
	x, err := ingest.ExtractFile(ctx, c.File, ingest.Limits{OCR: ingest.OCR{Languages: c.OCRLang}})
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
