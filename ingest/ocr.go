package ingest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// OCR. Pages without a text layer (scanned PDFs) and image uploads are read
// by Tesseract, run as a subprocess when it is installed: one process per
// page, fed the image on its standard input, with a timeout, an address
// space limit and one thread (pages are read in parallel instead). Its
// word-level TSV output gives the text, laid out again in blocks,
// paragraphs and lines, and a confidence: the mean of the words'
// confidences, weighted by their length.

// Errors of OCR. Their messages are shown to users.
var (
	// ErrOCRUnavailable reports a document that needs OCR on a machine
	// without Tesseract (or without one of the configured languages).
	ErrOCRUnavailable = errors.New("the document has pages without text and needs OCR, but Tesseract is not installed on the server " +
		"(Debian/Ubuntu: apt-get install tesseract-ocr tesseract-ocr-eng, plus tesseract-ocr-LANG for each --ocr-lang language; " +
		"macOS: brew install tesseract tesseract-lang)")

	// ErrOCRFailed reports a page that Tesseract could not read in time
	// or within its memory bound.
	ErrOCRFailed = errors.New("OCR of a page failed (it took too long or needed too much memory)")
)

// Default OCR settings, used for the zero fields of OCR.
const (
	DefaultOCRLanguages   = "eng"
	DefaultOCRPageTimeout = 2 * time.Minute
	DefaultOCRMemory      = 2 << 30
	DefaultOCRDPI         = 300
	// maxOCRPixels bounds the size of a page image handed to Tesseract
	// (about an A3 page at 300 dpi); larger pages are rendered smaller.
	maxOCRPixels = 36_000_000
)

// OCR configures the reading of pages and images without text. The zero
// value reads English with the tesseract and pdftoppm found on PATH.
type OCR struct {
	// Languages are Tesseract's language codes joined by '+', e.g.
	// "eng+deu" or "chi_sim+eng" (default "eng"). Each needs its
	// language pack (Debian: tesseract-ocr-LANG).
	Languages string
	// Tesseract and Pdftoppm are the programs to run; "" looks them up on
	// PATH. Without pdftoppm, a page's images are taken from the PDF.
	Tesseract, Pdftoppm string
	// PageTimeout bounds the OCR of one page (default 2 minutes).
	PageTimeout time.Duration
	// MaxMemory bounds each Tesseract process's address space, in bytes
	// (default 2 GiB; Linux only).
	MaxMemory int64
	// DPI is the resolution pages are rendered at (default 300).
	DPI int
	// Workers is how many pages are read at once (default 2).
	Workers int
}

