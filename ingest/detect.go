package ingest

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// Format is a supported document type.
type Format string

// The supported formats.
const (
	PDF      Format = "pdf"
	Text     Format = "text"
	Markdown Format = "markdown"
	HTML     Format = "html"
	DOCX     Format = "docx"
	CSV      Format = "csv"
	PPTX     Format = "pptx"
	XLSX     Format = "xlsx"
	ODT      Format = "odt"
	ODS      Format = "ods"
	ODP      Format = "odp"
	EPUB     Format = "epub"
	EML      Format = "eml"
	MBOX     Format = "mbox"
	RTF      Format = "rtf"
	// WebPage is an HTML page fetched by URL: its article text is kept.
	WebPage Format = "webpage"
	// Images of pages, read by OCR.
	PNG  Format = "png"
	JPEG Format = "jpeg"
	TIFF Format = "tiff"
)

// ContentType returns the MIME type of a format, or
// "application/octet-stream" for an unknown one.
func ContentType(f Format) string {
	switch f {
	case PDF:
		return "application/pdf"
	case Text:
		return "text/plain; charset=utf-8"
	case Markdown:
		return "text/markdown; charset=utf-8"
	case HTML, WebPage:
		return "text/html; charset=utf-8"
	case DOCX:
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	case CSV:
		return "text/csv; charset=utf-8"
	case PPTX:
		return "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	case XLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case ODT:
		return "application/vnd.oasis.opendocument.text"
	case ODS:
		return "application/vnd.oasis.opendocument.spreadsheet"
	case ODP:
		return "application/vnd.oasis.opendocument.presentation"
	case EPUB:
		return "application/epub+zip"
	case EML:
		return "message/rfc822"
	case MBOX:
		return "application/mbox"
	case RTF:
		return "application/rtf"
	case PNG:
		return "image/png"
	case JPEG:
		return "image/jpeg"
	case TIFF:
		return "image/tiff"
	}
	return "application/octet-stream"
}

// SniffLen is how many leading bytes of a file Detect looks at.
const SniffLen = 4096

// Detect returns the format of a file from its name and its first bytes
// (up to SniffLen are used). Magic bytes decide first: "%PDF-" is a PDF, a
// zip archive is a DOCX when its name ends in .docx or its first entries are
// Word parts (DetectReader checks the archive itself). Other content must be
// text — valid UTF-8, UTF-16 with a byte order mark, or 8-bit text without
// control characters — and is then recognised by extension, then by
// sniffing HTML, Markdown and CSV. Binary data, whatever its name, gives an
// error wrapping ErrUnsupported.
func Detect(filename string, head []byte) (Format, error) {
	if len(head) > SniffLen {
		head = head[:SniffLen]
	}
	ext := strings.ToLower(filepath.Ext(filename))
	switch {
	case bytes.Contains(head[:min(len(head), 1024)], []byte("%PDF-")):
		return PDF, nil
	case imageFormat(head) != "":
		return imageFormat(head), nil
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		if f := zipFormat(head, ext); f != "" {
			return f, nil
		}
		return "", fmt.Errorf("%w: a zip archive that is not an office document or e-book", ErrUnsupported)
	case bytes.HasPrefix(head, []byte("{\\rtf")):
		return RTF, nil
	case ext == ".pdf" && !looksLikeText(head):
		return PDF, nil // damaged: extraction says so
	case !looksLikeText(head):
		return "", fmt.Errorf("%w: binary data", ErrUnsupported)
	}
	switch ext {
	case ".html", ".htm", ".xhtml":
		return HTML, nil
	case ".md", ".markdown", ".mdown", ".mkd":
		return Markdown, nil
	case ".csv", ".tsv":
		return CSV, nil
	case ".txt", ".text", ".log":
		if !looksLikeMail(decodeText(head)) {
			return Text, nil
		}
	}
	s := decodeText(head)
	switch {
	case looksLikeMbox(s):
		return MBOX, nil
	case looksLikeMail(s):
		return EML, nil
	case looksLikeHTML(s):
		return HTML, nil
	case looksLikeMarkdown(s):
		return Markdown, nil
	case looksLikeCSV(s):
		return CSV, nil
	}
	return Text, nil
}

// DetectReader is Detect for a whole file: it also opens a zip archive to
// tell its kind from its members (word/document.xml, ppt/presentation.xml,
// xl/workbook.xml, an OpenDocument or EPUB mimetype).
func DetectReader(filename string, r io.ReaderAt, size int64) (Format, error) {
	head := make([]byte, min(size, SniffLen))
	n, err := r.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("%w: read failed", ErrCorrupt)
	}
	head = head[:n]
	if !bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return Detect(filename, head)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return "", fmt.Errorf("%w: damaged zip archive", ErrCorrupt)
	}
	for _, f := range zr.File {
		switch f.Name {
		case "word/document.xml":
			return DOCX, nil
		case "ppt/presentation.xml":
			return PPTX, nil
		case "xl/workbook.xml":
			return XLSX, nil
		case "mimetype":
			if f.UncompressedSize64 > 256 {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				continue
			}
			mt, _ := io.ReadAll(io.LimitReader(rc, 256))
			rc.Close()
			if f := mimeFormat(string(bytes.TrimSpace(mt))); f != "" {
				return f, nil
			}
		}
	}
	return "", fmt.Errorf("%w: a zip archive that is not an office document or e-book", ErrUnsupported)
}

