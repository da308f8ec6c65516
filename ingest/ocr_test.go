package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"docent/internal/testpdf"
	"docent/store"
)

// needOCR skips a test when Tesseract or pdftoppm is missing, except in CI
// (which installs both), where that is a failure.
func needOCR(t testing.TB) {
	t.Helper()
	for _, bin := range []string{"tesseract", "pdftoppm"} {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed; .ci/run installs it", bin)
			}
			t.Skipf("%s is not installed", bin)
		}
	}
}

// rasterize renders every page of a PDF with pdftoppm at dpi, as a scanner
// would, and returns the page images.
func rasterize(t testing.TB, pdf []byte, dpi int) []image.Image {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-r", fmt.Sprint(dpi), "-gray", "-png", in, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "p-*.png"))
	sort.Strings(files)
	var imgs []image.Image
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	return imgs
}

// scanOf returns an image-only PDF of the given pages of text.
func scanOf(t testing.TB, jpegs bool, pages ...[]string) []byte {
	t.Helper()
	var scans []testpdf.Scan
	for _, img := range rasterize(t, testpdf.Pages(pages...), 200) {
		scans = append(scans, testpdf.Scan{Image: img, JPEG: jpegs})
	}
	pdf, err := testpdf.ImageOnly(scans...)
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}

var scanLines = [][]string{
	{"Expense policy for field engineers", "Hotel nights in Geneva are reimbursed up to 210 francs.", "Trains: second class unless the trip is longer than four hours."},
	{"Safety checklist", "Always wear a helmet on the construction site.", "Report every incident to the site manager within one day."},
}

func TestOCRScannedPDF(t *testing.T) {
	needOCR(t)
	noRenderer := filepath.Join(t.TempDir(), "no-pdftoppm")
	cases := []struct {
		name string
		jpeg bool
		ocr  OCR
	}{
		{"rendered by pdftoppm", false, OCR{}},
		{"grey pixels decoded in Go", false, OCR{Pdftoppm: noRenderer}},
		{"JPEG stream taken in Go", true, OCR{Pdftoppm: noRenderer}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pdf := scanOf(t, tc.jpeg, scanLines...)
			x, err := Extract(context.Background(), PDF, bytes.NewReader(pdf), int64(len(pdf)), Limits{OCR: tc.ocr})
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if len(x.Pages) != 2 {
				t.Fatalf("%d pages, want 2", len(x.Pages))
			}
			for i, p := range x.Pages {
				want := strings.Join(scanLines[i], "\n")
				got := x.Text[p.Start:p.End]
				if f1 := wordF1(got, want); f1 < 0.9 {
					t.Errorf("page %d: word F1 %.2f, text %q", i+1, f1, got)
				}
				if !p.OCR || p.Confidence < 60 || p.Confidence > 100 {
					t.Errorf("page %d: OCR %v, confidence %.1f", i+1, p.OCR, p.Confidence)
				}
			}
		})
	}
}

// TestOCRChunksRecordIt runs a scan through the pipeline: its chunks say
// they were read by OCR, with the confidence; a text PDF's do not.
func TestOCRChunksRecordIt(t *testing.T) {
	needOCR(t)
	p, db, _ := testPipeline(t)
	start(t, p)
	ctx := context.Background()
	ingestOne := func(name string, data []byte) uint64 {
		d, _, err := p.Submit(ctx, spooled(t, p, name, data))
		if err != nil {
			t.Fatal(err)
		}
		if d, err = p.Wait(ctx, d.ID); err != nil || d.Status != store.StatusReady {
			t.Fatalf("%s: %+v %v", name, d, err)
		}
		return d.ID
	}
	scan := ingestOne("scan.pdf", scanOf(t, false, scanLines[0]))
	text := ingestOne("text.pdf", testpdf.Pages(scanLines[1]))
	for _, tc := range []struct {
		id  uint64
		ocr bool
	}{{scan, true}, {text, false}} {
		chunks, err := db.Chunks(ctx, tc.id)
		if err != nil || len(chunks) == 0 {
			t.Fatalf("document %d: %d chunks, %v", tc.id, len(chunks), err)
		}
		for _, c := range chunks {
			if c.OCR != tc.ocr || tc.ocr && (c.OCRConfidence < 60 || c.OCRConfidence > 100) {
				t.Errorf("document %d chunk %d: OCR %v confidence %.1f, want OCR %v", tc.id, c.Index, c.OCR, c.OCRConfidence, tc.ocr)
			}
		}
	}
}

