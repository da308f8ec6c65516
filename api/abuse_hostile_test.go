package api

import (
	"archive/zip"
	"bytes"
	"fmt"
	"hash/crc32"
	"net/http"
	"strings"
	"testing"
	"time"

	"docent/internal/testpdf"
)

// Hostile documents (see abuse_test.go): decompression bombs, deep HTML
// and looping PDFs, and the builders that write them.

// Hostile documents: each ends failed with a readable error, or ready,
// within a bound, and the server answers meanwhile and after.
func TestHostileDocumentsFailQuicklyAndServerKeepsServing(t *testing.T) {
	e := newTestEnv(t, Config{MaxUpload: 8 << 20})
	ann := e.register("ann")
	// Uploaded one at a time so each one's duration is its own; a probe
	// checks the server answers while each one is processed.
	for _, d := range hostileDocuments(t) {
		t.Run(d.name, func(t *testing.T) {
			stop := make(chan struct{})
			probe := make(chan error, 1)
			go func() {
				var err error
				defer func() { probe <- err }()
				for {
					select {
					case <-stop:
						return
					case <-time.After(50 * time.Millisecond):
					}
					resp, gerr := e.http.Client().Get(e.http.URL + "/health")
					if gerr != nil {
						err = gerr
						return
					}
					resp.Body.Close()
				}
			}()
			start := time.Now()
			r := e.upload(ann.Token, "wait=true", d)
			took := time.Since(start)
			close(stop)
			if err := <-probe; err != nil {
				t.Errorf("health probe failed during %s: %v", d.name, err)
			}
			if took > 30*time.Second {
				t.Errorf("%s took %v", d.name, took)
			}
			if r.Status >= 400 && r.Status < 500 {
				problemOf(t, d.name, r)
				return
			}
			expect(t, d.name, r, http.StatusCreated)
			var got []documentJSON
			r.JSON(t, &got)
			doc := got[0]
			switch doc.Status {
			case "ready":
			case "failed":
				if doc.Error == "" || strings.Contains(doc.Error, "/") || strings.Contains(doc.Error, "panic") || strings.Contains(doc.Error, "goroutine") {
					t.Errorf("%s failed without a readable error: %q", d.name, doc.Error)
				}
			default:
				t.Errorf("%s ended %s", d.name, doc.Status)
			}
			t.Logf("%s: %s %q in %v", d.name, doc.Status, doc.Error, took.Round(time.Millisecond))
		})
	}
	e.ingest(ann.Token, campingGuide)
	r := e.do("POST", "/api/v1/search", ann.Token, map[string]any{"query": "Osprey tent weight"})
	expect(t, "search after the hostile documents", r, 200)
	if !strings.Contains(string(r.Body), "Osprey") {
		t.Errorf("search after the hostile documents: %s", r.Body)
	}
}

// hostileDocuments are the files that TestHostileDocumentsFailQuickly…
// uploads: zip bombs, deep or unclosed HTML, and PDFs whose references
// loop.
func hostileDocuments(t *testing.T) []file {
	t.Helper()
	deep := strings.Repeat("<div>", 100000) + "deep text" + strings.Repeat("</div>", 100000) + "<p>after the nesting</p>"
	unclosed := "<html><body>" + strings.Repeat("<table><tr><td><b><i><span>", 40000) + "cell text"
	return []file{
		{"bomb-declared.docx", bombDOCX(t, 256<<20, false)},
		{"bomb-lying.docx", bombDOCX(t, 256<<20, true)},
		{"deep.html", []byte(deep)},
		{"unclosed.html", []byte(unclosed)},
		{"pages-self-loop.pdf", pdfWith([]string{
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
			"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
			pdfStream("BT /F1 12 Tf 72 700 Td (loop page) Tj ET"),
			helvetica,
		}, "")},
		{"pages-fanout.pdf", fanoutPDF()},
		{"length-self-ref.pdf", pdfWith(onePage("",
			"<< /Length 4 0 R >>\nstream\nBT (x) Tj ET\nendstream",
		), "")},
		{"ref-to-itself.pdf", pdfWith(onePage(" /Resources 5 0 R",
			pdfStream("BT /F1 12 Tf (self) Tj ET"),
			"5 0 R",
		), "")},
		{"parent-loop.pdf", pdfWith([]string{
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 /Parent 3 0 R >>",
			"<< /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R >>",
		}, "")},
		{"form-recursion.pdf", pdfWith(onePage(" /Resources << /XObject << /X0 5 0 R >> /Font << /F1 6 0 R >> >>",
			pdfStream("/X0 Do"),
			"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /XObject << /X0 5 0 R >> /Font << /F1 6 0 R >> >> /Length 37 >>\nstream\nBT /F1 12 Tf (again) Tj ET /X0 Do\nendstream",
			helvetica,
		), "")},
		{"objstm-extends-loop.pdf", objStmLoopPDF()},
		{"xref-prev-loop.pdf", pdfWith(onePage("", pdfStream("BT (x) Tj ET")), "/Prev {xref}")},
	}
}

