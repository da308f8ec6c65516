package ingest

import (
	"context"
	"io"
)

func parseHTML(ctx context.Context, s string) (*Extracted, error) { return &Extracted{Text: Normalize(s)}, nil }
func parseMarkdown(s string) *Extracted                           { return &Extracted{Text: Normalize(s)} }
func parseCSV(ctx context.Context, s string, lim Limits) (*Extracted, error) {
	return &Extracted{Text: Normalize(s)}, nil
}
func extractDOCX(ctx context.Context, r io.ReaderAt, size int64, lim Limits) (*Extracted, error) {
	return nil, ErrUnsupported
}
func atxLevel(l string) int { return 0 }
