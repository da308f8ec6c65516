// Package testpdf writes small, valid PDFs for tests in other packages:
// pages of Helvetica text lines, a page with no text layer, a truncated file.
package testpdf

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Pages returns a PDF with one page per element; each page draws its lines
// from the top, 12 pt Helvetica, one line under another.
func Pages(pages ...[]string) []byte {
	contents := make([]string, len(pages))
	for i, lines := range pages {
		var b strings.Builder
		b.WriteString("BT /F1 12 Tf 72 720 Td 14 TL\n")
		for _, l := range lines {
			fmt.Fprintf(&b, "(%s) Tj T*\n", escape(l))
		}
		b.WriteString("ET")
		contents[i] = b.String()
	}
	return build(contents)
}

// NoText returns a one-page PDF that only draws a filled rectangle, like a
// scan without a text layer.
func NoText() []byte {
	return build([]string{"0.5 g 72 72 400 600 re f"})
}

// Truncated returns the first half of a valid PDF.
func Truncated() []byte {
	full := Pages([]string{"This file will be cut in half."})
	return full[:len(full)/2]
}

func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(s)
}

// build writes the objects of a PDF whose pages have the given content
// streams.
func build(contents []string) []byte {
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", "", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"}
	var kids []string
	for _, c := range contents {
		objs = append(objs, Stream(c, ""))
		objs = append(objs, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", len(objs)))
		kids = append(kids, fmt.Sprintf("%d 0 R", len(objs)))
	}
	objs[1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(kids))
	return Objects(objs, "")
}

// Stream returns a stream object holding data, with extra dictionary
// entries dict.
func Stream(data, dict string) string {
	return fmt.Sprintf("<< /Length %d %s >>\nstream\n%s\nendstream", len(data)+1, dict, data)
}

// Objects writes a PDF of objects 1..n (object 1 is the catalog) with a
// correct cross-reference table; trailer adds entries to the trailer
// dictionary, where "{xref}" stands for the table's own offset (to build
// loops for tests of broken files).
func Objects(objs []string, trailer string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	trailer = strings.ReplaceAll(trailer, "{xref}", strconv.Itoa(xref))
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, trailer, xref)
	return b.Bytes()
}
