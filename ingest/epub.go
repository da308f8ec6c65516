package ingest

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"
)

// EPUB: META-INF/container.xml names the package document (OPF), whose
// spine gives the reading order of the chapters (XHTML). Each chapter is
// read like an HTML page (scripts, navigation and styles dropped, headings
// kept) and becomes a section or, when it has headings, the sections under
// them; a chapter without a heading is headed by its table-of-contents
// label or, failing that, the book title. The title is the OPF's dc:title.

func extractEPUB(ctx context.Context, r io.ReaderAt, size int64, lim Limits) (*Extracted, error) {
	z, err := openZip(ctx, r, size, lim, "EPUB")
	if err != nil {
		return nil, err
	}
	var opf string
	err = z.xmlPart("META-INF/container.xml", true, func(d *xml.Decoder) error {
		return walkXML(d, func(tok xml.Token) error {
			if t, ok := tok.(xml.StartElement); ok && t.Name.Local == "rootfile" && opf == "" {
				opf = attr(t, "full-path")
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	if opf == "" {
		return nil, fmt.Errorf("%w: the EPUB names no package document", ErrCorrupt)
	}
	pkg, err := z.readOPF(opf)
	if err != nil {
		return nil, err
	}
	x := &Extracted{Title: Normalize(pkg.title)}
	var b strings.Builder
	for _, href := range pkg.spine {
		f := z.files[href]
		if f == nil {
			continue
		}
		if f.UncompressedSize64 > uint64(lim.MaxExtracted) {
			return nil, fmt.Errorf("%w: %s expands to %d bytes", ErrTooLarge, f.Name, f.UncompressedSize64)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%w: cannot open %s", ErrCorrupt, f.Name)
		}
		raw, err := io.ReadAll(&limitedReader{r: rc, n: lim.MaxExtracted, ctx: ctx})
		rc.Close()
		if err != nil {
			return nil, err
		}
		ch, err := parseHTML(ctx, decodeText(raw))
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(ch.Text) == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		off := b.Len()
		b.WriteString(ch.Text)
		if err := lim.checkText(int64(b.Len())); err != nil {
			return nil, err
		}
		label := pkg.labels[href]
		if label == "" {
			label = x.Title
		}
		for _, s := range ch.Sections {
			hs := s.Headings
			if len(hs) == 0 && label != "" {
				hs = []string{label}
			}
			x.Sections = append(x.Sections, Section{Headings: hs, Start: off + s.Start, End: off + s.End})
		}
	}
	x.Text = b.String()
	return x, nil
}

// opfPackage is what docent reads of an EPUB package document.
type opfPackage struct {
	title  string
	spine  []string          // chapter paths in reading order
	labels map[string]string // chapter path → table of contents label (EPUB 2 NCX)
}

func (z *zipDoc) readOPF(name string) (opfPackage, error) {
	dir := path.Dir(name)
	manifest := map[string]string{}
	var (
		pkg     = opfPackage{labels: map[string]string{}}
		idrefs  []string
		ncx     string
		inTitle bool
	)
	err := z.xmlPart(name, true, func(d *xml.Decoder) error {
		return walkXML(d, func(tok xml.Token) error {
			switch t := tok.(type) {
			case xml.StartElement:
				switch t.Name.Local {
				case "title":
					inTitle = pkg.title == ""
				case "item":
					if len(manifest) < maxParts {
						manifest[attr(t, "id")] = resolveHref(dir, attr(t, "href"))
					}
				case "itemref":
					if len(idrefs) < maxParts && attr(t, "linear") != "no" {
						idrefs = append(idrefs, attr(t, "idref"))
					}
				case "spine":
					ncx = attr(t, "toc")
				}
			case xml.EndElement:
				if t.Name.Local == "title" {
					inTitle = false
				}
			case xml.CharData:
				if inTitle && len(pkg.title) < 1024 {
					pkg.title += string(t)
				}
			}
			return nil
		})
	})
	for _, id := range idrefs {
		if href := manifest[id]; href != "" {
			pkg.spine = append(pkg.spine, href)
		}
	}
	if err == nil && manifest[ncx] != "" {
		z.readNCX(manifest[ncx], pkg.labels)
	}
	return pkg, err
}

// readNCX reads the labels of an EPUB 2 table of contents.
func (z *zipDoc) readNCX(name string, labels map[string]string) {
	dir := path.Dir(name)
	var label strings.Builder
	inText := false
	z.xmlPart(name, false, func(d *xml.Decoder) error {
		return walkXML(d, func(tok xml.Token) error {
			switch t := tok.(type) {
			case xml.StartElement:
				switch t.Name.Local {
				case "navLabel":
					label.Reset()
				case "text":
					inText = true
				case "content":
					src, _, _ := strings.Cut(attr(t, "src"), "#")
					if href := resolveHref(dir, src); labels[href] == "" && len(labels) < maxParts {
						labels[href] = strings.TrimSpace(label.String())
					}
				}
			case xml.EndElement:
				if t.Name.Local == "text" {
					inText = false
				}
			case xml.CharData:
				if inText && label.Len() < 512 {
					label.Write(t)
				}
			}
			return nil
		})
	})
}

// resolveHref turns a (URL-escaped, relative) href into an archive path.
func resolveHref(dir, href string) string {
	if u, err := url.PathUnescape(href); err == nil {
		href = u
	}
	return path.Join(dir, href)
}
