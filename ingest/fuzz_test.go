package ingest

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Fuzz targets for the loaders and the chunker. Seed corpora live in
// testdata/fuzz/<FuzzName>/; run one with
//
//	go test ./ingest -run '^$' -fuzz '^FuzzExtractPDF$' -fuzztime 30s
//
// Every input must end in a result or one of the package's errors, within
// the time limit, without a panic escaping, and with bounded output.

var fuzzLimits = Limits{MaxBytes: 1 << 20, MaxExtracted: 1 << 20, Timeout: 5 * time.Second}

// checkResult verifies the invariants of any Extract result.
func checkResult(t *testing.T, x *Extracted, err error) {
	t.Helper()
	if err != nil {
		for _, want := range []error{ErrCorrupt, ErrNoText, ErrEncrypted, ErrTooLarge, ErrUnsupported} {
			if errors.Is(err, want) {
				return
			}
		}
		t.Fatalf("unexpected error %v", err)
	}
	if !utf8.ValidString(x.Text) || int64(len(x.Text)) > fuzzLimits.MaxExtracted {
		t.Fatalf("bad text (%d bytes)", len(x.Text))
	}
	end := 0
	for _, p := range x.Pages {
		if p.Start < end || p.End < p.Start || p.End > len(x.Text) {
			t.Fatalf("bad page span %+v", p)
		}
		end = p.End
	}
	end = 0
	for _, s := range x.Sections {
		if s.Start < end || s.End < s.Start || s.End > len(x.Text) {
			t.Fatalf("bad section %+v", s)
		}
		end = s.End
	}
	chunks := Split(x, ChunkOptions{Size: 200})
	checkChunks(t, x, chunks, 200, 30)
}

// bugSink fails the test for panics raised in this package's own code; the
// PDF library's panics on malformed input are expected and recovered.
func bugSink(t *testing.T) context.Context {
	return context.WithValue(context.Background(), panicSinkKey{}, panicSink(func(val any, stack []byte) {
		if _, ok := val.(runtime.Error); !ok {
			return
		}
		// The first frame after the panic call tells where it happened.
		s := string(stack)
		if i := strings.Index(s, "panic("); i >= 0 {
			s = s[i:]
		}
		if i := strings.Index(s, "\n"); i >= 0 {
			s = s[i+1:]
		}
		if i := strings.Index(s, "\n"); i >= 0 {
			s = s[:i]
		}
		if strings.HasPrefix(s, "docent/ingest.") {
			t.Errorf("panic in ingest: %v\n%s", val, stack)
		}
	}))
}

func FuzzExtractPDF(f *testing.F) {
	f.Add(makePDF(pdfSpec{pages: []string{"BT /F1 12 Tf 72 700 Td (Hello world) Tj ET"}}))
	f.Add(makePDF(pdfSpec{pages: []string{"BT /F3 12 Tf 72 700 Td <00010002> Tj ET"}, forms: []string{"/X0 Do"}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := bugSink(t)
		x, err := Extract(ctx, PDF, bytes.NewReader(data), int64(len(data)), fuzzLimits)
		checkResult(t, x, err)
	})
}

func FuzzExtractHTML(f *testing.F) {
	f.Add("<html><head><title>T</title></head><body><h1>A</h1><p>x<table><tr><td>1<td>2</table><h2>B</h2>y</body>")
	f.Fuzz(func(t *testing.T, page string) {
		x, err := Extract(context.Background(), HTML, strings.NewReader(page), int64(len(page)), fuzzLimits)
		checkResult(t, x, err)
	})
}

func FuzzExtractDOCX(f *testing.F) {
	f.Add(makeDOCX(f, docxBody(para("Heading1", "Title")+para("", "Body")), nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := Extract(context.Background(), DOCX, bytes.NewReader(data), int64(len(data)), fuzzLimits)
		checkResult(t, x, err)
	})
}

func FuzzExtractCSV(f *testing.F) {
	f.Add("a,b\n1,2\n\"x,y\",z\n")
	f.Fuzz(func(t *testing.T, data string) {
		x, err := Extract(context.Background(), CSV, strings.NewReader(data), int64(len(data)), fuzzLimits)
		checkResult(t, x, err)
	})
}

func FuzzSplit(f *testing.F) {
	f.Add("# A\n\nSome text. More text！中文，句子。\n\n## B\n\nx", 40, 10)
	f.Fuzz(func(t *testing.T, text string, size, overlap int) {
		text = strings.ToValidUTF8(text, "\uFFFD") // as Extract guarantees
		size = 1 + abs(size%400)
		overlap = overlap % (size + 1)
		want := overlap
		switch {
		case overlap == 0:
			want = size * DefaultChunkOverlap / DefaultChunkSize
		case overlap < 0:
			want = 0
		}
		want = min(want, size/2)
		for _, x := range []*Extracted{{Text: text}, {Text: Normalize(text)}, parseMarkdown(text)} {
			checkChunks(t, x, Split(x, ChunkOptions{Size: size, Overlap: overlap}), size, want)
		}
	})
}

func abs(a int) int {
	if a < 0 {
		return -a
	}
	return a
}
