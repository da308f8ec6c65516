package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func extractBytes(t testing.TB, f Format, data []byte) (*Extracted, error) {
	t.Helper()
	return Extract(context.Background(), f, bytes.NewReader(data), int64(len(data)), Limits{})
}

func TestPDFRebuildsWordsFromPositions(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{
			"glyph by glyph",
			glyphByGlyph("Positioned glyphs make words", 72, 700, 12),
			"Positioned glyphs make words",
		},
		{
			"word by word",
			"BT /F1 12 Tf 72 700 Td (Each) Tj 30 0 Td (word) Tj 32 0 Td (placed) Tj ET",
			"Each word placed",
		},
		{
			"TJ kerning and spacing",
			"BT /F1 12 Tf 72 700 Td [(Ker) 30 (ning) -400 (keeps) -20 (words) -350 (apart)] TJ ET",
			"Kerning keepswords apart",
		},
		{
			"explicit spaces",
			"BT /F2 11 Tf 72 700 Td (Plain text with spaces.) Tj ET",
			"Plain text with spaces.",
		},
		{
			"lines by T* and '",
			"BT /F1 12 Tf 14 TL 72 700 Td (First line) Tj T* (Second line) Tj (Third line) ' ET",
			"First line\nSecond line\nThird line",
		},
		{
			"fake bold overprint",
			"BT /F1 12 Tf 72 700 Td (Bold) Tj ET BT /F1 12 Tf 72.3 700 Td (Bold) Tj ET",
			"Bold",
		},
		{
			"inline image skipped",
			"BT /F1 12 Tf 72 700 Td (Before) Tj ET BI /W 2 /H 2 /BPC 8 /CS /G ID \x00\xffEI)(\x01\x02 EI BT /F1 12 Tf 72 680 Td (After) Tj ET",
			"Before\nAfter",
		},
		{
			"form xobject",
			"q 1 0 0 1 0 -100 cm /X0 Do Q",
			"Inside a form",
		},
		{
			"Type0 font with ToUnicode",
			"BT /F3 12 Tf 72 700 Td <000100020003000400050006> Tj ET",
			cjkGlyphs,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := makePDF(pdfSpec{pages: []string{tt.content}, forms: []string{"BT /F1 12 Tf 72 700 Td (Inside a form) Tj ET"}})
			x, err := extractBytes(t, PDF, data)
			if err != nil {
				t.Fatal(err)
			}
			if x.Text != tt.want {
				t.Errorf("got %q, want %q", x.Text, tt.want)
			}
		})
	}
}

// twoColumnPage draws two columns of prose, interleaving the lines of both
// columns in the content stream as a producer writing row by row would.
func twoColumnPage(left, right []string) string {
	var b strings.Builder
	for i := range max(len(left), len(right)) {
		y := 700 - 14*float64(i)
		if i < len(left) {
			fmt.Fprintf(&b, "BT /F1 10 Tf 72 %g Td (%s) Tj ET\n", y, left[i])
		}
		if i < len(right) {
			fmt.Fprintf(&b, "BT /F1 10 Tf 320 %g Td (%s) Tj ET\n", y, right[i])
		}
	}
	return b.String()
}

func TestPDFTwoColumns(t *testing.T) {
	left := []string{
		"The left column starts the article and",
		"keeps going for several lines of prose so",
		"that it looks like a real column of text",
		"in a journal, a newsletter or a report.",
		"Its last line ends the first column here.",
	}
	right := []string{
		"The right column continues the story and",
		"must be read only after the left column",
		"has been read completely from top to the",
		"bottom, which is what readers expect of",
		"a two column page layout in a document.",
	}
	title := "BT /F1 16 Tf 150 740 Td (A Title Across Both Columns) Tj ET\n"
	data := makePDF(pdfSpec{pages: []string{title + twoColumnPage(left, right)}})
	x, err := extractBytes(t, PDF, data)
	if err != nil {
		t.Fatal(err)
	}
	want := "A Title Across Both Columns\n\n" + strings.Join(left, "\n") + "\n\n" + strings.Join(right, "\n")
	if x.Text != want {
		t.Errorf("got\n%s\nwant\n%s", x.Text, want)
	}
}

