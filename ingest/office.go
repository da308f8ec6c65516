package ingest

import (
	"archive/zip"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"strings"
)

// Zipped XML formats (PPTX, XLSX, EPUB, OpenDocument) share the DOCX
// bounds: every part is read through readPart, which refuses a part whose
// declared size is over Limits.MaxExtracted and stops reading at that many
// decompressed bytes, and every XML walk stops past maxXMLDepth. The
// formats are read with encoding/xml directly: the Go libraries for them
// (excelize and the like) pull in several modules each for features docent
// does not need (writing, styles, formulas, encryption).

// maxParts bounds how many parts (slides, sheets, chapters) one archive
// may have read.
const maxParts = 10000

// zipDoc is an opened archive with its members by name.
type zipDoc struct {
	files map[string]*zip.File
	order []*zip.File
	lim   Limits
	ctx   context.Context
}

func openZip(ctx context.Context, r io.ReaderAt, size int64, lim Limits, kind string) (*zipDoc, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: not a valid %s (zip) file", ErrCorrupt, kind)
	}
	z := &zipDoc{files: map[string]*zip.File{}, lim: lim, ctx: ctx}
	for _, f := range zr.File {
		z.files[f.Name] = f
		z.order = append(z.order, f)
	}
	return z, nil
}

// xmlPart reads one member with read; a missing member is ErrCorrupt when
// required, nothing otherwise.
func (z *zipDoc) xmlPart(name string, required bool, read func(*xml.Decoder) error) error {
	f := z.files[name]
	if f == nil {
		if required {
			return fmt.Errorf("%w: %s is missing from the archive", ErrCorrupt, name)
		}
		return nil
	}
	return readPart(z.ctx, f, z.lim, read)
}

// walkXML calls fn for each token of d, tracking the element depth
// (bounded by maxXMLDepth).
func walkXML(d *xml.Decoder, fn func(tok xml.Token) error) error {
	for depth := 0; ; {
		tok, err := d.RawToken()
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			if depth++; depth > maxXMLDepth {
				return fmt.Errorf("%w: nesting too deep", ErrCorrupt)
			}
		case xml.EndElement:
			depth--
		}
		if err := fn(tok); err != nil {
			return err
		}
	}
}

// rels reads an OOXML relationships part: relationship id → target path,
// resolved against the folder of the part the relationships belong to.
func (z *zipDoc) rels(part string) (map[string]string, error) {
	dir, file := path.Split(part)
	out := map[string]string{}
	err := z.xmlPart(dir+"_rels/"+file+".rels", false, func(d *xml.Decoder) error {
		return walkXML(d, func(tok xml.Token) error {
			if t, ok := tok.(xml.StartElement); ok && t.Name.Local == "Relationship" && len(out) < maxParts {
				target := attr(t, "Target")
				if strings.HasPrefix(target, "/") {
					out[attr(t, "Id")] = strings.TrimPrefix(target, "/")
				} else {
					out[attr(t, "Id")] = path.Join(dir, target)
				}
			}
			return nil
		})
	})
	return out, err
}

// relAttr returns the r:id (relationships namespace) attribute of an
// element.
func relAttr(t xml.StartElement) string {
	for _, a := range t.Attr {
		if a.Name.Local == "id" && (a.Name.Space == "r" || strings.Contains(a.Name.Space, "relationships")) {
			return a.Value
		}
	}
	return ""
}

// pagesBuilder collects the text of slide-like parts, one page each,
// separated by form feeds as PDF pages are.
type pagesBuilder struct {
	b     strings.Builder
	pages []Span
	lim   Limits
}

func (p *pagesBuilder) add(text string) error {
	if len(p.pages) > 0 {
		p.b.WriteByte('\f')
	}
	start := p.b.Len()
	p.b.WriteString(Normalize(text))
	p.pages = append(p.pages, Span{N: len(p.pages) + 1, Start: start, End: p.b.Len()})
	return p.lim.checkText(int64(p.b.Len()))
}

func (p *pagesBuilder) extracted(title string) *Extracted {
	return &Extracted{Text: p.b.String(), Pages: p.pages, Title: title}
}

// tableWriter renders the rows of a sheet as lines of cells joined by
// " | ". The first non-empty row is the header: it goes into the heading
// path of the sheet's section (shortened to maxHeaderLine), so every chunk
// of rows carries it. Cells are placed by column, up to maxColumns; a cell
// further right is appended after them.
type tableWriter struct {
	sb      *sectionBuilder
	sheet   string
	header  bool
	row     []string
	written int64
	lim     Limits
}

const (
	maxColumns    = 1024
	maxHeaderLine = 300
	maxRepeat     = 1000 // repeated rows or cells (OpenDocument) written at most
)

func (t *tableWriter) begin(sheet string) {
	t.sheet, t.header, t.row = sheet, false, t.row[:0]
	t.sb.heading(1, sheet)
}

// cell sets column col (0-based) of the current row.
func (t *tableWriter) cell(col int, v string) {
	v = strings.Join(strings.Fields(v), " ")
	if v == "" || col < 0 {
		return
	}
	if col >= maxColumns {
		t.row = append(t.row, v)
		return
	}
	for len(t.row) <= col {
		t.row = append(t.row, "")
	}
	if t.row[col] != "" {
		t.row = append(t.row, v)
		return
	}
	t.row[col] = v
}

// endRow writes the current row times times.
func (t *tableWriter) endRow(times int) error {
	defer func() { t.row = t.row[:0] }()
	line := strings.Join(t.row, " | ")
	if strings.TrimSpace(strings.ReplaceAll(line, "|", "")) == "" {
		return nil
	}
	if !t.header {
		t.header = true
		if len(line) > maxHeaderLine {
			line = truncateRunes(line, maxHeaderLine) + "…"
		}
		t.sb.heading(2, line)
		return nil
	}
	for range min(max(times, 1), maxRepeat) {
		t.sb.write(line + "\n")
		t.written += int64(len(line) + 1)
		if err := t.lim.checkText(t.written); err != nil {
			return err
		}
	}
	return nil
}

// truncateRunes cuts s to at most n bytes at a rune boundary.
func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
