package ingest

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// XLSX: each sheet (in workbook order) is a section headed by its name;
// its first non-empty row is the header, kept in the heading path so that
// every chunk of rows carries it; the other rows are lines of cells joined
// by " | " (see tableWriter). Cell values are shared strings, inline
// strings or the cached value of numbers and formulas (as Excel stored
// them: dates stay serial numbers). Hidden sheets are read too.

// maxSharedStrings bounds the shared string table.
const maxSharedStrings = 1 << 22

func extractXLSX(ctx context.Context, r io.ReaderAt, size int64, lim Limits) (*Extracted, error) {
	z, err := openZip(ctx, r, size, lim, "XLSX")
	if err != nil {
		return nil, err
	}
	const book = "xl/workbook.xml"
	rels, err := z.rels(book)
	if err != nil {
		return nil, err
	}
	type sheet struct{ name, part string }
	var sheets []sheet
	err = z.xmlPart(book, true, func(d *xml.Decoder) error {
		return walkXML(d, func(tok xml.Token) error {
			if t, ok := tok.(xml.StartElement); ok && t.Name.Local == "sheet" && len(sheets) < maxParts {
				if part := rels[relAttr(t)]; part != "" {
					sheets = append(sheets, sheet{attr(t, "name"), part})
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	shared, err := z.sharedStrings()
	if err != nil {
		return nil, err
	}
	sb := &sectionBuilder{}
	tw := &tableWriter{sb: sb, lim: lim}
	for _, s := range sheets {
		tw.begin(s.name)
		if err := z.xmlPart(s.part, false, func(d *xml.Decoder) error { return readSheet(d, shared, tw) }); err != nil {
			return nil, err
		}
	}
	x := sb.extracted()
	x.Title = z.coreTitle()
	return x, nil
}

// sharedStrings reads xl/sharedStrings.xml: each si's text runs joined.
func (z *zipDoc) sharedStrings() ([]string, error) {
	var (
		out  []string
		cur  strings.Builder
		inT  bool
		inSI bool
	)
	err := z.xmlPart("xl/sharedStrings.xml", false, func(d *xml.Decoder) error {
		return walkXML(d, func(tok xml.Token) error {
			switch t := tok.(type) {
			case xml.StartElement:
				switch t.Name.Local {
				case "si":
					inSI = true
					cur.Reset()
				case "t":
					inT = inSI
				case "rPh": // phonetic guide: not part of the text
					inSI = false
				}
			case xml.EndElement:
				switch t.Name.Local {
				case "t":
					inT = false
				case "rPh":
					inSI = true
				case "si":
					if len(out) >= maxSharedStrings {
						return fmt.Errorf("%w: more than %d shared strings", ErrTooLarge, maxSharedStrings)
					}
					out = append(out, cur.String())
					inSI = false
				}
			case xml.CharData:
				if inT {
					cur.Write(t)
				}
			}
			return nil
		})
	})
	return out, err
}

// readSheet streams a worksheet's rows into tw.
func readSheet(d *xml.Decoder, shared []string, tw *tableWriter) error {
	var (
		col, next int
		typ       string
		val       strings.Builder
		inV       bool
	)
	return walkXML(d, func(tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "row":
				next = 0
			case "c":
				col = columnIndex(attr(t, "r"), next)
				typ = attr(t, "t")
				val.Reset()
			case "v", "t":
				inV = true
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v", "t":
				inV = false
			case "c":
				v := val.String()
				if typ == "s" {
					var i int
					if _, err := fmt.Sscan(v, &i); err == nil && i >= 0 && i < len(shared) {
						v = shared[i]
					} else {
						v = ""
					}
				} else if typ == "b" {
					v = map[string]string{"0": "FALSE", "1": "TRUE"}[v]
				}
				tw.cell(col, v)
				next = col + 1
			case "row":
				return tw.endRow(1)
			}
		case xml.CharData:
			if inV && val.Len() < 1<<20 {
				val.Write(t)
			}
		}
		return nil
	})
}

// columnIndex reads the column of a cell reference such as "AB12"
// (0-based); without one, the cell is the next after the previous.
func columnIndex(ref string, next int) int {
	col, n := 0, 0
	for _, c := range ref {
		if c < 'A' || c > 'Z' {
			break
		}
		if n++; n > 3 {
			return next
		}
		col = col*26 + int(c-'A'+1)
	}
	if n == 0 {
		return next
	}
	return col - 1
}
