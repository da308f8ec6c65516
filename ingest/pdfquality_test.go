package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/ledongthuc/pdf"
)

// The PDF quality evaluation compares docent's text with the reference
// `pdftotext -layout` (poppler) on the real PDFs of the shared evaluation
// set, by word-level F1: both texts become bags (multisets) of lower-cased
// whitespace-separated tokens with punctuation and symbols stripped from
// their ends. It skips when the PDFs or pdftotext are missing, or with
// -short. DOCENT_PDF_EVAL names another folder of PDFs.

// qualityGoal is the bar set by the issue.
const (
	goalMeanF1 = 0.95
	goalFileF1 = 0.85
)

func evalDir(tb testing.TB) string {
	dir := os.Getenv("DOCENT_PDF_EVAL")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "eval", "pdfs")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.pdf"))
	if len(files) == 0 {
		tb.Skipf("no PDFs in %s (set DOCENT_PDF_EVAL)", dir)
	}
	return dir
}

func wordBag(s string) map[string]int {
	bag := map[string]int{}
	for _, w := range strings.Fields(strings.ToLower(s)) {
		w = strings.TrimFunc(w, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) })
		if w != "" {
			bag[w]++
		}
	}
	return bag
}

// wordF1 is the F1 score of the bag of words of got against want.
func wordF1(got, want string) float64 {
	g, w := wordBag(got), wordBag(want)
	var ng, nw, common int
	for k, n := range g {
		ng += n
		common += min(n, w[k])
	}
	for _, n := range w {
		nw += n
	}
	if ng == 0 || nw == 0 {
		if ng == nw {
			return 1
		}
		return 0
	}
	p, r := float64(common)/float64(ng), float64(common)/float64(nw)
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func pdftotext(tb testing.TB, path string) string {
	out, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		tb.Fatalf("pdftotext %s: %v", path, err)
	}
	return string(out)
}

// plainText is the baseline: the library's own Page.GetPlainText, page by
// page, skipping pages that fail.
func plainText(path string) string {
	f, r, err := pdf.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var b strings.Builder
	for i := 1; i <= r.NumPage(); i++ {
		func() {
			defer func() { recover() }()
			s, err := r.Page(i).GetPlainText(nil)
			if err == nil {
				b.WriteString(s)
				b.WriteString("\n")
			}
		}()
	}
	return b.String()
}

func TestPDFQuality(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	if raceEnabled {
		t.Skip("pure CPU work, ten times slower under -race; CI runs it without -race")
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed (apt-get install poppler-utils)")
	}
	dir := evalDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.pdf"))
	var table bytes.Buffer
	fmt.Fprintln(&table, "| file | pages | F1 GetPlainText | F1 docent |")
	fmt.Fprintln(&table, "|---|---:|---:|---:|")
	var sum, baseSum float64
	var n, pages int
	var elapsed time.Duration
	for _, path := range files {
		name := filepath.Base(path)
		ref := pdftotext(t, path)
		start := time.Now()
		x, err := ExtractFile(context.Background(), path, noOCR(t))
		elapsed += time.Since(start)
		if len(wordBag(ref)) < 5 { // no text layer: it needs OCR (TestOCRQuality)
			if !errors.Is(err, ErrOCRUnavailable) {
				t.Errorf("%s: got %v, want ErrOCRUnavailable", name, err)
			}
			fmt.Fprintf(&table, "| %s | – | – | scan: needs OCR |\n", name)
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		f1 := wordF1(x.Text, ref)
		base := wordF1(plainText(path), ref)
		fmt.Fprintf(&table, "| %s | %d | %.2f | %.3f |\n", name, len(x.Pages), base, f1)
		sum += f1
		baseSum += base
		n++
		pages += len(x.Pages)
		if f1 < goalFileF1 {
			t.Errorf("%s: F1 %.3f < %.2f", name, f1, goalFileF1)
		}
	}
	if n == 0 {
		t.Skip("no PDF with a text layer")
	}
	mean := sum / float64(n)
	fmt.Fprintf(&table, "| **mean of %d** | %d | %.2f | **%.3f** |\n", n, pages, baseSum/float64(n), mean)
	t.Logf("\n%s%.0f pages/s (detect+extract, this run)", table.String(), float64(pages)/elapsed.Seconds())
	if mean < goalMeanF1 {
		t.Errorf("mean F1 %.3f < %.2f", mean, goalMeanF1)
	}
}

// noOCR is Limits whose OCR cannot run: a text PDF that reached the OCR
// path would fail with ErrOCRUnavailable.
func noOCR(tb testing.TB) Limits {
	return Limits{OCR: OCR{Tesseract: filepath.Join(tb.TempDir(), "no-tesseract")}}
}

// BenchmarkExtractPDF extracts every PDF of the evaluation set and reports
// pages per second.
func BenchmarkExtractPDF(b *testing.B) {
	dir := evalDir(b)
	files, _ := filepath.Glob(filepath.Join(dir, "*.pdf"))
	pages := 0
	lim := noOCR(b)
	for b.Loop() {
		pages = 0
		for _, path := range files {
			x, err := ExtractFile(context.Background(), path, lim)
			if err == nil {
				pages += len(x.Pages)
			}
		}
	}
	b.ReportMetric(float64(pages)*float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}
