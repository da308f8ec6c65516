package ingest

import (
	"context"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
)

// OpenDocument (ODT, ODS, ODP): content.xml is streamed once.
//   - Text documents: text:h headings (by outline level) start sections,
//     text:p paragraphs are lines, table rows are cells joined by " | ".
//   - Spreadsheets: each table:table is a sheet, read like XLSX (header row
//     in the heading path); repeated rows and cells (number-rows-repeated,
//     number-columns-repeated, ODF's run-length encoding) are expanded only
//     when they hold text, and at most maxRepeat times.
//   - Presentations: each draw:page is a page (slide number), its notes
//     after a "Notes:" line.
// The title is meta.xml's dc:title.

func extractODF(ctx context.Context, f Format, r io.ReaderAt, size int64, lim Limits) (*Extracted, error) {
	z, err := openZip(ctx, r, size, lim, "OpenDocument")
	if err != nil {
		return nil, err
	}
	w := &odfWriter{f: f, sb: &sectionBuilder{}, pb: pagesBuilder{lim: lim}, lim: lim}
	w.tw = &tableWriter{sb: w.sb, lim: lim}
	if err := z.xmlPart("content.xml", true, func(d *xml.Decoder) error { return walkXML(d, w.token) }); err != nil {
		return nil, err
	}
	if w.err != nil {
		return nil, w.err
	}
	var x *Extracted
	if f == ODP {
		x = w.pb.extracted("")
	} else {
		x = w.sb.extracted()
	}
	var title string
	z.xmlPart("meta.xml", false, func(d *xml.Decoder) error { title = coreTitle(d); return nil })
	if title != "" {
		x.Title = title
	}
	return x, nil
}

type odfWriter struct {
	f  Format
	sb *sectionBuilder
	tw *tableWriter
	pb pagesBuilder

	para    strings.Builder
	inPara  int // nesting of text:p / text:h
	level   int // heading level of the current text:h
	cell    strings.Builder
	inCell  bool
	col     int
	cellRep int
	rowRep  int
	odtRow  []string
	tables  int
	page    strings.Builder
	notes   strings.Builder
	inNotes bool
	written int64 // text bytes written, against Limits.MaxExtracted
	lim     Limits
	err     error
}

func repeat(t xml.StartElement, name string) int {
	n, err := strconv.Atoi(attr(t, name))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

func (w *odfWriter) token(tok xml.Token) error {
	switch t := tok.(type) {
	case xml.StartElement:
		w.start(t)
	case xml.EndElement:
		w.end(t.Name.Local)
	case xml.CharData:
		if w.inPara > 0 {
			w.para.Write(t)
		}
	}
	return w.err
}

func (w *odfWriter) start(t xml.StartElement) {
	switch t.Name.Local {
	case "p", "h":
		if w.inPara == 0 {
			w.para.Reset()
			w.level = 0
			if t.Name.Local == "h" {
				w.level = min(repeat(t, "outline-level"), 9)
			} else {
				// a paragraph in a heading style ("Heading_20_1"), as
				// LibreOffice writes headings it imported from HTML
				w.level = headingStyle(strings.ReplaceAll(attr(t, "style-name"), "_20_", " "))
			}
		}
		w.inPara++
	case "s":
		w.para.WriteString(strings.Repeat(" ", min(repeat(t, "c"), 64)))
	case "tab":
		w.para.WriteByte('\t')
	case "line-break":
		w.para.WriteByte('\n')
	case "table":
		w.tables++
		if w.f == ODS && w.tables == 1 {
			w.tw.begin(attr(t, "name"))
		}
	case "table-row":
		w.rowRep = repeat(t, "number-rows-repeated")
		w.col, w.odtRow = 0, w.odtRow[:0]
	case "table-cell", "covered-table-cell":
		w.inCell, w.cellRep = true, repeat(t, "number-columns-repeated")
		w.cell.Reset()
	case "page":
		w.page.Reset()
		w.notes.Reset()
	case "notes":
		w.inNotes = true
	}
}

func (w *odfWriter) end(local string) {
	switch local {
	case "p", "h":
		if w.inPara--; w.inPara > 0 {
			return
		}
		w.paragraph(strings.TrimSpace(w.para.String()))
	case "table-cell", "covered-table-cell":
		w.inCell = false
		v := strings.TrimSpace(w.cell.String())
		if v == "" {
			w.col += w.cellRep // empty runs only move the column
			return
		}
		for range min(w.cellRep, maxRepeat) {
			if w.f == ODS && w.tables == 1 {
				w.tw.cell(w.col, v)
			} else {
				w.odtRow = append(w.odtRow, v)
			}
			w.col++
			w.written += int64(len(v))
			if w.err = w.lim.checkText(w.written); w.err != nil {
				return
			}
		}
	case "table-row":
		if w.f == ODS && w.tables == 1 {
			if err := w.tw.endRow(w.rowRep); err != nil {
				w.err = err
			}
		} else if len(w.odtRow) > 0 {
			w.text(strings.Join(w.odtRow, " | "))
		}
	case "table":
		w.tables--
	case "notes":
		w.inNotes = false
	case "page":
		text := w.page.String()
		if n := strings.TrimSpace(w.notes.String()); n != "" {
			text += "\nNotes:\n" + n
		}
		if err := w.pb.add(text); err != nil {
			w.err = err
		}
	}
}

// paragraph places a finished paragraph: in a cell, a heading, or text.
// Every paragraph counts against the text budget as it is written, so a
// file built to expand (deep headings over every line) stops early instead
// of first growing its whole text.
func (w *odfWriter) paragraph(s string) {
	if s != "" && !w.inCell {
		w.written += int64(len(s))
		if w.err = w.lim.checkText(w.written); w.err != nil {
			return
		}
	}
	switch {
	case s == "":
	case w.inCell:
		if w.cell.Len() > 0 {
			w.cell.WriteByte(' ')
		}
		w.cell.WriteString(s)
	case w.level > 0 && w.f == ODT:
		w.sb.heading(w.level, s)
	default:
		w.text(s)
	}
}

// text adds a line of body text where the format keeps it.
func (w *odfWriter) text(s string) {
	switch {
	case w.f != ODP:
		w.sb.write(s + "\n")
	case w.inNotes:
		w.notes.WriteString(s + "\n")
	default:
		w.page.WriteString(s + "\n")
	}
}
