package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"codeberg.org/readeck/go-readability/v2"
)

// Web pages fetched by URL keep their article text: the page is first read
// like any HTML file (which bounds its nesting and size), then
// go-readability (a port of Mozilla's Readability, Firefox's reader view)
// picks the article, whose HTML is read again for its headings and
// sections. A page where it finds too little (less than a fifth of the
// page's text, or under minArticle characters) keeps the whole page's
// visible text.

// minArticle is the least article text, in characters, that replaces the
// whole page.
const minArticle = 200

func extractWebPage(ctx context.Context, r io.ReaderAt, size int64, lim Limits) (*Extracted, error) {
	b := make([]byte, size)
	if _, err := r.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: read failed", ErrCorrupt)
	}
	page := decodeText(b)
	whole, err := parseHTML(ctx, page)
	if err != nil {
		return nil, err
	}
	art, err := article(page)
	if err != nil {
		return whole, nil
	}
	var out bytes.Buffer
	if err := art.RenderHTML(&out); err != nil {
		return whole, nil
	}
	x, err := parseHTML(ctx, "<html><body>"+out.String()+"</body></html>")
	n := utf8.RuneCountInString(strings.TrimSpace(x.Text))
	if err != nil || n < minArticle || n*5 < utf8.RuneCountInString(whole.Text) {
		return whole, nil
	}
	x.Title = whole.Title
	if t := Normalize(art.Title()); t != "" {
		x.Title = t
	}
	return x, nil
}

// article runs readability, which panics on nothing known but is third-party
// code handed hostile input: a panic keeps the whole page.
func article(page string) (a readability.Article, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("readability: %v", p)
		}
	}()
	a, err = readability.FromReader(strings.NewReader(page), nil)
	if err == nil && a.Node == nil {
		err = errors.New("no article")
	}
	return a, err
}
