package ingest

import (
	"archive/zip"
	"bytes"
	"errors"
	"testing"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		head string
		want Format
	}{
		{"report.pdf", "%PDF-1.7\n...", PDF},
		{"renamed.bin", "%PDF-1.4\n%\xe2\xe3", PDF},
		{"junk-before.pdf", "\r\n\r\n%PDF-1.3\n", PDF},
		{"doc.docx", "PK\x03\x04\x14\x00", DOCX},
		{"noext", "PK\x03\x04\x14\x00....word/document.xml", DOCX},
		{"damaged.pdf", "\x00\x01\x02garbage", PDF},
		{"page.html", "<p>hi</p>", HTML},
		{"page.txt", "<!DOCTYPE html><html><body>x</body></html>", Text},
		{"page", "  <!doctype html>\n<html><body>x</body></html>", HTML},
		{"notes.md", "plain", Markdown},
		{"notes", "# Title\n\nSome text\n\n## More\n", Markdown},
		{"data.csv", "a,b\n1,2\n", CSV},
		{"data", "name;city;n\nAda;London;1\nBob;Paris;2\n", CSV},
		{"data.tsv", "a\tb\n1\t2\n", CSV},
		{"readme", "Just some words.\nAnother line, with a comma.\n", Text},
		{"zh.txt", "中文文本，没有空格。", Text},
		{"latin1.txt", "caf\xe9 cr\xe8me br\xfbl\xe9e, na\xefve fa\xe7ade", Text},
		{"utf16.txt", "\xff\xfeh\x00i\x00", Text},
		{"cut.txt", "abc \xe4\xb8", Text}, // a rune cut off by the sniff window
	}
	for _, tt := range tests {
		got, err := Detect(tt.name, []byte(tt.head))
		if err != nil || got != tt.want {
			t.Errorf("Detect(%q, %q) = %q, %v; want %q", tt.name, tt.head, got, err, tt.want)
		}
	}
}

func TestDetectUnsupported(t *testing.T) {
	tests := []struct{ name, head string }{
		{"garbage.txt", "\x00\x13\x88\x91binary\x00\x00\x07\x08"},
		{"image.gif", "GIF89a\x10\x00\x10\x00\x80\x00\x00"},
		{"archive.zip", "PK\x03\x04\x14\x00\x00\x00mimetype"},
		{"controls.txt", "\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11abc"},
	}
	for _, tt := range tests {
		f, err := Detect(tt.name, []byte(tt.head))
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("Detect(%q) = %q, %v; want ErrUnsupported", tt.name, f, err)
		}
	}
	if msg := ErrUnsupported.Error(); !bytes.Contains([]byte(msg), []byte("PDF")) || !bytes.Contains([]byte(msg), []byte("DOCX")) {
		t.Errorf("ErrUnsupported does not list the types: %q", msg)
	}
}

func TestDetectReaderZip(t *testing.T) {
	var plain bytes.Buffer
	zw := zip.NewWriter(&plain)
	w, _ := zw.Create("notes/readme.txt")
	w.Write([]byte("hello"))
	zw.Close()
	if _, err := DetectReader("x.docx", bytes.NewReader(plain.Bytes()), int64(plain.Len())); !errors.Is(err, ErrUnsupported) {
		t.Errorf("zip without word/document.xml: %v", err)
	}
	doc := makeDOCX(t, docxBody(`<w:p><w:r><w:t>Hi</w:t></w:r></w:p>`), nil)
	if f, err := DetectReader("upload", bytes.NewReader(doc), int64(len(doc))); f != DOCX || err != nil {
		t.Errorf("docx without extension: %q, %v", f, err)
	}
}

func TestContentType(t *testing.T) {
	for f, want := range map[Format]string{
		PDF: "application/pdf", Text: "text/plain; charset=utf-8", Markdown: "text/markdown; charset=utf-8",
		HTML: "text/html; charset=utf-8", CSV: "text/csv; charset=utf-8",
		DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"x":  "application/octet-stream",
	} {
		if got := ContentType(f); got != want {
			t.Errorf("ContentType(%q) = %q", f, got)
		}
	}
}