func TestPDFTableKeepsRows(t *testing.T) {
	var b strings.Builder
	rows := [][]string{{"Name", "City", "Count"}, {"Alpha", "Boston", "12"}, {"Beta", "Denver", "7"}, {"Gamma", "Austin", "31"}}
	for i, r := range rows {
		for j, cell := range r {
			fmt.Fprintf(&b, "BT /F1 10 Tf %d %d Td (%s) Tj ET\n", 72+150*j, 700-14*i, cell)
		}
	}
	x, err := extractBytes(t, PDF, makePDF(pdfSpec{pages: []string{b.String()}}))
	if err != nil {
		t.Fatal(err)
	}
	want := "Name City Count\nAlpha Boston 12\nBeta Denver 7\nGamma Austin 31"
	if x.Text != want {
		t.Errorf("got %q, want %q", x.Text, want)
	}
}

func TestPDFRotatedText(t *testing.T) {
	// Text drawn rotated by 90° (reading bottom to top), as on a landscape
	// table printed on a portrait page.
	content := "BT /F1 12 Tf 0 1 -1 0 284 100 Tm (Rotated line one) Tj ET\n" +
		"BT /F1 12 Tf 0 1 -1 0 300 100 Tm (Rotated line two) Tj ET\n" +
		"BT /F1 8 Tf 72 50 Td (x) Tj ET"
	x, err := extractBytes(t, PDF, makePDF(pdfSpec{pages: []string{content}, rotate: 90}))
	if err != nil {
		t.Fatal(err)
	}
	if want := "Rotated line one\nRotated line two\n\nx"; x.Text != want {
		t.Errorf("got %q, want %q", x.Text, want)
	}
}

func TestPDFPages(t *testing.T) {
	data := makePDF(pdfSpec{pages: []string{
		"BT /F1 12 Tf 72 700 Td (Page one text) Tj ET",
		"0 0 1 rg 100 100 200 200 re f",
		"BT /F1 12 Tf 72 700 Td (Page three text) Tj ET",
	}})
	x, err := extractBytes(t, PDF, data)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Page one text\f\fPage three text"; x.Text != want {
		t.Fatalf("text %q, want %q", x.Text, want)
	}
	want := []Span{{N: 1, Start: 0, End: 13}, {N: 2, Start: 14, End: 14}, {N: 3, Start: 15, End: 30}}
	if fmt.Sprint(x.Pages) != fmt.Sprint(want) {
		t.Errorf("pages %v, want %v", x.Pages, want)
	}
	for _, p := range x.Pages {
		if strings.Contains(x.Text[p.Start:p.End], "\f") {
			t.Errorf("page %d span holds a form feed", p.N)
		}
	}
}

func TestPDFErrors(t *testing.T) {
	valid := makePDF(pdfSpec{pages: []string{"BT /F1 12 Tf 72 700 Td (Hello) Tj ET"}})
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"no text layer", makePDF(pdfSpec{pages: []string{"0 0 1 rg 100 100 200 200 re f q 200 0 0 200 0 0 cm Q"}}), ErrNoText},
		{"truncated", valid[:len(valid)/2], ErrCorrupt},
		{"garbage after header", append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{0x9c, 0x17, 0xee}, 300)...), ErrCorrupt},
		{"not a pdf", []byte("hello"), ErrCorrupt},
		{"empty", nil, ErrCorrupt},
		{"encrypted", makePDF(pdfSpec{pages: []string{"BT /F1 12 Tf 72 700 Td (Secret) Tj ET"}, encrypt: true}), ErrEncrypted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := extractBytes(t, PDF, tt.data)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), "runtime") || strings.Contains(err.Error(), ".go") {
				t.Errorf("error leaks internals: %v", err)
			}
		})
	}
}