func (o OCR) withDefaults() OCR {
	if o.Languages == "" {
		o.Languages = DefaultOCRLanguages
	}
	if o.PageTimeout <= 0 {
		o.PageTimeout = DefaultOCRPageTimeout
	}
	if o.MaxMemory <= 0 {
		o.MaxMemory = DefaultOCRMemory
	}
	if o.DPI <= 0 {
		o.DPI = DefaultOCRDPI
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	return o
}

// langPattern is what a language list may look like: it is passed to a
// subprocess, so nothing else gets through.
var langPattern = regexp.MustCompile(`^[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*$`)

// ValidateLanguages checks a language list such as "eng+deu". It does not
// check that the packs are installed (CheckOCR does).
func ValidateLanguages(langs string) error {
	if !langPattern.MatchString(langs) {
		return fmt.Errorf("OCR languages %q: want Tesseract codes joined by '+', such as eng+deu", langs)
	}
	return nil
}

// tesseractPath returns the Tesseract program to run, or ErrOCRUnavailable.
func (o OCR) tesseractPath() (string, error) {
	name := o.Tesseract
	if name == "" {
		name = "tesseract"
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", ErrOCRUnavailable
	}
	return p, nil
}

// CheckOCR reports whether Tesseract and every configured language are
// installed: nil, or an error that says what to install. A server calls it
// at start to warn early; documents that need OCR fail with the same words.
func CheckOCR(ctx context.Context, o OCR) error {
	o = o.withDefaults()
	if err := ValidateLanguages(o.Languages); err != nil {
		return err
	}
	bin, err := o.tesseractPath()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--list-langs").CombinedOutput()
	if err != nil {
		return ErrOCRUnavailable
	}
	have := map[string]bool{}
	for _, l := range strings.Fields(string(out)) {
		have[l] = true
	}
	var missing []string
	for _, l := range strings.Split(o.Languages, "+") {
		if !have[l] {
			missing = append(missing, l)
		}
	}
	if len(missing) > 0 {
		return &userError{err: ErrOCRUnavailable, msg: fmt.Sprintf(
			"the Tesseract language %s is not installed (Debian/Ubuntu: apt-get install %s)",
			strings.Join(missing, ", "), debianPacks(missing))}
	}
	return nil
}

// debianPacks names the Debian packages of Tesseract languages.
func debianPacks(langs []string) string {
	var out []string
	for _, l := range langs {
		out = append(out, "tesseract-ocr-"+strings.ReplaceAll(strings.ToLower(l), "_", "-"))
	}
	return strings.Join(out, " ")
}

// ocrResult is the text Tesseract read on one image.
type ocrResult struct {
	Text string
	// Confidence is the length-weighted mean word confidence, 0–100.
	Confidence float64
}

// recognize runs Tesseract on one encoded image (PNG, JPEG, TIFF, PNM).
func (o OCR) recognize(ctx context.Context, img []byte) (ocrResult, error) {
	o = o.withDefaults()
	if err := ValidateLanguages(o.Languages); err != nil {
		return ocrResult{}, err
	}
	bin, err := o.tesseractPath()
	if err != nil {
		return ocrResult{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.PageTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "stdin", "stdout", "-l", o.Languages, "--psm", "3", "tsv")
	cmd.Stdin = bytes.NewReader(img)
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &limitedBuffer{buf: &stdout, max: 16 << 20}, &limitedBuffer{buf: &stderr, max: 64 << 10}
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return ocrResult{}, ErrOCRUnavailable
	}
	limitMemory(cmd.Process.Pid, o.MaxMemory)
	err = cmd.Wait()
	switch {
	case ctx.Err() != nil && ctx.Err() != context.DeadlineExceeded:
		return ocrResult{}, ctx.Err()
	case ctx.Err() != nil:
		return ocrResult{}, fmt.Errorf("%w: no result within %s", ErrOCRFailed, o.PageTimeout)
	case missingLanguage(stderr.String()): // Tesseract goes on without it, which reads the page wrong
		return ocrResult{}, &userError{err: ErrOCRUnavailable, msg: fmt.Sprintf(
			"OCR needs the Tesseract languages %s, and one of them is not installed on the server (Debian/Ubuntu: apt-get install %s)",
			o.Languages, debianPacks(strings.Split(o.Languages, "+")))}
	case err != nil:
		return ocrResult{}, fmt.Errorf("%w: %s", ErrOCRFailed, firstLine(stderr.String()))
	}
	return parseTSV(&stdout), nil
}

func missingLanguage(stderr string) bool {
	return strings.Contains(stderr, "Failed loading language") || strings.Contains(stderr, "Error opening data file")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// limitedBuffer keeps at most max bytes and drops the rest.
type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// parseTSV lays Tesseract's word boxes out as text: words of a line joined
// (without a space between two CJK characters), lines of a paragraph by a
// newline, paragraphs and blocks by a blank line.
func parseTSV(r io.Reader) ocrResult {
	var (
		b             strings.Builder
		key, lastLine [3]int
		started       bool
		last          rune
		wsum, csum    float64
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 12 || f[0] != "5" {
			continue
		}
		word := strings.TrimSpace(f[11])
		conf, err := strconv.ParseFloat(f[10], 64)
		if word == "" || err != nil || conf < 0 {
			continue
		}
		for i := range key {
			key[i], _ = strconv.Atoi(f[2+i])
		}
		first, _ := utf8.DecodeRuneInString(word)
		switch {
		case !started:
		case key[0] != lastLine[0] || key[1] != lastLine[1]:
			b.WriteString("\n\n")
		case key[2] != lastLine[2]:
			b.WriteByte('\n')
		case !(unspaced(last) && unspaced(first)):
			b.WriteByte(' ')
		}
		started, lastLine = true, key
		b.WriteString(word)
		last, _ = utf8.DecodeLastRuneInString(word)
		n := float64(utf8.RuneCountInString(word))
		wsum += n
		csum += n * math.Min(conf, 100)
	}
	res := ocrResult{Text: b.String()}
	if wsum > 0 {
		res.Confidence = csum / wsum
	}
	return res
}

// unspaced reports whether r is written without spaces between words
// (Han, kana, CJK punctuation; not Hangul).
func unspaced(r rune) bool { return isCJK(r) && !unicode.Is(unicode.Hangul, r) }
