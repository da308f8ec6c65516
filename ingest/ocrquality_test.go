//go:build unix

package ingest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"docent/internal/testpdf"
	"docent/retrieval"
	"docent/store"
)

// The OCR quality evaluation: the PDFs of the shared evaluation set that
// have a text layer are rasterised at 200 dpi with pdftoppm (as a scanner
// would), wrapped as image-only PDFs, and read back through Extract; the
// text is scored by word F1 against `pdftotext -layout` of the originals,
// like TestPDFQuality. It takes minutes, so it runs only with
// DOCENT_OCR_EVAL=1:
//
//	DOCENT_OCR_EVAL=1 go test ./ingest -run TestOCRQuality -v -timeout 30m

const (
	goalOCRMeanF1 = 0.95
	goalOCRFileF1 = 0.85
)

func TestOCRQuality(t *testing.T) {
	if os.Getenv("DOCENT_OCR_EVAL") == "" {
		t.Skip("set DOCENT_OCR_EVAL=1 (takes minutes)")
	}
	needOCR(t)
	dir := evalDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.pdf"))
	var table bytes.Buffer
	fmt.Fprintln(&table, "| file | pages | F1 OCR | mean confidence | s/page | CPU s/page |")
	fmt.Fprintln(&table, "|---|---:|---:|---:|---:|---:|")
	var sum, cpuTotal float64
	var n, pages int
	var elapsed time.Duration
	for _, path := range files {
		ref := pdftotext(t, path)
		if len(wordBag(ref)) < 5 {
			continue // the scan: TestOCRChineseScan
		}
		orig, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var scans []testpdf.Scan
		for _, img := range rasterize(t, orig, 200) {
			scans = append(scans, testpdf.Scan{Image: img, DPI: 200})
		}
		scan, err := testpdf.ImageOnly(scans...)
		if err != nil {
			t.Fatal(err)
		}
		start, cpu0 := time.Now(), childCPU()
		x, err := Extract(context.Background(), PDF, bytes.NewReader(scan), int64(len(scan)), Limits{})
		d, cpu := time.Since(start), childCPU()-cpu0
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(path), err)
			continue
		}
		var conf float64
		for _, p := range x.Pages {
			if !p.OCR && strings.TrimSpace(x.Text[p.Start:p.End]) != "" {
				t.Errorf("%s page %d: not marked as OCR", filepath.Base(path), p.N)
			}
			conf += p.Confidence
		}
		f1 := wordF1(x.Text, ref)
		fmt.Fprintf(&table, "| %s | %d | %.3f | %.1f | %.2f | %.2f |\n", strings.TrimSuffix(filepath.Base(path), ".pdf"),
			len(x.Pages), f1, conf/float64(len(x.Pages)), d.Seconds()/float64(len(x.Pages)), cpu/float64(len(x.Pages)))
		cpuTotal += cpu
		sum += f1
		n++
		pages += len(x.Pages)
		elapsed += d
		if f1 < goalOCRFileF1 {
			t.Errorf("%s: F1 %.3f < %.2f", filepath.Base(path), f1, goalOCRFileF1)
		}
	}
	if n == 0 {
		t.Skip("no PDF with a text layer")
	}
	mean := sum / float64(n)
	fmt.Fprintf(&table, "| **mean of %d** | %d | **%.3f** | | %.2f | %.2f |\n", n, pages, mean, elapsed.Seconds()/float64(pages), cpuTotal/float64(pages))
	t.Logf("\n%s%.2f pages/s measured (render + OCR, %d pages at once); %.2f pages/s on 2 idle cores at the CPU time spent (pdftoppm + tesseract)",
		table.String(), float64(pages)/elapsed.Seconds(), OCR{}.withDefaults().Workers, 2*float64(pages)/cpuTotal)
	if mean < goalOCRMeanF1 {
		t.Errorf("mean F1 %.3f < %.2f", mean, goalOCRMeanF1)
	}
}

// childCPU is the CPU time (user + system) of the finished subprocesses.
func childCPU() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// TestOCRChineseScan ingests the scanned Chinese decision of the
// evaluation set with two languages at once (chi_sim+eng), and a Chinese
// question about its content finds it.
func TestOCRChineseScan(t *testing.T) {
	needOCR(t)
	if testing.Short() {
		t.Skip("-short")
	}
	path := filepath.Join(evalDir(t), "issue-203-decimalize.pdf")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("no %s", path)
	}
	out, _ := exec.Command("tesseract", "--list-langs").CombinedOutput()
	if !strings.Contains(string(out), "chi_sim") {
		if os.Getenv("CI") != "" {
			t.Fatal("tesseract-ocr-chi-sim is not installed; .ci/run installs it")
		}
		t.Skip("tesseract-ocr-chi-sim is not installed")
	}
	db, err := store.Open(context.Background(), t.TempDir(), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	lib := retrieval.NewLibrary(db, retrieval.NewBuiltin(0), retrieval.LibraryOptions{})
	p, err := NewPipeline(db, lib, filepath.Join(db.Dir(), "uploads"),
		Options{Limits: Limits{OCR: OCR{Languages: "chi_sim+eng"}}})
	if err != nil {
		t.Fatal(err)
	}
	start(t, p)
	ctx := context.Background()
	d, _, err := p.Submit(ctx, spooled(t, p, "issue-203-decimalize.pdf", data))
	if err != nil {
		t.Fatal(err)
	}
	if d, err = p.Wait(ctx, d.ID); err != nil || d.Status != store.StatusReady || d.Pages != 3 {
		t.Fatalf("the scan is not ready: %+v %v", d, err)
	}
	hits, err := lib.Search(ctx, store.Viewer{UserID: 7}, retrieval.SearchRequest{Text: "当事人申报的残次品折合保税料件价值多少元？", TopK: 3})
	if err != nil || len(hits) == 0 || hits[0].DocumentID != d.ID {
		t.Fatalf("the Chinese question did not find the scan: %+v %v", hits, err)
	}
	if !strings.Contains(hits[0].Text, "残次品") {
		t.Errorf("best passage does not hold the answer: %q", hits[0].Text)
	}
}
