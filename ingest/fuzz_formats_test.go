package ingest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Fuzz targets for the office, e-book, mail and RTF readers and the OCR
// output parser. Seeds: the real files of testdata/formats and the corpora
// in testdata/fuzz/<FuzzName>/.

// addFormatSeeds adds the real files whose names end in one of exts.
func addFormatSeeds(f *testing.F, exts ...string) {
	files, _ := filepath.Glob(filepath.Join("testdata", "formats", "*"))
	for _, name := range files {
		for _, ext := range exts {
			if strings.HasSuffix(name, ext) {
				if b, err := os.ReadFile(name); err == nil {
					f.Add(b)
				}
			}
		}
	}
}

// fuzzFormat extracts data as format f and checks the result's invariants.
func fuzzFormat(t *testing.T, f Format, data []byte) {
	x, err := Extract(context.Background(), f, bytes.NewReader(data), int64(len(data)), fuzzLimits)
	checkResult(t, x, err)
}

func FuzzExtractPPTX(f *testing.F) {
	addFormatSeeds(f, ".pptx")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzFormat(t, PPTX, data) })
}

func FuzzExtractXLSX(f *testing.F) {
	addFormatSeeds(f, ".xlsx")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzFormat(t, XLSX, data) })
}

func FuzzExtractODF(f *testing.F) {
	addFormatSeeds(f, ".odt", ".ods", ".odp")
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []Format{ODT, ODS, ODP} {
			fuzzFormat(t, format, data)
		}
	})
}

func FuzzExtractEPUB(f *testing.F) {
	addFormatSeeds(f, ".epub")
	f.Add(makeEPUB(f, []string{"One"}, []string{"<h1>A</h1><p>text</p>"}))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzFormat(t, EPUB, data) })
}

func FuzzExtractMail(f *testing.F) {
	addFormatSeeds(f, ".eml", ".mbox")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzFormat(t, EML, data)
		fuzzFormat(t, MBOX, data)
	})
}

func FuzzExtractRTF(f *testing.F) {
	addFormatSeeds(f, ".rtf")
	f.Add([]byte(`{\rtf1\ansi\ansicpg1251{\fonttbl{\f0 Arial;}}{\info{\title T}}\uc1 \u1055?\'e0\par\trowd a\cell b\cell\row}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzFormat(t, RTF, data) })
}

func FuzzParseTSV(f *testing.F) {
	f.Add("level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t90\t行政\n5\t1\t1\t1\t1\t2\t0\t0\t1\t1\t95.5\tword\n")
	f.Fuzz(func(t *testing.T, tsv string) {
		res := parseTSV(strings.NewReader(tsv))
		if res.Confidence < 0 || res.Confidence > 100 || len(res.Text) > 2*len(tsv)+2 {
			t.Fatalf("confidence %v, %d bytes of text from %d", res.Confidence, len(res.Text), len(tsv))
		}
	})
}

func FuzzExtractWebPage(f *testing.F) {
	f.Add("<html><head><title>T</title></head><body><nav>menu</nav><article><h1>A</h1><p>" + strings.Repeat("words and more words. ", 20) + "</p></article></body></html>")
	f.Fuzz(func(t *testing.T, page string) { fuzzFormat(t, WebPage, []byte(page)) })
}