// fakeTesseract writes a script that stands for tesseract: it appends its
// arguments to a log and runs body.
func fakeTesseract(t *testing.T, body string) (bin, log string) {
	t.Helper()
	dir := t.TempDir()
	bin, log = filepath.Join(dir, "tesseract"), filepath.Join(dir, "calls")
	script := fmt.Sprintf("#!/bin/sh\necho \"$@\" >> %q\n%s\n", log, body)
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, log
}

// A page with text is never OCRed, even when it also paints images; only
// the image-only page of the same PDF is.
func TestOCROnlyPagesWithoutText(t *testing.T) {
	needOCR(t)
	tsv := "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n" +
		"5\t1\t1\t1\t1\t1\t0\t0\t10\t10\t91.5\tscanned\n5\t1\t1\t1\t1\t2\t0\t0\t10\t10\t88.5\twords\n"
	bin, calls := fakeTesseract(t, "cat > /dev/null; printf '"+strings.ReplaceAll(tsv, "\t", `\t`)+"'")
	img := rasterize(t, testpdf.Pages([]string{"logo"}), 30)[0]
	onlyImage, err := testpdf.ImageOnly(testpdf.Scan{Image: img})
	if err != nil {
		t.Fatal(err)
	}
	text := testpdf.Pages([]string{"A page with real text."})
	for _, tc := range []struct {
		name  string
		pdf   []byte
		calls int
		want  string
	}{
		{"text page", text, 0, "A page with real text."},
		{"image-only page", onlyImage, 1, "scanned words"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(calls)
			x, err := Extract(context.Background(), PDF, bytes.NewReader(tc.pdf), int64(len(tc.pdf)), Limits{OCR: OCR{Tesseract: bin}})
			if err != nil {
				t.Fatal(err)
			}
			log, _ := os.ReadFile(calls)
			if n := strings.Count(string(log), "\n"); n != tc.calls {
				t.Errorf("tesseract ran %d times, want %d", n, tc.calls)
			}
			if x.Text != tc.want || x.Pages[0].OCR != (tc.calls > 0) {
				t.Errorf("text %q (OCR %v), want %q", x.Text, x.Pages[0].OCR, tc.want)
			}
		})
	}
}

func TestOCRMissingTesseract(t *testing.T) {
	pdf, err := testpdf.ImageOnly(testpdf.Scan{Image: image.NewGray(image.Rect(0, 0, 100, 100))})
	if err != nil {
		t.Fatal(err)
	}
	lim := Limits{OCR: OCR{Tesseract: filepath.Join(t.TempDir(), "tesseract")}}
	_, err = Extract(context.Background(), PDF, bytes.NewReader(pdf), int64(len(pdf)), lim)
	if !errors.Is(err, ErrOCRUnavailable) {
		t.Fatalf("err = %v, want ErrOCRUnavailable", err)
	}
	if r := Reason(err); !strings.Contains(r, "apt-get install tesseract-ocr") {
		t.Errorf("reason %q does not say how to install Tesseract", r)
	}
	if err := CheckOCR(context.Background(), lim.OCR); !errors.Is(err, ErrOCRUnavailable) {
		t.Errorf("CheckOCR = %v", err)
	}
}

