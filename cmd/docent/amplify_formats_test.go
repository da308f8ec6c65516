package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"docent/internal/testpdf"
)

// The worst cases of the formats beyond text, HTML, DOCX and PDF.

const (
	pptxPres = `<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><p:sldIdLst>`
	xlsxBook = `<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" r:id="rId1"/></sheets></workbook>`
	xlsxRels = `<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>`
	odfHead  = `<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"><office:body>`
	odfMime  = "application/vnd.oasis.opendocument."
)

// otherFormats builds the worst cases of PowerPoint, Excel, OpenDocument,
// EPUB, RTF, e-mail and (when pdftoppm is installed to draw them) images.
func otherFormats(rng *rand.Rand) []hostileFile {
	sentence := func(int) string { return proseWords(rng, 4) + "." }
	epub := [][2]string{ // a book of one chapter, c.xhtml
		{"mimetype", "application/epub+zip"},
		{"META-INF/container.xml", `<container><rootfiles><rootfile full-path="o.opf"/></rootfiles></container>`},
		{"o.opf", `<package><manifest><item id="c" href="c.xhtml"/></manifest><spine><itemref idref="c"/></spine></package>`}}
	files := []hostileFile{
		{"slides.pptx", "1,000s of slides of 4 distinct short paragraphs", pptxSlides(func(int) string {
			var b strings.Builder
			for range 4 {
				b.WriteString("<a:p><a:r><a:t>" + sentence(0) + "</a:t></a:r></a:p>")
			}
			return b.String()
		})},
		{"bomb.pptx", "one slide of one paragraph repeated (expands ~200×)", zipOf(mib1, [][2]string{
			{"ppt/presentation.xml", pptxPres + `<p:sldId r:id="rId1"/></p:sldIdLst></p:presentation>`},
			{"ppt/_rels/presentation.xml.rels", `<Relationships><Relationship Id="rId1" Target="slides/slide1.xml"/></Relationships>`}},
			"ppt/slides/slide1.xml", "<p:sld>", "</p:sld>",
			func(int) string {
				return "<a:p><a:r><a:t>The same sentence, written again and again.</a:t></a:r></a:p>"
			})},
		{"cells.xlsx", "20 column names of 64 bytes, rows of random numbers", zipOf(mib1, [][2]string{
			{"xl/workbook.xml", xlsxBook}, {"xl/_rels/workbook.xml.rels", xlsxRels}},
			"xl/worksheets/sheet1.xml", "<worksheet><sheetData>"+xlsxHeader(20), "</sheetData></worksheet>",
			func(int) string {
				var b strings.Builder
				b.WriteString("<row>")
				for range 20 {
					fmt.Fprintf(&b, "<c><v>%d</v></c>", rng.IntN(1000))
				}
				b.WriteString("</row>")
				return b.String()
			})},
		{"bomb.xlsx", "shared strings of one cell repeated", zipOf(mib1, [][2]string{
			{"xl/workbook.xml", xlsxBook}, {"xl/_rels/workbook.xml.rels", xlsxRels},
			{"xl/worksheets/sheet1.xml", `<worksheet><sheetData><row><c t="s"><v>0</v></c></row></sheetData></worksheet>`}},
			"xl/sharedStrings.xml", "<sst>", "</sst>",
			func(int) string { return "<si><t>The same cell, written again and again.</t></si>" })},
		{"headings.odt", "a 200-byte heading, 6 levels deep, over every short paragraph", zipOf(mib1, [][2]string{{"mimetype", odfMime + "text"}},
			"content.xml", odfHead+"<office:text>", "</office:text></office:body></office:document-content>",
			func(i int) string {
				return fmt.Sprintf(`<text:h text:outline-level="%d">%s%d</text:h><text:p>%s</text:p>`, 1+i%6, strings.Repeat("h", 190), i, sentence(i))
			})},
		{"paragraphs.odt", "distinct short paragraphs", zipOf(mib1, [][2]string{{"mimetype", odfMime + "text"}},
			"content.xml", odfHead+"<office:text>", "</office:text></office:body></office:document-content>",
			func(i int) string { return "<text:p>" + sentence(i) + "</text:p>" })},
		{"rows.ods", "rows and cells repeated a million times each", zipOf(mib1, [][2]string{{"mimetype", odfMime + "spreadsheet"}},
			"content.xml", odfHead+`<office:spreadsheet><table:table table:name="S">`, "</table:table></office:spreadsheet></office:body></office:document-content>",
			func(int) string {
				return `<table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384"><text:p>x</text:p></table:table-cell></table:table-row>`
			})},
		{"slides.odp", "pages of 4 distinct short paragraphs", zipOf(mib1, [][2]string{{"mimetype", odfMime + "presentation"}},
			"content.xml", odfHead+"<office:presentation>", "</office:presentation></office:body></office:document-content>",
			func(i int) string {
				var b strings.Builder
				fmt.Fprintf(&b, `<draw:page draw:name="p%d"><draw:frame><draw:text-box>`, i)
				for range 4 {
					b.WriteString("<text:p>" + sentence(i) + "</text:p>")
				}
				b.WriteString("</draw:text-box></draw:frame></draw:page>")
				return b.String()
			})},
		{"headings.epub", "one chapter: a 200-byte heading in h1…h6 over every short paragraph", zipOf(mib1, epub,
			"c.xhtml", `<html xmlns="http://www.w3.org/1999/xhtml"><body>`, "</body></html>",
			func(i int) string {
				return fmt.Sprintf("<h%d>%s%d</h%d><p>%s</p>\n", 1+i%6, strings.Repeat("h", 190), i, 1+i%6, sentence(i))
			})},
		{"paragraphs.epub", "one chapter of distinct short paragraphs", zipOf(mib1, epub,
			"c.xhtml", `<html xmlns="http://www.w3.org/1999/xhtml"><body>`, "</body></html>",
			func(i int) string { return "<p>" + sentence(i) + "</p>\n" })},
		{"bomb.epub", "one chapter of one paragraph repeated", zipOf(mib1, epub,
			"c.xhtml", "<html><body>", "</body></html>",
			func(int) string { return "<p>The same sentence, written again and again.</p>" })},
	}
	var rtf strings.Builder
	rtf.WriteString(`{\rtf1\ansi\deff0{\fonttbl{\f0 Times;}}` + "\n")
	for rtf.Len() < mib1 {
		rtf.WriteString(`\pard ` + proseWords(rng, 3) + `.\par` + "\n")
	}
	rtf.WriteString("}")
	files = append(files, hostileFile{"paragraphs.rtf", "a paragraph of 3 words on every line", []byte(rtf.String())},
		hostileFile{"attached.eml", "a 512 KiB body of short lines and 100 attachments of 5 KiB of short lines", mailWithAttachments(rng)})
	if img := tiledScan(rng); img != nil {
		files = append(files, hostileFile{"lines.png", "4 pages of 50 short lines each, drawn at 200 dpi in one 15-megapixel image", img})
	}
	return files
}

