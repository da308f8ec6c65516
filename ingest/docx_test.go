package ingest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"hash/crc32"
	"strings"
	"testing"
	"time"
)

const docxNS = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`

func docxBody(inner string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document ` + docxNS + `><w:body>` + inner + `</w:body></w:document>`
}

func para(style, text string) string {
	ppr := ""
	if style != "" {
		ppr = `<w:pPr><w:pStyle w:val="` + style + `"/></w:pPr>`
	}
	return `<w:p>` + ppr + `<w:r><w:t xml:space="preserve">` + text + `</w:t></w:r></w:p>`
}

// makeDOCX writes a minimal Word document; extra holds more parts.
func makeDOCX(t testing.TB, document string, extra map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	parts := map[string]string{"[Content_Types].xml": `<Types/>`, "word/document.xml": document}
	for k, v := range extra {
		parts[k] = v
	}
	for name, data := range parts {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(data))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDOCX(t *testing.T) {
	body := para("Title", "Annual Report") +
		para("", "Opening words.") +
		para("Heading1", "Results") +
		`<w:p><w:r><w:t>Split </w:t></w:r><w:r><w:t>runs</w:t><w:tab/><w:t>tabbed</w:t></w:r></w:p>` +
		para("Kop2", "Details") + // a localised style id, known from styles.xml
		`<w:tbl><w:tr><w:tc>` + para("", "Name") + `</w:tc><w:tc>` + para("", "Value") + `</w:tc></w:tr>` +
		`<w:tr><w:tc>` + para("", "Alpha") + `</w:tc><w:tc>` + para("", "1") + para("", "and more") + `</w:tc></w:tr></w:tbl>` +
		`<w:p><w:r><w:delText>deleted</w:delText><w:instrText>PAGE</w:instrText><w:t>Kept &amp; escaped</w:t></w:r></w:p>`
	styles := `<w:styles ` + docxNS + `><w:style w:type="paragraph" w:styleId="Kop2"><w:name w:val="heading 2"/></w:style></w:styles>`
	core := `<cp:coreProperties xmlns:cp="x" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Report 2024</dc:title></cp:coreProperties>`
	data := makeDOCX(t, docxBody(body), map[string]string{"word/styles.xml": styles, "docProps/core.xml": core})
	x, err := extractBytes(t, DOCX, data)
	if err != nil {
		t.Fatal(err)
	}
	want := "Annual Report\n\nOpening words.\n\nResults\n\nSplit runs\ttabbed\n\nDetails\n\nName | Value\nAlpha | 1 and more\nKept & escaped"
	if x.Text != want {
		t.Errorf("text\n%q\nwant\n%q", x.Text, want)
	}
	if x.Title != "Report 2024" {
		t.Errorf("title %q", x.Title)
	}
	wantPaths := [][]string{{"Annual Report"}, {"Results"}, {"Results", "Details"}}
	if len(x.Sections) != len(wantPaths) {
		t.Fatalf("sections %+v", x.Sections)
	}
	for i, s := range x.Sections {
		if strings.Join(s.Headings, "/") != strings.Join(wantPaths[i], "/") {
			t.Errorf("section %d headings %q, want %q", i, s.Headings, wantPaths[i])
		}
	}
	checkSections(t, x)
}

// checkSections verifies that sections cover the text in order.
func checkSections(t *testing.T, x *Extracted) {
	t.Helper()
	end := 0
	for _, s := range x.Sections {
		if s.Start < end || s.End < s.Start || s.End > len(x.Text) {
			t.Fatalf("bad section %+v after %d (len %d)", s, end, len(x.Text))
		}
		if strings.TrimSpace(x.Text[end:s.Start]) != "" {
			t.Errorf("text outside sections: %q", x.Text[end:s.Start])
		}
		end = s.End
	}
	if strings.TrimSpace(x.Text[end:]) != "" {
		t.Errorf("text after the last section: %q", x.Text[end:])
	}
}

func TestDOCXZipBomb(t *testing.T) {
	// document.xml expands to 64 MiB of one repeated paragraph, 16 times the cap.
	lim := Limits{MaxExtracted: 4 << 20}
	t.Run("declared size", func(t *testing.T) {
		data := bombDOCX(t, 64<<20, false)
		start := time.Now()
		_, err := Extract(context.Background(), DOCX, bytes.NewReader(data), int64(len(data)), lim)
		if !errors.Is(err, ErrTooLarge) || time.Since(start) > hangLimit {
			t.Fatalf("got %v after %v, want ErrTooLarge without decompressing it all", err, time.Since(start))
		}
	})
	t.Run("lying header", func(t *testing.T) {
		// archive/zip notices the lie; either way it must stop early.
		data := bombDOCX(t, 64<<20, true)
		start := time.Now()
		_, err := Extract(context.Background(), DOCX, bytes.NewReader(data), int64(len(data)), lim)
		if !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrCorrupt) || time.Since(start) > hangLimit {
			t.Fatalf("got %v after %v, want ErrTooLarge or ErrCorrupt without decompressing it all", err, time.Since(start))
		}
	})
}

// bombDOCX compresses a huge document.xml; with lie, the zip headers claim
// it is small.
func bombDOCX(t testing.TB, size int, lie bool) []byte {
	t.Helper()
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	crc := crc32.NewIEEE()
	head := []byte(`<?xml version="1.0"?><w:document ` + docxNS + `><w:body>`)
	fw.Write(head)
	crc.Write(head)
	chunk := []byte(strings.Repeat(para("", "boom boom boom"), 1000))
	for n := len(head); n < size; n += len(chunk) {
		fw.Write(chunk)
		crc.Write(chunk)
	}
	fw.Close()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	h := &zip.FileHeader{Name: "word/document.xml", Method: zip.Deflate,
		CRC32: crc.Sum32(), CompressedSize64: uint64(comp.Len()), UncompressedSize64: uint64(size)}
	if lie {
		h.UncompressedSize64 = 1000
	}
	w, err := zw.CreateRaw(h)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(comp.Bytes())
	zw.Close()
	return b.Bytes()
}

func TestDOCXErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"not a zip", []byte("PK\x03\x04 but not really a zip")},
		{"no document", makeDOCX(t, "", nil)[:0]},
		{"broken xml", makeDOCX(t, docxBody(`<w:p><w:r a=><w:t>text</w:t></w:r></w:p>`), nil)},
	}
	for _, tt := range tests {
		_, err := extractBytes(t, DOCX, tt.data)
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: got %v, want ErrCorrupt", tt.name, err)
		}
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("other.xml")
	w.Write([]byte("<x/>"))
	zw.Close()
	if _, err := extractBytes(t, DOCX, b.Bytes()); !errors.Is(err, ErrCorrupt) {
		t.Errorf("zip without word/document.xml: %v", err)
	}
}

func TestDOCXDeepNesting(t *testing.T) {
	deep := strings.Repeat("<w:x>", 100000) + strings.Repeat("</w:x>", 100000)
	_, err := extractBytes(t, DOCX, makeDOCX(t, docxBody(deep), nil))
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("got %v, want ErrCorrupt", err)
	}
}