func TestOCRMissingLanguage(t *testing.T) {
	needOCR(t)
	o := OCR{Languages: "eng+xyz_notalanguage"}
	err := CheckOCR(context.Background(), o)
	if !errors.Is(err, ErrOCRUnavailable) || !strings.Contains(Reason(err), "tesseract-ocr-xyz-notalanguage") {
		t.Errorf("CheckOCR = %v", err)
	}
	pdf := scanOf(t, false, scanLines[0])
	_, err = Extract(context.Background(), PDF, bytes.NewReader(pdf), int64(len(pdf)), Limits{OCR: o})
	if !errors.Is(err, ErrOCRUnavailable) || !strings.Contains(Reason(err), "apt-get install") {
		t.Errorf("Extract = %v (%q)", err, Reason(err))
	}
	if err := ValidateLanguages("eng; rm -rf /"); err == nil {
		t.Error("a language list with shell syntax was accepted")
	}
}

// A page Tesseract cannot finish in time fails the document with a reason
// that names the page, and the process is killed.
func TestOCRPageTimeout(t *testing.T) {
	needOCR(t)
	bin, _ := fakeTesseract(t, "exec sleep 30")
	pdf := scanOf(t, false, scanLines[0])
	start := time.Now()
	_, err := Extract(context.Background(), PDF, bytes.NewReader(pdf), int64(len(pdf)),
		Limits{OCR: OCR{Tesseract: bin, PageTimeout: 300 * time.Millisecond}})
	if !errors.Is(err, ErrOCRFailed) || !strings.Contains(Reason(err), "page 1") {
		t.Errorf("err = %v (%q), want ErrOCRFailed naming page 1", err, Reason(err))
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestOCRImageUploads(t *testing.T) {
	needOCR(t)
	img := rasterize(t, testpdf.Pages(scanLines[1]), 200)[0]
	var pngb, jpgb bytes.Buffer
	if err := png.Encode(&pngb, img); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&jpgb, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		f    Format
	}{{"page.png", pngb.Bytes(), PNG}, {"photo.jpg", jpgb.Bytes(), JPEG}} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Detect(tc.name, tc.data)
			if err != nil || f != tc.f {
				t.Fatalf("Detect = %v, %v; want %v", f, err, tc.f)
			}
			x, err := Extract(context.Background(), f, bytes.NewReader(tc.data), int64(len(tc.data)), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if f1 := wordF1(x.Text, strings.Join(scanLines[1], " ")); f1 < 0.9 || !x.Pages[0].OCR {
				t.Errorf("F1 %.2f, OCR %v: %q", f1, x.Pages[0].OCR, x.Text)
			}
		})
	}
}

func TestParseTSV(t *testing.T) {
	tsv := strings.Join([]string{
		"level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext",
		"1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t",
		"5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t90\t行政",
		"5\t1\t1\t1\t1\t2\t0\t0\t1\t1\t80\t处罚",
		"5\t1\t1\t1\t1\t3\t0\t0\t1\t1\t70\t2019",
		"5\t1\t1\t1\t2\t1\t0\t0\t1\t1\t100\tnext",
		"5\t1\t1\t1\t2\t2\t0\t0\t1\t1\t100\tline",
		"5\t1\t2\t1\t1\t1\t0\t0\t1\t1\t-1\t ",
		"5\t1\t2\t1\t1\t2\t0\t0\t1\t1\t50\tblock",
	}, "\n")
	res := parseTSV(strings.NewReader(tsv))
	want := "行政处罚 2019\nnext line\n\nblock"
	if res.Text != want {
		t.Errorf("text %q, want %q", res.Text, want)
	}
	// weighted by runes: 2×90 + 2×80 + 4×70 + 4×100 + 4×100 + 5×50 over 21
	if got, w := res.Confidence, (180.0+160+280+400+400+250)/21; got < w-0.01 || got > w+0.01 {
		t.Errorf("confidence %.2f, want %.2f", got, w)
	}
}
