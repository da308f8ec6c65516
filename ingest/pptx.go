package ingest

import (
	"context"
	"encoding/xml"
	"io"
	"strings"
)

// PPTX: slides in presentation order (ppt/presentation.xml's slide list
// through its relationships), one page per slide, so a chunk's page is its
// slide number. A slide's text is its paragraphs (a:p) in shape order,
// table cells joined by " | ", then its speaker notes after a "Notes:"
// line. The title is docProps/core.xml's, else the first slide's first
// line.

func extractPPTX(ctx context.Context, r io.ReaderAt, size int64, lim Limits) (*Extracted, error) {
	z, err := openZip(ctx, r, size, lim, "PPTX")
	if err != nil {
		return nil, err
	}
	const pres = "ppt/presentation.xml"
	rels, err := z.rels(pres)
	if err != nil {
		return nil, err
	}
	var slides []string
	err = z.xmlPart(pres, true, func(d *xml.Decoder) error {
		return walkXML(d, func(tok xml.Token) error {
			if t, ok := tok.(xml.StartElement); ok && t.Name.Local == "sldId" && len(slides) < maxParts {
				if target := rels[relAttr(t)]; target != "" {
					slides = append(slides, target)
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	pb := pagesBuilder{lim: lim}
	for _, s := range slides {
		text, err := z.drawingText(s)
		if err != nil {
			return nil, err
		}
		if notes := z.notesOf(s); notes != "" {
			text += "\n\nNotes:\n" + notes
		}
		if err := pb.add(text); err != nil {
			return nil, err
		}
	}
	return pb.extracted(z.coreTitle()), nil
}

// notesOf returns the speaker notes of a slide, without the slide image
// placeholder's number.
func (z *zipDoc) notesOf(slide string) string {
	rels, err := z.rels(slide)
	if err != nil {
		return ""
	}
	for _, target := range rels {
		if strings.Contains(target, "notesSlides/") {
			text, err := z.drawingText(target)
			if err != nil {
				return ""
			}
			return strings.TrimSpace(text)
		}
	}
	return ""
}

// drawingText reads the DrawingML text of a slide or notes part:
// paragraphs as lines, table rows as cells joined by " | ". Slide number
// fields and placeholders that only hold one are left out.
func (z *zipDoc) drawingText(part string) (string, error) {
	var (
		b        strings.Builder
		para     strings.Builder
		row      []string
		cell     strings.Builder
		inText   bool
		inTable  int
		inSldNum bool
	)
	err := z.xmlPart(part, true, func(d *xml.Decoder) error {
		return walkXML(d, func(tok xml.Token) error {
			switch t := tok.(type) {
			case xml.StartElement:
				switch t.Name.Local {
				case "t":
					inText = true
				case "br":
					para.WriteByte('\n')
				case "tbl":
					inTable++
				case "tr":
					row = row[:0]
				case "tc":
					cell.Reset()
				case "fld":
					inSldNum = attr(t, "type") == "slidenum"
				}
			case xml.EndElement:
				switch t.Name.Local {
				case "t":
					inText = false
				case "fld":
					inSldNum = false
				case "p":
					line := strings.TrimSpace(para.String())
					para.Reset()
					switch {
					case line == "":
					case inTable > 0:
						if cell.Len() > 0 {
							cell.WriteByte(' ')
						}
						cell.WriteString(line)
					default:
						b.WriteString(line)
						b.WriteByte('\n')
					}
				case "tc":
					if cell.Len() > 0 && len(row) < maxColumns {
						row = append(row, cell.String())
					}
				case "tr":
					if len(row) > 0 {
						b.WriteString(strings.Join(row, " | "))
						b.WriteByte('\n')
					}
				case "tbl":
					inTable--
				}
			case xml.CharData:
				if inText && !inSldNum {
					para.Write(t)
				}
			}
			return nil
		})
	})
	return b.String(), err
}

// coreTitle is docProps/core.xml's dc:title, or "".
func (z *zipDoc) coreTitle() string {
	var title string
	z.xmlPart("docProps/core.xml", false, func(d *xml.Decoder) error { title = coreTitle(d); return nil })
	return title
}
