package ingest

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The files under testdata/formats were made by the real programs:
// LibreOffice 7 converted handbook.html, sheet.fods and slides.fodp (the
// sources are there too) into DOCX, PPTX, XLSX, ODT, ODS, ODP, EPUB and
// RTF; the mails were written by Python's email package (mail.eml,
// inbox.mbox). The .want files hold the text a reader should get.

func readFormat(t *testing.T, name string) ([]byte, Format) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "formats", name))
	if err != nil {
		t.Fatal(err)
	}
	f, err := DetectReader(name, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return data, f
}

func want(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "formats", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFormatsRealFiles(t *testing.T) {
	tests := []struct {
		file   string
		format Format
		want   string
	}{
		{"handbook.odt", ODT, "handbook.want"},
		{"handbook.rtf", RTF, "handbook.want"},
		{"handbook.epub", EPUB, "handbook.want"},
		{"handbook.docx", DOCX, "handbook.want"},
		{"sheet.xlsx", XLSX, "sheet.want"},
		{"sheet.ods", ODS, "sheet.want"},
		{"slides.pptx", PPTX, "slides.want"},
		{"slides.odp", ODP, "slides.want"},
		{"mail.eml", EML, "mail.want"},
		{"inbox.mbox", MBOX, "inbox.want"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, f := readFormat(t, tc.file)
			if f != tc.format {
				t.Fatalf("detected %q, want %q", f, tc.format)
			}
			// The content decides, not the name.
			if g, err := DetectReader("upload.bin", bytes.NewReader(data), int64(len(data))); err != nil || g != tc.format {
				t.Errorf("without its extension: %q, %v", g, err)
			}
			x, err := Extract(context.Background(), f, bytes.NewReader(data), int64(len(data)), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			f1 := wordF1(x.Text, want(t, tc.want))
			if f1 < 0.95 {
				t.Errorf("word F1 %.3f < 0.95; text:\n%s", f1, x.Text)
			}
			t.Logf("%s: word F1 %.3f", tc.file, f1)
			checkResult(t, x, nil)
		})
	}
}

func TestSlidesArePages(t *testing.T) {
	for _, name := range []string{"slides.pptx", "slides.odp"} {
		t.Run(name, func(t *testing.T) {
			data, f := readFormat(t, name)
			x, err := Extract(context.Background(), f, bytes.NewReader(data), int64(len(data)), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if len(x.Pages) != 2 {
				t.Fatalf("%d pages, want one per slide (2)", len(x.Pages))
			}
			second := x.Text[x.Pages[1].Start:x.Pages[1].End]
			if !strings.Contains(second, "Geneva") || !strings.Contains(second, "Finance asks for receipts") {
				t.Errorf("slide 2 lacks its text or notes: %q", second)
			}
			if strings.Contains(second, "gas detectors") {
				t.Errorf("slide 1's notes on slide 2: %q", second)
			}
			for _, c := range Split(x, ChunkOptions{}) {
				if strings.Contains(c.Text, "Geneva") && c.Page != 2 {
					t.Errorf("the Geneva chunk is on page %d, want slide 2", c.Page)
				}
			}
		})
	}
}

// Every chunk of a sheet's rows carries the sheet name and its header.
func TestSheetHeaderInEveryChunk(t *testing.T) {
	for _, name := range []string{"sheet.xlsx", "sheet.ods"} {
		t.Run(name, func(t *testing.T) {
			data, f := readFormat(t, name)
			x, err := Extract(context.Background(), f, bytes.NewReader(data), int64(len(data)), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			chunks := Split(x, ChunkOptions{Size: 40, Overlap: -1})
			n := 0
			for _, c := range chunks {
				if strings.Contains(c.Text, "Zurich") || strings.Contains(c.Text, "Basel") {
					n++
					if !strings.HasPrefix(c.Text, "Expenses › Employee | City | Amount\n") {
						t.Errorf("chunk without its header: %q", c.Text)
					}
				}
			}
			if n == 0 {
				t.Fatalf("no chunk holds the rows: %+v", chunks)
			}
			if !strings.Contains(x.Text, "Bruno Keller | Zurich | 185.5") {
				t.Errorf("row not laid out as cells: %q", x.Text)
			}
		})
	}
}

// makeEPUB writes an EPUB 2 book whose chapters are the given XHTML
// bodies, with an NCX table of contents labelling each.
func makeEPUB(t testing.TB, labels, bodies []string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	add := func(name, data string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(data))
	}
	add("mimetype", "application/epub+zip")
	add("META-INF/container.xml", `<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/book.opf" media-type="application/oebps-package+xml"/></rootfiles></container>`)
	var items, refs, points strings.Builder
	for i, body := range bodies {
		name := fmt.Sprintf("text/ch%d.xhtml", i+1)
		add("OEBPS/"+name, `<?xml version="1.0" encoding="UTF-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>x</title></head><body>`+body+`</body></html>`)
		fmt.Fprintf(&items, `<item id="c%d" href="%s" media-type="application/xhtml+xml"/>`, i, strings.ReplaceAll(name, "ch", "c%68"))
		fmt.Fprintf(&refs, `<itemref idref="c%d"/>`, i)
		fmt.Fprintf(&points, `<navPoint id="n%d"><navLabel><text>%s</text></navLabel><content src="%s#top"/></navPoint>`, i, labels[i], name)
	}
	add("OEBPS/book.opf", `<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="2.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>A Short Book of Sites</dc:title></metadata><manifest><item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>`+items.String()+`</manifest><spine toc="ncx">`+refs.String()+`</spine></package>`)
	add("OEBPS/toc.ncx", `<?xml version="1.0"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1"><navMap>`+points.String()+`</navMap></ncx>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Chapters are sections in reading order (the spine's, not the archive's),
// headed by their own headings or else by their table of contents label.
func TestEPUBChaptersAreSections(t *testing.T) {
	data := makeEPUB(t, []string{"The Harbour", "The Tunnel", "The Bridge"}, []string{
		`<p>The harbour crane is inspected every spring.</p>`,
		`<h1>Inside the tunnel</h1><p>Every worker carries a gas detector.</p><h2>Lamps</h2><p>Lamps are charged overnight.</p>`,
		`<p>The bridge deck is repainted every seven years.</p>`,
	})
	x, err := Extract(context.Background(), EPUB, bytes.NewReader(data), int64(len(data)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if x.Title != "A Short Book of Sites" {
		t.Errorf("title %q", x.Title)
	}
	var got []string
	for _, s := range x.Sections {
		got = append(got, strings.Join(s.Headings, " › ")+": "+strings.Fields(x.Text[s.Start:s.End])[0])
	}
	wantSecs := []string{"The Harbour: The", "Inside the tunnel: Inside", "Inside the tunnel › Lamps: Lamps", "The Bridge: The"}
	if strings.Join(got, "\n") != strings.Join(wantSecs, "\n") {
		t.Errorf("sections:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantSecs, "\n"))
	}
}

func TestMail(t *testing.T) {
	data, _ := readFormat(t, "mail.eml")
	x, err := Extract(context.Background(), EML, bytes.NewReader(data), int64(len(data)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if x.Title != "Site visit in Geneva: report attached" {
		t.Errorf("title %q", x.Title)
	}
	for _, s := range []string{"From: Alice Martin <alice@example.com>", "To: Bruno Keller <bruno@example.com>", "Attachments: report.csv", "Grüße"} {
		if !strings.Contains(x.Text, s) {
			t.Errorf("text lacks %q:\n%s", s, x.Text)
		}
	}
	if strings.Contains(x.Text, "Incidents,3") {
		t.Error("the attachment's content is in the message text")
	}
	if len(x.Attachments) != 1 || x.Attachments[0].Filename != "report.csv" || !bytes.Contains(x.Attachments[0].Data, []byte("Incidents,3")) {
		t.Errorf("attachments %+v", x.Attachments)
	}

	data, _ = readFormat(t, "inbox.mbox")
	x, err = Extract(context.Background(), MBOX, bytes.NewReader(data), int64(len(data)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, s := range x.Sections {
		if len(s.Headings) > 0 {
			subjects = append(subjects, s.Headings[0])
		}
	}
	if len(subjects) != 3 || subjects[2] != "From the archive" {
		t.Errorf("messages %q", subjects)
	}
}

// bombZip writes an archive whose member name expands to size bytes (four
// times the tests' 4 MiB limit is enough to show it stops early) of
// repeated unit after head.
func bombZip(t testing.TB, parts map[string]string, name, head, unit string, size int) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for n, v := range parts {
		w, _ := zw.Create(n)
		w.Write([]byte(v))
	}
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(head))
	chunk := []byte(strings.Repeat(unit, 1000))
	for n := len(head); n < size; n += len(chunk) {
		w.Write(chunk)
	}
	zw.Close()
	return b.Bytes()
}

const (
	pptxRels = `<Relationships><Relationship Id="rId1" Target="slides/slide1.xml"/></Relationships>`
	pptxPres = `<p:presentation xmlns:p="p" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><p:sldIdLst><p:sldId r:id="rId1"/></p:sldIdLst></p:presentation>`
	xlsxRels = `<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>`
	xlsxBook = `<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" r:id="rId1"/></sheets></workbook>`
	odsMime  = "application/vnd.oasis.opendocument.spreadsheet"
)

// Hostile files end in an error or a bounded result, quickly.
func TestFormatsHostile(t *testing.T) {
	lim := Limits{MaxExtracted: 4 << 20}
	tests := []struct {
		name string
		f    Format
		data []byte
		want []error // nil: a bounded result is fine
	}{
		{"PPTX zip bomb", PPTX, bombZip(t, map[string]string{"ppt/presentation.xml": pptxPres, "ppt/_rels/presentation.xml.rels": pptxRels},
			"ppt/slides/slide1.xml", "<p:sld>", "<a:p><a:r><a:t>boom</a:t></a:r></a:p>", 16<<20), []error{ErrTooLarge}},
		{"XLSX zip bomb of shared strings", XLSX, bombZip(t, map[string]string{"xl/workbook.xml": xlsxBook, "xl/_rels/workbook.xml.rels": xlsxRels},
			"xl/sharedStrings.xml", "<sst>", "<si><t>boom</t></si>", 16<<20), []error{ErrTooLarge}},
		{"XLSX far cell references", XLSX, bombZip(t, map[string]string{"xl/workbook.xml": xlsxBook, "xl/_rels/workbook.xml.rels": xlsxRels},
			"xl/worksheets/sheet1.xml", "<worksheet><sheetData>", `<row><c r="XFD1048576" t="inlineStr"><is><t>far</t></is></c><c r="A1" t="s"><v>99999999999</v></c></row>`, 1<<20), nil},
		{"ODS repeated rows and cells", ODS, bombZip(t, map[string]string{"mimetype": odsMime}, "content.xml",
			"<office:document-content><office:body><office:spreadsheet><table:table table:name=\"S\">",
			`<table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384"><text:p>x</text:p></table:table-cell></table:table-row>`, 1<<20),
			[]error{ErrTooLarge}},
		{"ODT deep nesting", ODT, bombZip(t, map[string]string{"mimetype": "application/vnd.oasis.opendocument.text"}, "content.xml", "", "<a>", 300000), []error{ErrCorrupt}},
		{"EPUB chapter bomb", EPUB, bombZip(t, map[string]string{
			"mimetype":               "application/epub+zip",
			"META-INF/container.xml": `<container><rootfiles><rootfile full-path="o.opf"/></rootfiles></container>`,
			"o.opf":                  `<package><manifest><item id="c" href="c.xhtml"/></manifest><spine><itemref idref="c"/></spine></package>`},
			"c.xhtml", "<html><body>", "<p>boom boom boom</p>", 16<<20), []error{ErrTooLarge}},
		{"RTF deep groups", RTF, []byte(`{\rtf1 ` + strings.Repeat("{", 100000) + "text"), []error{ErrCorrupt}},
		{"RTF huge \\u run", RTF, []byte(`{\rtf1 ` + strings.Repeat(`\u-2000?`, 200000) + "}"), nil},
		{"mail nested multiparts", EML, []byte(strings.Repeat("Content-Type: multipart/mixed; boundary=b\n\n--b\n", 5000)), []error{ErrCorrupt}},
		{"mail without body", EML, []byte("From: a@example.com\nSubject: x\n"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			x, err := Extract(context.Background(), tc.f, bytes.NewReader(tc.data), int64(len(tc.data)), lim)
			if d := time.Since(start); d > hangLimit {
				t.Errorf("took %v", d)
			}
			if tc.want == nil {
				if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrTooLarge) {
					t.Fatalf("err = %v", err)
				}
				if err == nil && int64(len(x.Text)) > lim.MaxExtracted {
					t.Fatalf("%d bytes of text", len(x.Text))
				}
				return
			}
			ok := false
			for _, w := range tc.want {
				ok = ok || errors.Is(err, w)
			}
			if !ok {
				t.Errorf("err = %v, want one of %v", err, tc.want)
			}
		})
	}
}

func TestDetectFormats(t *testing.T) {
	tests := []struct {
		name, head string
		want       Format
	}{
		{"x.bin", "{\\rtf1\\ansi hello}", RTF},
		{"x.bin", "From alice@example.com Thu Jan  1 00:00:00 2026\nFrom: alice@example.com\nSubject: hi\n\nbody\n", MBOX},
		{"x.bin", "Received: from mx\nFrom: alice@example.com\nTo: bob@example.com\nSubject: hi\n\nbody\n", EML},
		{"notes.txt", "From here on we take the train.\nSubject to change.\n", Text},
		{"x.bin", "PK\x03\x04\x14\x00\x00\x00\x00\x00mimetypeapplication/vnd.oasis.opendocument.presentation", ODP},
		{"x.bin", "PK\x03\x04\x14\x00\x00\x00\x00\x00mimetypeapplication/epub+zip", EPUB},
		{"deck.pptx", "PK\x03\x04\x14\x00\x00\x00\x00\x00[Content_Types].xml", PPTX},
	}
	for _, tc := range tests {
		if got, err := Detect(tc.name, []byte(tc.head)); got != tc.want || err != nil {
			t.Errorf("Detect(%q, %.30q) = %q, %v; want %q", tc.name, tc.head, got, err, tc.want)
		}
	}
}
