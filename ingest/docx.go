package ingest

import (
	"archive/zip"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// DOCX: the archive is opened with archive/zip and word/document.xml is
// streamed through encoding/xml, so memory stays bounded whatever the
// size of the part. Every part is read through a reader that stops at
// Limits.MaxExtracted decompressed bytes, and a part whose declared size is
// already over it is refused before decompression: a zip bomb ends in
// ErrTooLarge after at most MaxExtracted bytes of work.
//
// Paragraphs become lines; paragraphs styled as headings (Heading1–9, Title,
// or any style whose name is "heading N" or that has an outline level) start
// sections; table rows become lines with cells separated by " | ".

// maxXMLDepth bounds element nesting in a DOCX part.
const maxXMLDepth = 1024

func extractDOCX(ctx context.Context, r io.ReaderAt, size int64, lim Limits) (*Extracted, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: not a valid DOCX (zip) file", ErrCorrupt)
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
	}
	doc := files["word/document.xml"]
	if doc == nil {
		return nil, fmt.Errorf("%w: no word/document.xml in the archive", ErrCorrupt)
	}
	styles := map[string]int{}
	if f := files["word/styles.xml"]; f != nil {
		if err := readPart(ctx, f, lim, func(d *xml.Decoder) error { return readStyles(d, styles) }); err != nil {
			return nil, err
		}
	}
	w := &docxWriter{styles: styles}
	if err := readPart(ctx, doc, lim, w.read); err != nil {
		return nil, err
	}
	x := w.sb.extracted()
	if f := files["docProps/core.xml"]; f != nil {
		var title string
		if readPart(ctx, f, lim, func(d *xml.Decoder) error { title = coreTitle(d); return nil }) == nil && title != "" {
			x.Title = title
		}
	}
	return x, nil
}

// readPart opens one archive member with the size cap and hands a decoder
// to read. Decoding errors become ErrCorrupt.
func readPart(ctx context.Context, f *zip.File, lim Limits, read func(*xml.Decoder) error) error {
	if f.UncompressedSize64 > uint64(lim.MaxExtracted) {
		return fmt.Errorf("%w: %s expands to %d bytes", ErrTooLarge, f.Name, f.UncompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("%w: cannot open %s", ErrCorrupt, f.Name)
	}
	defer rc.Close()
	lr := &limitedReader{r: rc, n: lim.MaxExtracted, ctx: ctx}
	d := xml.NewDecoder(lr)
	err = read(d)
	switch {
	case lr.err != nil:
		return lr.err
	case errors.Is(err, ErrTooLarge), errors.Is(err, ErrCorrupt), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err // the reader's own verdict
	case err != nil && !errors.Is(err, io.EOF):
		return fmt.Errorf("%w: %s is not well-formed XML", ErrCorrupt, f.Name)
	}
	return nil
}

// limitedReader fails with ErrTooLarge after n bytes, and with the
// context's error once it is done.
type limitedReader struct {
	r   io.Reader
	n   int64
	ctx context.Context
	err error
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if err := l.ctx.Err(); err != nil {
		l.err = err
		return 0, err
	}
	if l.n <= 0 {
		l.err = fmt.Errorf("%w: a part of the document expands past the limit", ErrTooLarge)
		return 0, l.err
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		l.err = fmt.Errorf("%w: damaged compressed data", ErrCorrupt)
		return n, l.err
	}
	return n, err
}

// readStyles maps paragraph style ids to heading levels: from the id or
// name (Title, Heading1, "heading 1") or the style's outline level.
func readStyles(d *xml.Decoder, styles map[string]int) error {
	id := ""
	for depth := 0; ; {
		tok, err := d.RawToken()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth++; depth > maxXMLDepth {
				return fmt.Errorf("%w: nesting too deep", ErrCorrupt)
			}
			switch t.Name.Local {
			case "style":
				id = attr(t, "styleId")
				if lvl := headingStyle(id); lvl > 0 {
					styles[id] = lvl
				}
			case "name":
				if lvl := headingStyle(attr(t, "val")); lvl > 0 && id != "" {
					styles[id] = lvl
				}
			case "outlineLvl":
				if n, err := strconv.Atoi(attr(t, "val")); err == nil && n >= 0 && n < 9 && id != "" {
					styles[id] = n + 1
				}
			}
		case xml.EndElement:
			depth--
		}
	}
}

