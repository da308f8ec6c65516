package api

import (
	"archive/zip"
	"bytes"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// Upload abuse (see abuse_test.go): hostile multipart bodies, content
// types, and file names; the helpers to send raw parts.

// expectNoDocuments fails unless u has no documents and the spool holds no
// half-received upload.
func expectNoDocuments(t *testing.T, e *testEnv, u account) {
	t.Helper()
	docs, err := e.db.Documents(t.Context(), u.ID, 0, 0)
	if err != nil || len(docs) != 0 {
		t.Errorf("rejected uploads left documents: %+v %v", docs, err)
	}
	if left := spooled(e); len(left) != 0 {
		t.Errorf("rejected uploads left files in the spool: %v", left)
	}
}

// spooled lists the half-received uploads in the pipeline's spool.
func spooled(e *testEnv) []string {
	entries, _ := os.ReadDir(filepath.Join(e.dir, "uploads"))
	var out []string
	for _, en := range entries {
		if strings.HasPrefix(en.Name(), "incoming-") {
			out = append(out, en.Name())
		}
	}
	return out
}

// part is one raw multipart part.
type part struct {
	header textproto.MIMEHeader
	data   []byte
}

func filePart(name string, data []byte) part {
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+name+`"`)
	return part{h, data}
}

// fieldPart is a form field that is not a file.
func fieldPart(name string, data []byte) part {
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="`+name+`"`)
	return part{h, data}
}

// postParts uploads raw parts.
func (e *testEnv) postParts(token, query string, parts ...part) response {
	e.t.Helper()
	return e.postMultipart(token, query, func(mw *multipart.Writer) {
		for _, p := range parts {
			w, _ := mw.CreatePart(p.header)
			w.Write(p.data)
		}
	})
}

func TestUploadAbuse(t *testing.T) {
	e := newTestEnv(t, Config{MaxUpload: 64 << 10})
	ann := e.register("ann")
	text := func(i int) []byte { return []byte(sprintf("Note %d about abuse tables.\n", i)) }
	many := func(n int, mk func(i int) part) []part {
		ps := make([]part, n)
		for i := range ps {
			ps[i] = mk(i)
		}
		return ps
	}
	junk := func(i int) part { return fieldPart(sprintf("junk%d", i), []byte("x")) }
	hugeHeader := textproto.MIMEHeader{}
	hugeHeader.Set("Content-Disposition", `form-data; name="file"; filename="h.txt"`)
	hugeHeader.Set("X-Padding", strings.Repeat("p", 12<<20))
	manyHeaders := textproto.MIMEHeader{}
	manyHeaders.Set("Content-Disposition", `form-data; name="file"; filename="h.txt"`)
	for i := range 12000 {
		manyHeaders.Set(sprintf("X-H%d", i), "v")
	}
	cases := []struct {
		name   string
		parts  []part
		want   int
		detail string
	}{
		{"101 files", many(101, func(i int) part { return filePart(sprintf("n%d.txt", i), text(i)) }), 413, "at most 100 parts"},
		{"5000 non-file parts", many(5000, junk), 413, "at most 100 parts"},
		{"empty file among good ones", []part{filePart("a.txt", text(1)), filePart("empty.txt", nil), filePart("b.txt", text(2))}, 422, "empty.txt is empty"},
		{"only non-file parts", many(3, junk), 422, "no file"},
		{"a 12 MiB part header", []part{{hugeHeader, text(1)}}, 413, "larger than"},
		{"12000 part headers", []part{{manyHeaders, text(1)}}, 400, ""},
		{"file part over the limit after a good one", []part{filePart("ok.txt", text(1)), filePart("big.txt", bytes.Repeat([]byte("b "), 64<<10))}, 413, "big.txt"},
		{"zip that is not a Word document", []part{filePart("archive.docx.zip", zipOf(t, map[string]string{"a.txt": "hello"}))}, 415, "supported"},
		{"executable named .md", []part{filePart("readme.md", append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 64)...))}, 415, "readme.md"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.postParts(ann.Token, "wait=true", c.parts...)
			want(t, c.name, r, c.want)
			p := problemOf(t, c.name, r)
			if !strings.Contains(p.Detail, c.detail) {
				t.Errorf("detail %q lacks %q", p.Detail, c.detail)
			}
		})
	}
	expectNoDocuments(t, e, ann)

	// The request's content type.
	types := map[string]int{
		"":                                  415,
		"text/plain":                        415,
		"application/octet-stream":          415,
		"application/x-www-form-urlencoded": 415,
		"multipart/mixed; boundary=zz":      415,
		"multipart/form-data":               400, // no boundary
		"multipart/form-data; boundary=":    415,
		"multipart/form-data; boundary=zz; boundary=yy": 415, // duplicate parameter: not a media type
		"multipart/form-data; boundary=\"unterminated":  415,
	}
	for ct, status := range types {
		req, _ := http.NewRequest("POST", e.http.URL+"/api/v1/documents", strings.NewReader("--zz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhello\r\n--zz--\r\n"))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+ann.Token)
		r := e.send(req)
		want(t, "Content-Type "+ct, r, status)
		problemOf(t, "Content-Type "+ct, r)
	}
	expectNoDocuments(t, e, ann)

	// A part's own Content-Type is not believed: the bytes decide.
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="notes.md"`)
	h.Set("Content-Type", "application/pdf")
	r := e.postParts(ann.Token, "wait=true", part{h, []byte("# Notes\n\nThe part said it was a PDF.\n")})
	expect(t, "lying part type", r, 201)
	var docs []documentJSON
	r.JSON(t, &docs)
	if docs[0].ContentType != "text/markdown; charset=utf-8" || docs[0].Status != "ready" {
		t.Errorf("lying part type stored as %+v", docs[0])
	}
	// A file whose name says PDF but whose bytes are text is read as text or refused, never 5xx.
	r = e.postParts(ann.Token, "wait=true", filePart("really-text.pdf", []byte("plain words in a file named .pdf\n")))
	if r.Status >= 500 {
		t.Errorf("text named .pdf: %d", r.Status)
	}
	// Whitespace only, or only a byte order mark: refused, or failed with a reason.
	for name, data := range map[string][]byte{"blank.txt": []byte(" \n\t\n  "), "bom.txt": []byte("\xef\xbb\xbf"), "nul.txt": {0}} {
		r := e.postParts(ann.Token, "wait=true", filePart(name, data))
		switch {
		case r.Status >= 400 && r.Status < 500:
			problemOf(t, name, r)
		case r.Status == 201:
			var docs []documentJSON
			r.JSON(t, &docs)
			if d := docs[0]; d.Status != "failed" || d.Error == "" {
				t.Errorf("%s: %+v", name, d)
			}
		default:
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
}

// Two files of one request with the same source path (two "path" parts,
// or ?replace=true and the same name twice): the answer is never a 5xx and
// never lists a document that is gone. Other files between and after them
// give the pipeline time to index the first before the second is
// submitted, and the second before the handler waits for the first.
//
// Regression: the second file used to replace the first once it was
// ready; when the handler's ingest.Wait for the first ran after that, it
// got store.ErrNotFound and answered 500 "internal error" although every
// file was stored, and otherwise the 201 listed the first document, which
// no longer existed.
func TestSameSourcePathTwiceInOneUpload(t *testing.T) {
	e := newTestEnv(t, Config{})
	ann := e.register("ann")
	pathPart := func(p string) part { return fieldPart("path", []byte(p)) }
	n := 0
	others := func(k int) []part {
		var ps []part
		for range k {
			n++
			ps = append(ps, filePart(sprintf("other%d.txt", n), []byte(sprintf("other file number %d", n))))
		}
		return ps
	}
	for attempt := range 4 {
		for _, query := range []string{"wait=true", "wait=true&replace=true"} {
			var parts []part
			if query == "wait=true" {
				parts = append(parts, pathPart("notes/todo.txt"))
			}
			parts = append(parts, filePart("todo.txt", []byte(sprintf("first version %d", attempt))))
			parts = append(parts, others(30)...)
			if query == "wait=true" {
				parts = append(parts, pathPart("notes/todo.txt"))
			}
			parts = append(parts, filePart("todo.txt", []byte(sprintf("second version %d", attempt))))
			parts = append(parts, others(30)...)
			r := e.postParts(ann.Token, query, parts...)
			if r.Status != http.StatusCreated {
				t.Errorf("attempt %d, %s: %d %s", attempt, query, r.Status, r.Body)
				continue
			}
			var docs []documentJSON
			r.JSON(t, &docs)
			for _, d := range docs {
				if _, err := e.db.DocumentByID(t.Context(), d.ID); err != nil {
					t.Errorf("attempt %d, %s: the answer lists document %d (%s), which is gone", attempt, query, d.ID, d.Filename)
				}
			}
		}
	}
}

func zipOf(t *testing.T, files map[string]string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, s := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(s))
	}
	zw.Close()
	return b.Bytes()
}