// pptxSlides writes a PPTX of about 1 MiB of slides holding slide(i).
func pptxSlides(slide func(int) string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	var ids, rels strings.Builder
	for i := 1; b.Len()+i*100 < mib1; i++ { // with the central directory's entries
		w, _ := zw.Create(fmt.Sprintf("ppt/slides/slide%d.xml", i))
		io.WriteString(w, "<p:sld>"+slide(i)+"</p:sld>")
		zw.Flush()
		fmt.Fprintf(&ids, `<p:sldId r:id="rId%d"/>`, i)
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Target="slides/slide%d.xml"/>`, i, i)
	}
	w, _ := zw.Create("ppt/presentation.xml")
	io.WriteString(w, pptxPres+ids.String()+"</p:sldIdLst></p:presentation>")
	w, _ = zw.Create("ppt/_rels/presentation.xml.rels")
	io.WriteString(w, "<Relationships>"+rels.String()+"</Relationships>")
	zw.Close()
	return b.Bytes()
}

// xlsxHeader is a first row of n inline-string column names of 64 bytes.
func xlsxHeader(n int) string {
	var b strings.Builder
	b.WriteString("<row>")
	for c := range n {
		fmt.Fprintf(&b, `<c t="inlineStr"><is><t>%s%02d</t></is></c>`, strings.Repeat("n", 62), c)
	}
	return b.String() + "</row>"
}

// mailWithAttachments writes an e-mail of about 1 MiB: a plain-text body
// of short lines and 100 plain-text attachments of short lines, each of
// which becomes a document of its own.
func mailWithAttachments(rng *rand.Rand) []byte {
	lines := func(n int) string {
		var b strings.Builder
		for b.Len() < n {
			b.WriteString(proseWords(rng, 6) + ".\r\n")
		}
		return b.String()
	}
	var b strings.Builder
	b.WriteString("From: alice@example.com\r\nTo: bob@example.com\r\nSubject: Tables\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=BB\r\n\r\n--BB\r\nContent-Type: text/plain\r\n\r\n")
	b.WriteString(lines(512 << 10))
	for i := range 100 {
		fmt.Fprintf(&b, "--BB\r\nContent-Type: text/plain; name=\"a%d.txt\"\r\nContent-Disposition: attachment; filename=\"a%d.txt\"\r\n\r\n%s", i, i, lines(5<<10))
	}
	b.WriteString("--BB--\r\n")
	return []byte(b.String())
}

// tiledScan draws 4 pages of 50 short lines with pdftoppm at 200 dpi and
// tiles them 2 × 2 in one grey PNG, or returns nil without pdftoppm.
func tiledScan(rng *rand.Rand) []byte {
	var pages [][]string
	for range 4 {
		var lines []string
		for range 50 {
			lines = append(lines, proseWords(rng, 6))
		}
		pages = append(pages, lines)
	}
	dir, err := os.MkdirTemp("", "amplify")
	if err != nil {
		return nil
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "in.pdf")
	if os.WriteFile(in, testpdf.Pages(pages...), 0o600) != nil ||
		exec.Command("pdftoppm", "-r", "200", "-gray", "-png", in, filepath.Join(dir, "p")).Run() != nil {
		return nil
	}
	files, _ := filepath.Glob(filepath.Join(dir, "p-*.png"))
	var tiles []image.Image
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			return nil
		}
		img, err := png.Decode(r)
		r.Close()
		if err != nil {
			return nil
		}
		tiles = append(tiles, img)
	}
	if len(tiles) != 4 {
		return nil
	}
	w, h := tiles[0].Bounds().Dx(), tiles[0].Bounds().Dy()
	out := image.NewGray(image.Rect(0, 0, 2*w, 2*h))
	for i, t := range tiles {
		draw.Draw(out, image.Rect(i%2*w, i/2*h, i%2*w+w, i/2*h+h), t, t.Bounds().Min, draw.Src)
	}
	var b bytes.Buffer
	png.Encode(&b, out)
	return b.Bytes()
}