// headingStyle recognises heading style ids and names: Heading1, heading 1,
// Title.
func headingStyle(s string) int {
	l := strings.ToLower(strings.ReplaceAll(s, " ", ""))
	if l == "title" {
		return 1
	}
	if n, ok := strings.CutPrefix(l, "heading"); ok {
		if v, err := strconv.Atoi(n); err == nil && v >= 1 && v <= 9 {
			return v
		}
	}
	return 0
}

func attr(e xml.StartElement, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// coreTitle reads dc:title from docProps/core.xml.
func coreTitle(d *xml.Decoder) string {
	in := false
	var b strings.Builder
	for depth := 0; depth <= maxXMLDepth; {
		tok, err := d.RawToken()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			in = t.Name.Local == "title"
		case xml.EndElement:
			depth--
			if in {
				return strings.TrimSpace(b.String())
			}
		case xml.CharData:
			if in && b.Len() < 1024 {
				b.Write(t)
			}
		}
	}
	return ""
}

// docxWriter turns the elements of word/document.xml into sections.
type docxWriter struct {
	styles map[string]int
	sb     sectionBuilder
	para   strings.Builder
	level  int // heading level of the current paragraph
	inText bool
	tables []*docxTable // open tables, innermost last
}

type docxTable struct {
	row  []string
	cell strings.Builder
}

func (w *docxWriter) read(d *xml.Decoder) error {
	for depth := 0; ; {
		tok, err := d.RawToken()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth++; depth > maxXMLDepth {
				return fmt.Errorf("%w: nesting too deep", ErrCorrupt)
			}
			w.start(t)
		case xml.EndElement:
			depth--
			w.end(t.Name.Local)
		case xml.CharData:
			if w.inText {
				w.para.Write(t)
			}
		}
	}
}

func (w *docxWriter) start(t xml.StartElement) {
	switch t.Name.Local {
	case "p":
		w.para.Reset()
		w.level = 0
	case "pStyle":
		id := attr(t, "val")
		if lvl, ok := w.styles[id]; ok {
			w.level = lvl
		} else {
			w.level = headingStyle(id)
		}
	case "outlineLvl":
		if n, err := strconv.Atoi(attr(t, "val")); err == nil && n >= 0 && n < 9 {
			w.level = n + 1
		}
	case "t":
		w.inText = true
	case "tab":
		w.para.WriteByte('\t')
	case "br", "cr":
		w.para.WriteByte('\n')
	case "tbl":
		w.tables = append(w.tables, &docxTable{})
	case "tr":
		if tb := w.table(); tb != nil {
			tb.row = tb.row[:0]
		}
	case "tc":
		if tb := w.table(); tb != nil {
			tb.cell.Reset()
		}
	}
}

func (w *docxWriter) table() *docxTable {
	if len(w.tables) == 0 {
		return nil
	}
	return w.tables[len(w.tables)-1]
}

// emit adds finished text to the enclosing table cell, or to the document.
func (w *docxWriter) emit(s string) {
	if tb := w.table(); tb != nil {
		if tb.cell.Len() > 0 {
			tb.cell.WriteByte(' ')
		}
		tb.cell.WriteString(s)
		return
	}
	w.sb.write(s + "\n")
}

func (w *docxWriter) end(local string) {
	switch local {
	case "t":
		w.inText = false
	case "p":
		text := w.para.String()
		w.para.Reset()
		if w.level > 0 && w.table() == nil {
			w.sb.heading(w.level, text)
		} else if strings.TrimSpace(text) != "" {
			w.emit(text)
		}
	case "tc":
		if tb := w.table(); tb != nil {
			tb.row = append(tb.row, strings.Join(strings.Fields(tb.cell.String()), " "))
		}
	case "tr":
		if tb := w.table(); tb != nil {
			line := strings.Join(tb.row, " | ")
			w.tables = w.tables[:len(w.tables)-1] // the row belongs to the enclosing cell, if any
			w.emit(line)
			w.tables = append(w.tables, tb)
		}
	case "tbl":
		if len(w.tables) > 0 {
			w.tables = w.tables[:len(w.tables)-1]
		}
	}
}
