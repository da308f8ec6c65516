package main

// BenchmarkAmplification measures what an upload of about 1 MiB, built to
// expand, costs a real "docent serve": the text its passages hold, the
// bytes the store keeps, and the server's peak resident memory while it
// is indexed. Each file goes to a fresh server and data directory.
//
//	go test ./cmd/docent -run '^$' -bench Amplification -benchtime 1x -v
//
// The table it logs is the one in README's Security section.

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"docent/internal/testpdf"
	"docent/store"

	bolt "go.etcd.io/bbolt"
)

// hostileFile is one worst case of a format.
type hostileFile struct {
	name string // the file name, whose extension gives the format
	what string
	data []byte
}

const mib1 = 1 << 20

// proseWords returns n pseudo-random words of a 2,000-word vocabulary, which
// compress about as well as prose.
func proseWords(rng *rand.Rand, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		w := rng.IntN(2000)
		b.WriteString(strconv.FormatInt(int64(w*7919%100000), 36))
	}
	return b.String()
}

// hostileFiles builds the worst cases: short lines and cells, long and
// deep headings, text that compresses, archives that expand.
func hostileFiles() []hostileFile {
	rng := rand.New(rand.NewPCG(19, 19))
	var files []hostileFile
	add := func(name, what string, build func(b *strings.Builder)) {
		var b strings.Builder
		build(&b)
		files = append(files, hostileFile{name, what, []byte(b.String())})
	}
	add("finding.csv", "256 column names of 1,000 bytes, rows of numbers (finding 1)", func(b *strings.Builder) {
		for c := range 256 {
			if c > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strings.Repeat(string(rune('a'+c%26)), 999) + string(rune('A'+c/26)))
		}
		b.WriteByte('\n')
		for r := 0; b.Len() < mib1; r++ {
			for c := range 256 {
				if c > 0 {
					b.WriteByte(',')
				}
				b.WriteString(strconv.Itoa((r*256 + c) % 10000))
			}
			b.WriteByte('\n')
		}
	})
	add("cells.csv", "64-byte column names, one-digit cells", func(b *strings.Builder) {
		for c := range 40 {
			if c > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(b, "%s%02d", strings.Repeat("n", 62), c)
		}
		b.WriteByte('\n')
		for r := 0; b.Len() < mib1; r++ {
			for c := range 40 {
				if c > 0 {
					b.WriteByte(',')
				}
				b.WriteByte(byte('0' + (r+c)%10))
			}
			b.WriteByte('\n')
		}
	})
	add("lines.txt", "prose, one short line each", func(b *strings.Builder) {
		for b.Len() < mib1 {
			b.WriteString(proseWords(rng, 6) + ".\n")
		}
	})
	add("headings.md", "a heading of 200 bytes every 6 levels deep over each short paragraph", func(b *strings.Builder) {
		for i := 0; b.Len() < mib1; i++ {
			fmt.Fprintf(b, "%s %s\n\n%s.\n\n", strings.Repeat("#", 1+i%6), strings.Repeat("h", 190)+strconv.Itoa(i), proseWords(rng, 8))
		}
	})
	add("headings.html", "the same in h1…h6", func(b *strings.Builder) {
		b.WriteString("<html><body>")
		for i := 0; b.Len() < mib1; i++ {
			fmt.Fprintf(b, "<h%d>%s%d</h%d><p>%s.</p>\n", 1+i%6, strings.Repeat("h", 190), i, 1+i%6, proseWords(rng, 8))
		}
		b.WriteString("</body></html>")
	})
	files = append(files,
		hostileFile{"bomb.docx", "1 MiB zip of one paragraph repeated (expands ~200×)", officeZip("word/document.xml",
			`<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`,
			func(int) string {
				return "<w:p><w:r><w:t>The same sentence, written again and again.</w:t></w:r></w:p>"
			})},
		hostileFile{"dense.docx", "1 MiB zip of distinct paragraphs (expands ~3×)", officeZip("word/document.xml",
			`<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`,
			func(int) string { return "<w:p><w:r><w:t>" + proseWords(rng, 12) + ".</w:t></w:r></w:p>" })},
		hostileFile{"lines.pdf", "text pages, one short line each, uncompressed", pdfLines(rng, false)},
		hostileFile{"deflated.pdf", "the same text, Flate-compressed streams", pdfLines(rng, true)},
	)
	return append(files, otherFormats(rng)...)
}