// bombDOCX is a DOCX whose document.xml inflates to size bytes (one
// paragraph with a run of size-odd 'b's); with lie, the zip headers claim
// it is small. The deflate stream is written by hand — a literal, then
// copies of 258 bytes at distance 1, 13 bits each — so that building a
// 256 MiB bomb takes milliseconds even under the race detector.
func bombDOCX(t *testing.T, size int, lie bool) []byte {
	t.Helper()
	head := `<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>`
	tail := `</w:t></w:r></w:p></w:body></w:document>`
	run := (size - len(head) - len(tail) - 1) / 258 * 258
	var bw bitWriter
	bw.bits(1, 1) // final block
	bw.bits(1, 2) // fixed Huffman codes
	literal := func(c byte) {
		if c < 144 {
			bw.code(0x30+uint32(c), 8)
		} else {
			bw.code(0x190+uint32(c)-144, 9)
		}
	}
	for i := range len(head) {
		literal(head[i])
	}
	literal('b')
	for range run / 258 {
		bw.code(0xc5, 8) // length code 285: 258 bytes
		bw.code(0, 5)    // distance code 0: distance 1
	}
	for i := range len(tail) {
		literal(tail[i])
	}
	bw.code(0, 7) // end of block
	comp := bw.flush()

	crc := crc32.NewIEEE()
	crc.Write([]byte(head + "b"))
	bs := bytes.Repeat([]byte("b"), 258<<10)
	for n := run; n > 0; n -= len(bs) {
		crc.Write(bs[:min(n, len(bs))])
	}
	crc.Write([]byte(tail))
	total := len(head) + 1 + run + len(tail)
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	h := &zip.FileHeader{Name: "word/document.xml", Method: zip.Deflate,
		CRC32: crc.Sum32(), CompressedSize64: uint64(len(comp)), UncompressedSize64: uint64(total)}
	if lie {
		h.UncompressedSize64 = 1000
	}
	zf, err := zw.CreateRaw(h)
	if err != nil {
		t.Fatal(err)
	}
	zf.Write(comp)
	zw.Close()
	return b.Bytes()
}

// bitWriter packs a deflate stream, least significant bit first.
type bitWriter struct {
	out  []byte
	acc  uint64
	nacc uint
}

// bits writes the n low bits of v as they are (header fields).
func (w *bitWriter) bits(v uint32, n uint) {
	w.acc |= uint64(v) << w.nacc
	w.nacc += n
	for w.nacc >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.nacc -= 8
	}
}

// code writes an n-bit Huffman code, most significant bit first.
func (w *bitWriter) code(c uint32, n uint) {
	var r uint32
	for i := range n {
		r |= (c >> i & 1) << (n - 1 - i)
	}
	w.bits(r, n)
}

func (w *bitWriter) flush() []byte {
	if w.nacc > 0 {
		w.out = append(w.out, byte(w.acc))
	}
	return w.out
}

func pdfStream(content string) string { return testpdf.Stream(content, "") }

// pdfWith writes objects 1..n with a correct cross-reference table; the
// trailer gets extra entries, where "{xref}" is the table's own offset.
func pdfWith(objs []string, trailer string) []byte { return testpdf.Objects(objs, trailer) }

// helvetica is a font object (or a direct font dictionary).
const helvetica = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"

// onePage returns the objects of a one-page PDF: the catalog (1), its page
// tree (2) and the page (3), whose content stream is object 4 and whose
// dictionary ends with pageDict; then objs, from object 4 on.
func onePage(pageDict string, objs ...string) []string {
	return append([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /Contents 4 0 R" + pageDict + " >>",
	}, objs...)
}

// objStmLoopPDF has a cross-reference stream that puts the page content
// (object 4) in object stream 5, which does not hold it and /Extends
// itself: the library's search for the object never ends by itself.
func objStmLoopPDF() []byte {
	objs := onePage("", "", "<< /Type /ObjStm /N 0 /First 1 /Extends 5 0 R /Length 2 >>\nstream\n  \nendstream")
	var b bytes.Buffer
	b.WriteString("%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
	offsets := map[int]int{}
	for i, o := range objs {
		if o == "" {
			continue
		}
		offsets[i+1] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xrefAt := b.Len()
	offsets[6] = xrefAt
	var rows bytes.Buffer
	for id := 0; id <= 6; id++ {
		switch {
		case id == 0:
			rows.Write([]byte{0, 0, 0, 0, 0, 0xff, 0xff})
		case id == 4: // compressed: in object stream 5, index 0
			rows.Write([]byte{2, 0, 0, 0, 5, 0, 0})
		default:
			off := offsets[id]
			rows.Write([]byte{1, byte(off >> 24), byte(off >> 16), byte(off >> 8), byte(off), 0, 0})
		}
	}
	fmt.Fprintf(&b, "6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n", rows.Len())
	b.Write(rows.Bytes())
	fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xrefAt)
	return b.Bytes()
}

// fanoutPDF is a "billion laughs" page tree: 24 levels of Pages nodes that
// each list the next level twice, over one page — 16 million pages from a
// file of a few kilobytes.
func fanoutPDF() []byte {
	const levels = 24
	objs := []string{"<< /Type /Catalog /Pages 3 0 R >>", pdfStream("BT /F1 12 Tf 72 700 Td (same page again) Tj ET")}
	for i := range levels {
		next := sprintf("%d 0 R", i+4)
		if i == levels-1 {
			next = sprintf("%d 0 R", levels+3)
		}
		objs = append(objs, sprintf("<< /Type /Pages /Kids [%s %s] /Count %d >>", next, next, 1<<(levels-i)))
	}
	objs = append(objs, "<< /Type /Page /Contents 2 0 R /Resources << /Font << /F1 "+helvetica+" >> >> >>")
	return pdfWith(objs, "")
}