// Names are data: whatever a client sends, the stored name is valid UTF-8
// of at most 255 bytes, without control or invisible format characters,
// NFC-normalised, and no file appears anywhere under the server's
// directories except the spool's own.
func TestFilenameTricksAreStoredAsData(t *testing.T) {
	e := newTestEnv(t, Config{})
	ann := e.register("ann")
	cases := []struct {
		disposition string // the filename parameter(s) as sent
		want        string // the stored name; "" to check only the invariants
	}{
		{`filename="..\..\windows\win.ini.txt"`, `..\..\windows\win.ini.txt`},
		{`filename="/etc/cron.d/job.txt"`, "job.txt"},
		{`filename*=UTF-8''..%2F..%2F..%2Ftmp%2Fpwned.txt`, "pwned.txt"},
		{`filename=".."`, ".."},
		{`filename="."`, "."},
		{`filename=""`, "upload"},
		{`filename="cafe` + "\u0301" + `.txt"`, "café.txt"},
		{`filename="in` + "\u200b" + `vo` + "\u200d" + `ice` + "\ufeff" + `.txt"`, "invoice.txt"},
		{`filename="p` + "\u0430" + `ypal.txt"`, "p\u0430ypal.txt"}, // Cyrillic а stays what it is
		{`filename="<img src=x onerror=alert(1)>.txt"`, "<img src=x onerror=alert(1)>.txt"},
		{`filename*=UTF-8''a%00b%01%7Fc%E2%80%AEd%0D%0Ae.txt`, "abcde.txt"}, // controls smuggled percent-encoded
		{`filename="bad` + "\xff\xfe" + `utf8.txt"`, ""},
		{`filename="` + strings.Repeat("\u202e", 40) + `name.txt"`, "name.txt"},
		{`filename="` + strings.Repeat("𝔘", 5000) + `.txt"`, ""},
		{`filename="` + strings.Repeat("a", 100000) + `.txt"`, ""},
	}
	outside := filepath.Dir(e.dir)
	before := listFiles(t, outside)
	for i, c := range cases {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; `+c.disposition)
		data := []byte(sprintf("File number %d of the filename tricks.\n", i))
		r := e.postParts(ann.Token, "wait=true", part{h, data})
		if r.Status != 201 {
			t.Errorf("%.80q: %d %s", c.disposition, r.Status, r.Body)
			continue
		}
		var docs []documentJSON
		r.JSON(t, &docs)
		name := docs[0].Filename
		if c.want != "" && name != c.want {
			t.Errorf("%.80q stored as %q, want %q", c.disposition, name, c.want)
		}
		if !utf8.ValidString(name) || len(name) > 255 || name == "" || strings.ContainsAny(name, "\x00\u200b\u202e\ufeff") {
			t.Errorf("%.80q stored as %q", c.disposition, name)
		}
		var again documentJSON
		e.do("GET", sprintf("/api/v1/documents/%d", docs[0].ID), ann.Token, nil).JSON(t, &again)
		if again.Filename != name {
			t.Errorf("stored %q, read back %q", name, again.Filename)
		}
	}
	after := listFiles(t, outside)
	for _, f := range after {
		if slices.Contains(before, f) {
			continue
		}
		rel, _ := filepath.Rel(e.dir, f)
		if !strings.HasPrefix(rel, "uploads"+string(filepath.Separator)) && filepath.Dir(rel) != "." {
			t.Errorf("an upload created %s", f)
		}
		if base := filepath.Base(f); strings.Contains(base, ".txt") || strings.Contains(base, "pwned") {
			t.Errorf("an upload's name became a file name: %s", f)
		}
	}
}

func listFiles(t *testing.T, root string) []string {
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}