// officeZip writes a DOCX-shaped zip of about 1 MiB whose part name holds
// head and then unit(i) for i = 0, 1, … until the zip reaches 1 MiB.
func officeZip(name, head string, unit func(int) string) []byte {
	return zipOf(mib1, [][2]string{{"[Content_Types].xml", "<Types/>"}}, name, head, "</w:body></w:document>", unit)
}

// zipOf writes a zip of about size bytes: the parts (name, content) and
// then part name, holding head, unit(i) for i = 0, 1, … until the zip
// reaches size, and tail.
func zipOf(size int, parts [][2]string, name, head, tail string, unit func(int) string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, p := range parts {
		w, _ := zw.Create(p[0])
		io.WriteString(w, p[1])
	}
	w, _ := zw.Create(name)
	io.WriteString(w, head)
	var part strings.Builder
	for i := 0; ; i++ {
		part.WriteString(unit(i))
		if part.Len() >= min(64<<10, size/16) {
			io.WriteString(w, part.String())
			part.Reset()
			zw.Flush()
			if b.Len() >= size || i > 50_000_000 {
				break
			}
		}
	}
	io.WriteString(w, part.String())
	io.WriteString(w, tail)
	zw.Close()
	return b.Bytes()
}

// pdfLines writes a PDF of about 1 MiB: pages of 50 short lines, the
// content streams Flate-compressed when deflate.
func pdfLines(rng *rand.Rand, deflate bool) []byte {
	if !deflate {
		var pages [][]string
		for size := 0; size < mib1-200<<10; {
			var lines []string
			for range 50 {
				l := proseWords(rng, 6)
				lines = append(lines, l)
				size += len(l) + 12
			}
			pages = append(pages, lines)
		}
		return testpdf.Pages(pages...)
	}
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", "", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}
	var kids []string
	for size := 0; size < mib1-20<<10; {
		var page strings.Builder
		page.WriteString("BT /F1 12 Tf 72 720 Td 14 TL\n")
		for range 50 {
			fmt.Fprintf(&page, "(%s) Tj T*\n", proseWords(rng, 6))
		}
		page.WriteString("ET")
		var z bytes.Buffer
		zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
		zw.Write([]byte(page.String()))
		zw.Close()
		size += z.Len() + 230
		objs = append(objs, fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", z.Len(), z.String()))
		objs = append(objs, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", len(objs)))
		kids = append(kids, fmt.Sprintf("%d 0 R", len(objs)))
	}
	objs[1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(kids))
	return testpdf.Objects(objs, "")
}

// procMemory reads a process's resident set and its peak, in bytes.
func procMemory(pid int) (rss, peak int64) {
	raw, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	return rss, peak
}

// resetPeak starts a process's peak resident set again from its current one.
func resetPeak(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// amplification is one row of the table.
type amplification struct {
	status, reason      string
	chunks              int
	chunkBytes          int64
	storeGrowth, stored int64 // growth of the file and of the pages in use
	rssGrowth           int64
}

func BenchmarkAmplification(b *testing.B) {
	if _, err := os.Stat("/proc/self/clear_refs"); err != nil {
		b.Skip("needs Linux's /proc/PID/clear_refs to measure peak memory")
	}
	rows := []string{"| file | worst case | input | status | passages (all documents) | passage text | store file growth | store pages growth | peak RSS growth |",
		"|---|---|---|---|---|---|---|---|---|"}
	for _, f := range hostileFiles() {
		b.Run(f.name, func(b *testing.B) {
			var a amplification
			for b.Loop() {
				a = amplify(b, f)
			}
			b.ReportMetric(float64(a.rssGrowth)/mib1, "MiB-rss")
			b.ReportMetric(float64(a.stored)/mib1, "MiB-stored")
			rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s%s | %d | %s | %s | %s | %s |", f.name, f.what, mibs(int64(len(f.data))),
				a.status, a.reason, a.chunks, mibs(a.chunkBytes), mibs(a.storeGrowth), mibs(a.stored), mibs(a.rssGrowth)))
		})
	}
	b.Log("\n" + strings.Join(rows, "\n"))
}

// liveBytes is the size of the pages the buckets of the bbolt file at path
// use: what a compacted file holds, to the byte rather than to bbolt's
// steps of file growth.
func liveBytes(b testing.TB, path string) int64 {
	db, err := bolt.Open(path, 0o400, &bolt.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var n int64
	db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(_ []byte, bk *bolt.Bucket) error {
			st := bk.Stats()
			n += int64(st.BranchAlloc + st.LeafAlloc)
			return nil
		})
	})
	return n
}

