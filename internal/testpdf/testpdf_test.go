package testpdf

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ledongthuc/pdf"
)

func TestPagesReadBack(t *testing.T) {
	raw := Pages([]string{"first page text"}, []string{"second (page) text"})
	r, err := pdf.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if r.NumPage() != 2 {
		t.Fatalf("%d pages", r.NumPage())
	}
	text, err := r.Page(2).GetPlainText(nil)
	if err != nil || !strings.Contains(text, "second (page) text") {
		t.Errorf("page 2 text %q %v", text, err)
	}
	if _, err := pdf.NewReader(bytes.NewReader(Truncated()), int64(len(Truncated()))); err == nil {
		t.Error("truncated PDF opens")
	}
}
