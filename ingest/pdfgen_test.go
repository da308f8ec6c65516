package ingest

import (
	"fmt"
	"strings"

	"docent/internal/testpdf"
)

// A tiny PDF writer for tests: raw PDF syntax, uncompressed content
// streams, a correct cross-reference table. Fonts: /F1 Helvetica and /F2
// Times-Roman (standard fonts without Widths, so glyph widths come from the
// standard metrics) and /F3, a Type0 font with Identity-H encoding and a
// ToUnicode CMap mapping codes 1.. to the runes of cjkGlyphs.

const cjkGlyphs = "中文测试文本"

type pdfSpec struct {
	pages   []string // content streams
	rotate  int      // /Rotate of every page
	encrypt bool     // add an /Encrypt dictionary (needs a password)
	forms   []string // Form XObjects /X0, /X1, ... usable from pages
	info    string   // the document information dictionary, if any
}

func makePDF(spec pdfSpec) []byte {
	var objs []string // object i+1
	add := func(s string) int {
		objs = append(objs, s)
		return len(objs)
	}
	add("<< /Type /Catalog /Pages 2 0 R >>")
	add("") // pages, filled in below
	f1 := add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	f2 := add("<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>")
	f3 := addType0Font(add)
	var xobjs []string
	for i, f := range spec.forms {
		n := add(stream(f, "/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 "+ref(f1)+" >> >>"))
		xobjs = append(xobjs, fmt.Sprintf("/X%d %s", i, ref(n)))
	}
	res := fmt.Sprintf("<< /Font << /F1 %s /F2 %s /F3 %s >> /XObject << %s >> >>", ref(f1), ref(f2), ref(f3), strings.Join(xobjs, " "))
	var kids []string
	for _, content := range spec.pages {
		c := add(stream(content, ""))
		p := add(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Rotate %d /Resources %s /Contents %s >>", spec.rotate, res, ref(c)))
		kids = append(kids, ref(p))
	}
	objs[1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(kids))
	trailer := ""
	if spec.info != "" {
		trailer += " /Info " + ref(add(spec.info))
	}
	if spec.encrypt {
		o := strings.Repeat("A", 32)
		e := add(fmt.Sprintf("<< /Filter /Standard /V 2 /R 3 /Length 128 /P -4 /O (%s) /U (%s) >>", o, o))
		trailer += fmt.Sprintf(" /Encrypt %s /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>]", ref(e))
	}
	return writePDF(objs, trailer)
}

func addType0Font(add func(string) int) int {
	var cmap strings.Builder
	cmap.WriteString("/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n")
	cmap.WriteString("1 begincodespacerange <0000> <FFFF> endcodespacerange\n")
	runes := []rune(cjkGlyphs)
	fmt.Fprintf(&cmap, "%d beginbfchar\n", len(runes))
	for i, r := range runes {
		fmt.Fprintf(&cmap, "<%04X> <%04X>\n", i+1, r)
	}
	cmap.WriteString("endbfchar endcmap CMapName currentdict /CMap defineresource pop end end\n")
	tu := add(stream(cmap.String(), ""))
	desc := add("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /TestCJK /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>")
	return add(fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /TestCJK /Encoding /Identity-H /DescendantFonts [%s] /ToUnicode %s >>", ref(desc), ref(tu)))
}

func ref(n int) string { return fmt.Sprintf("%d 0 R", n) }

func stream(data, dict string) string { return testpdf.Stream(data, dict) }

func writePDF(objs []string, trailerExtra string) []byte { return testpdf.Objects(objs, trailerExtra) }

// helvWidth is the width in points of s in Helvetica at size pt.
func helvWidth(s string, size float64) float64 {
	w := stdWidths("Helvetica")
	var sum float64
	for i := 0; i < len(s); i++ {
		sum += w(s[i])
	}
	return sum * size
}

// glyphByGlyph draws s at (x, y) one glyph at a time, each placed with
// Td, the way many PDF producers do: no space characters anywhere, and
// words separated only by their positions.
func glyphByGlyph(s string, x, y, size float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "BT /F1 %g Tf %g %g Td\n", size, x, y)
	for i := 0; i < len(s); i++ {
		adv := helvWidth(s[i:i+1], size)
		if s[i] != ' ' {
			fmt.Fprintf(&b, "(%s) Tj ", pdfEscape(s[i:i+1]))
		}
		fmt.Fprintf(&b, "%.3f 0 Td\n", adv)
	}
	b.WriteString("ET\n")
	return b.String()
}

func pdfEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
	return r.Replace(s)
}