// zipFormat guesses a zip archive's format from its first bytes (the first
// member's name, and an uncompressed mimetype member, come first) and the
// file's extension.
func zipFormat(head []byte, ext string) Format {
	if _, mt, ok := bytes.Cut(head, []byte("mimetype")); ok {
		for _, f := range []Format{ODT, ODS, ODP, EPUB} {
			if bytes.HasPrefix(mt, []byte(mimeOf(f))) {
				return f
			}
		}
	}
	for _, c := range []struct {
		part string
		f    Format
	}{{"word/", DOCX}, {"ppt/", PPTX}, {"xl/", XLSX}} {
		if bytes.Contains(head, []byte(c.part)) {
			return c.f
		}
	}
	byExt := map[string]Format{".docx": DOCX, ".pptx": PPTX, ".xlsx": XLSX, ".odt": ODT, ".ods": ODS, ".odp": ODP, ".epub": EPUB}
	return byExt[ext]
}

// mimeOf is the mimetype member of an OpenDocument or EPUB archive.
func mimeOf(f Format) string {
	if f == EPUB {
		return "application/epub+zip"
	}
	return ContentType(f)
}

func mimeFormat(mt string) Format {
	for _, f := range []Format{ODT, ODS, ODP, EPUB} {
		if mt == mimeOf(f) {
			return f
		}
	}
	return ""
}

// looksLikeText reports whether head is text: UTF-16 with a BOM, or bytes
// without NUL and with almost no other control characters.
func looksLikeText(head []byte) bool {
	if hasUTF16BOM(head) {
		return true
	}
	if len(head) == 0 {
		return true
	}
	ctl := 0
	for _, c := range head {
		switch {
		case c == 0:
			return false
		case c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b:
			ctl++
		}
	}
	if ctl*100 > len(head) {
		return false
	}
	if utf8.Valid(head) || utf8.Valid(trimPartialRune(head)) {
		return true
	}
	// Not UTF-8: accept 8-bit text when most bytes are ASCII.
	high := 0
	for _, c := range head {
		if c >= 0x80 {
			high++
		}
	}
	return high*10 < len(head)*3
}

// trimPartialRune drops an incomplete UTF-8 sequence cut off at the end.
func trimPartialRune(b []byte) []byte {
	for i := 1; i <= 3 && i <= len(b); i++ {
		if c := b[len(b)-i]; c >= 0xC0 {
			return b[:len(b)-i]
		} else if c < 0x80 {
			break
		}
	}
	return b
}

func looksLikeHTML(s string) bool {
	t := strings.ToLower(strings.TrimSpace(s[:min(len(s), 1024)]))
	t = strings.TrimPrefix(t, "\ufeff")
	return strings.HasPrefix(t, "<!doctype html") || strings.HasPrefix(t, "<html") ||
		strings.Contains(t, "<html") || strings.Contains(t, "<body") || strings.Contains(t, "<head>")
}

func looksLikeMarkdown(s string) bool {
	lines := strings.Split(s, "\n")
	score := 0
	for _, l := range lines[:min(len(lines), 60)] {
		switch {
		case atxLevel(l) > 0, strings.HasPrefix(l, "```"), strings.HasPrefix(l, "~~~"):
			score += 2
		case strings.HasPrefix(l, "- ") || strings.HasPrefix(l, "* "),
			strings.Contains(l, "](") && strings.Contains(l, "["):
			score++
		}
	}
	return score >= 2
}

// looksLikeCSV reports whether the first lines share a field count above
// one for some delimiter.
func looksLikeCSV(s string) bool {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 1 && !strings.HasSuffix(s, "\n") {
		lines = lines[:len(lines)-1] // the last line may be cut off
	}
	if len(lines) < 2 {
		return false
	}
	lines = lines[:min(len(lines), 20)]
	for _, d := range []string{",", ";", "\t"} {
		n := strings.Count(lines[0], d)
		if n == 0 {
			continue
		}
		same := true
		for _, l := range lines[1:] {
			if strings.Count(l, d) != n {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return false
}

func hasUTF16BOM(b []byte) bool {
	return bytes.HasPrefix(b, []byte{0xFF, 0xFE}) || bytes.HasPrefix(b, []byte{0xFE, 0xFF})
}

// decodeText returns the text of a file as UTF-8: UTF-16 with a byte order
// mark is decoded, a UTF-8 byte order mark dropped, and bytes that are not
// UTF-8 are read as Windows-1252 (the usual 8-bit encoding of old files).
func decodeText(b []byte) string {
	switch {
	case hasUTF16BOM(b):
		s, err := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder().Bytes(b)
		if err == nil {
			return string(s)
		}
	case bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")):
		return string(b[3:])
	case !utf8.Valid(b):
		if s, err := charmap.Windows1252.NewDecoder().Bytes(b); err == nil {
			return string(s)
		}
	}
	return string(b)
}