// amplify uploads f to a fresh server and measures it.
func amplify(b *testing.B, f hostileFile) amplification {
	data := b.TempDir()
	file := filepath.Join(data, store.FileName)
	// The live size of an empty store, for the compacted growth.
	emptyStore := func() int64 { return liveBytes(b, file) }
	s := startServer(b, data)
	token := registerAdmin(b, s.URL)
	s.stop(b)
	empty := emptyStore()
	s = startServer(b, data)
	pid := s.cmd.Process.Pid
	fileBefore, _ := os.Stat(file)
	rssBefore, _ := procMemory(pid)
	if err := resetPeak(pid); err != nil {
		b.Fatal(err)
	}
	doc := uploadAndWait(b, s.URL, token, f.name, f.data)
	_, peak := procMemory(pid)
	a := amplification{status: doc.Status, chunks: doc.Chunks, rssGrowth: peak - rssBefore}
	if doc.Error != "" {
		a.reason = ": " + doc.Error
	}
	a.chunks, a.chunkBytes = allChunks(b, s.URL, token)
	s.stop(b)
	fileAfter, _ := os.Stat(file)
	a.storeGrowth = fileAfter.Size() - fileBefore.Size()
	a.stored = emptyStore() - empty
	return a
}

type uploaded struct {
	ID     uint64 `json:"id"`
	Status string `json:"status"`
	Error  string `json:"error"`
	Chunks int    `json:"chunks"`
}

// uploadAndWait uploads one file with ?wait=true.
func uploadAndWait(b testing.TB, url, token, name string, data []byte) uploaded {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	w, _ := mw.CreateFormFile("file", name)
	w.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", url+"/api/v1/documents?wait=true", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var docs []uploaded
	if err := json.Unmarshal(raw, &docs); err != nil || len(docs) != 1 {
		b.Fatalf("upload %s: %d %.300s", name, resp.StatusCode, raw)
	}
	return docs[0]
}

// allChunks counts the passages of every document of a fresh server (an
// upload and the attachments it brought) and sums their text.
func allChunks(b testing.TB, url, token string) (n int, text int64) {
	var docs []uploaded
	if code := call(b, "GET", url+"/api/v1/documents?limit=500", token, nil, &docs); code != 200 {
		b.Fatalf("list documents: %d", code)
	}
	for _, d := range docs {
		n += d.Chunks
		text += chunkBytes(b, url, token, d.ID)
	}
	return n, text
}

// chunkBytes sums the text of a document's passages.
func chunkBytes(b testing.TB, url, token string, id uint64) int64 {
	var n int64
	for skip := 0; ; skip += 500 {
		var page []struct {
			Text string `json:"text"`
		}
		if code := call(b, "GET", fmt.Sprintf("%s/api/v1/documents/%d/chunks?skip=%d&limit=500", url, id, skip), token, nil, &page); code != 200 {
			return n
		}
		for _, c := range page {
			n += int64(len(c.Text))
		}
		if len(page) < 500 {
			return n
		}
	}
}