func TestPDFLimits(t *testing.T) {
	big := strings.Repeat("BT /F1 12 Tf 72 700 Td (Some text to fill the page) Tj ET\n", 2000)
	data := makePDF(pdfSpec{pages: []string{big}})
	_, err := Extract(context.Background(), PDF, bytes.NewReader(data), int64(len(data)), Limits{MaxExtracted: 10 << 10})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("content over MaxExtracted: got %v, want ErrTooLarge", err)
	}
	_, err = Extract(context.Background(), PDF, bytes.NewReader(data), int64(len(data)), Limits{MaxBytes: 1000})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("file over MaxBytes: got %v, want ErrTooLarge", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Extract(ctx, PDF, bytes.NewReader(data), int64(len(data)), Limits{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: got %v", err)
	}
	start := time.Now()
	_, err = Extract(context.Background(), PDF, bytes.NewReader(data), int64(len(data)), Limits{Timeout: time.Nanosecond})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > hangLimit {
		t.Errorf("timeout: got %v after %v", err, time.Since(start))
	}
}

func TestPDFTitle(t *testing.T) {
	data := makePDF(pdfSpec{pages: []string{"BT /F1 12 Tf 72 700 Td (Body) Tj ET"}, info: "<< /Title <FEFF0054006900740065006C> >>"})
	x, err := extractBytes(t, PDF, data)
	if err != nil {
		t.Fatal(err)
	}
	if x.Title != "Titel" {
		t.Errorf("title %q", x.Title)
	}
}

func TestPDFHostileNumbers(t *testing.T) {
	valid := string(makePDF(pdfSpec{pages: []string{"BT /F1 12 Tf 72 700 Td (Hello) Tj ET"}}))
	tests := map[string]string{
		"huge xref subsection": strings.Replace(valid, "xref\n0 ", "xref\n999999999 1\n0000000000 65535 f \n0 ", 1),
		"huge Size":            strings.Replace(valid, "/Size ", "/Size 99999999999", 1),
		"huge object count":    strings.Replace(valid, "/Type /Catalog", "/Type /Catalog /N 9999999999", 1),
		"huge Index":           strings.Replace(valid, "/Type /Catalog", "/Type /Catalog /Index [0 5 4000000000 2]", 1),
		"huge Columns":         strings.Replace(valid, "/Type /Catalog", "/Type /Catalog /DecodeParms << /Columns 99999999999 >>", 1),
	}
	for name, data := range tests {
		start := time.Now()
		_, err := extractBytes(t, PDF, []byte(data))
		if !errors.Is(err, ErrCorrupt) || time.Since(start) > hangLimit {
			t.Errorf("%s: got %v after %v, want ErrCorrupt without hanging", name, err, time.Since(start))
		}
	}
}

func TestPDFPrevLoop(t *testing.T) {
	// A trailer whose /Prev points back at its own xref table makes the
	// library loop; the read budget ends it.
	data := string(makePDF(pdfSpec{pages: []string{"BT /F1 12 Tf 72 700 Td (Hello) Tj ET"}}))
	xref := strings.Index(data, "xref\n0 ")
	data = strings.Replace(data, "/Root 1 0 R", fmt.Sprintf("/Root 1 0 R /Prev %d", xref), 1)
	start := time.Now()
	// The timeout is only a backstop: the read budget must end the loop
	// (ErrCorrupt) long before it, even under -race on a busy machine.
	_, err := Extract(context.Background(), PDF, strings.NewReader(data), int64(len(data)), Limits{Timeout: hangLimit})
	if !errors.Is(err, ErrCorrupt) || time.Since(start) > hangLimit {
		t.Errorf("got %v after %v, want ErrCorrupt without hanging", err, time.Since(start))
	}
}
