package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Errors returned by Detect and Extract. They are safe to show to users:
// their messages never contain paths or library internals, and callers test
// them with errors.Is.
var (
	// ErrUnsupported reports a file whose type docent cannot read. Its
	// message lists the supported types, so an API can answer 415 with it.
	ErrUnsupported = errors.New("unsupported file type (supported: PDF, DOCX, PPTX, XLSX, ODT, ODS, ODP, EPUB, RTF, " +
		"EML, MBOX, HTML, Markdown, CSV, plain text, and PNG, JPEG or TIFF images of pages)")

	// ErrNoText reports a PDF without a text layer.
	ErrNoText = errors.New("the PDF has no extractable text and no page images to read")

	// ErrEncrypted reports a PDF that cannot be read without a password,
	// or whose encryption scheme is not supported.
	ErrEncrypted = errors.New("the PDF is encrypted and cannot be read without a password")

	// ErrTooLarge reports a file, a decompressed part of it or its extracted
	// text that is larger than the configured Limits (zip bombs end here).
	ErrTooLarge = errors.New("the file or its extracted text is too large")

	// ErrCorrupt reports a file that is damaged or cannot be parsed.
	ErrCorrupt = errors.New("the file is damaged or cannot be read")
)

// Default limits, used for the zero fields of Limits.
const (
	DefaultMaxBytes     = 64 << 20
	DefaultMaxExtracted = 64 << 20
	DefaultTimeout      = 2 * time.Minute
	// DefaultTextPerByte and DefaultMinText make the text budget: a file
	// of n bytes may become at most max(3n, 1 MiB) bytes of text (a byte
	// of passage text costs about 7 bytes of store: text, analysed terms,
	// vector, pages).
	DefaultTextPerByte = 3
	DefaultMinText     = 1 << 20
)

// Limits bound the work Extract does on one file. A zero field takes its
// default, so the zero Limits is ready to use.
type Limits struct {
	// MaxBytes is the largest input file accepted (default 64 MiB).
	MaxBytes int64
	// MaxExtracted bounds decompressed data and output: the extracted text,
	// each decompressed DOCX part and the decompressed content streams of
	// each PDF page (default 64 MiB). Exceeding it gives ErrTooLarge.
	MaxExtracted int64
	// Timeout bounds the whole extraction of one file (default 2 minutes,
	// plus OCR.PageTimeout for each page read by OCR); it is applied on
	// top of the context's own deadline.
	Timeout time.Duration
	// OCR reads scanned pages and images: Tesseract's languages, the
	// programs to run and the bounds of each page.
	OCR OCR
	// TextPerByte and MinText bound the cost of a file by its size: its
	// text, and the passages made of it, may hold at most
	// max(TextPerByte·size, MinText) bytes (defaults 3 and 1 MiB). Every
	// loader reports its text against this budget as it goes (checkText),
	// so a small file that would expand (a CSV whose header is repeated on
	// every row, a zip of repeated text) stops early with a clear reason.
	TextPerByte int64
	MinText     int64

	// textBudget is the budget of the file being extracted (set by Extract).
	textBudget int64
}

// TextBudget is how many bytes of text (and of passages) a file of size
// bytes may become: max(TextPerByte·size, MinText), never more than
// MaxExtracted.
func (l Limits) TextBudget(size int64) int64 {
	l = l.withDefaults()
	return min(l.MaxExtracted, max(l.TextPerByte*max(size, 0), l.MinText))
}

// checkText is what a loader calls as its text grows to n bytes: an error
// wrapping ErrTooLarge, with a reason that says why, once n is over the
// file's text budget (or MaxExtracted).
func (l Limits) checkText(n int64) error {
	budget := l.textBudget
	if budget <= 0 {
		budget = l.withDefaults().MaxExtracted
	}
	if n <= budget {
		return nil
	}
	return &userError{err: ErrTooLarge, msg: fmt.Sprintf(
		"the file's text would be larger than %s, the most a file of its size may hold (%d times its size, at least %s): "+
			"split it into smaller files or remove repeated content",
		byteSize(budget), l.withDefaults().TextPerByte, byteSize(l.withDefaults().MinText))}
}

// byteSize renders a byte count for people.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxExtracted <= 0 {
		l.MaxExtracted = DefaultMaxExtracted
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	if l.TextPerByte <= 0 {
		l.TextPerByte = DefaultTextPerByte
	}
	if l.MinText <= 0 {
		l.MinText = DefaultMinText
	}
	return l
}

// Span is a page of a PDF: its 1-based number N and the byte range
// [Start, End) of its text in Extracted.Text. OCR is set when the text was
// read from the page's image by OCR, with Confidence the mean word
// confidence (0–100).
type Span struct {
	N          int
	Start, End int
	OCR        bool
	Confidence float64
}

// Section is a part of a structured document under one heading path (for
// example ["Guide", "Install", "Linux"]); [Start, End) is its byte range in
// Extracted.Text, the heading line included. Text before the first heading
// is a Section with no headings.
type Section struct {
	Headings   []string
	Start, End int
}

// Extracted is the normalised text of one document with its structure.
type Extracted struct {
	Format Format
	// Text is the whole normalised text (see Normalize). PDF pages are
	// separated by a form feed '\f'.
	Text string
	// Pages holds one Span per PDF page, in order; nil for other formats.
	Pages []Span
	// Sections covers the text of Markdown, HTML and DOCX documents in
	// order; nil for other formats.
	Sections []Section
	// Title is the title the document gives itself (metadata, <title>,
	// first level-1 heading), or "". DocumentTitle decides whether it is
	// meaningful.
	Title string
	// Attachments are files carried inside the document (e-mail
	// attachments), indexed as documents of their own.
	Attachments []Attachment
	// Lead is, for a PDF, the largest text on its first page (a title
	// candidate when the metadata has none), or "".
	Lead string
}

// Extract reads a document of format f from r (size bytes) and returns its
// normalised text. Errors wrap ErrTooLarge, ErrCorrupt, ErrNoText,
// ErrEncrypted or ErrUnsupported, or are the context's error.
func Extract(ctx context.Context, f Format, r io.ReaderAt, size int64, lim Limits) (*Extracted, error) {
	lim = lim.withDefaults()
	if size > lim.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, size, lim.MaxBytes)
	}
	if size < 0 {
		return nil, ErrCorrupt
	}
	lim.textBudget = lim.TextBudget(size)
	// OCR has its own time bounds (per page), so PDFs and images apply
	// lim.Timeout to the rest themselves.
	tctx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()
	var (
		x   *Extracted
		err error
	)
	switch f {
	case PDF:
		x, err = extractPDF(ctx, r, size, lim)
	case PNG, JPEG, TIFF:
		x, err = extractImage(ctx, r, size, lim)
	default:
		x, err = extractFormat(tctx, f, r, size, lim)
	}
	if err != nil {
		return nil, err
	}
	x.Format = f
	if err := lim.checkText(int64(len(x.Text))); err != nil {
		return nil, err
	}
	return x, nil
}

// extractFormat extracts the formats that need no OCR.
func extractFormat(ctx context.Context, f Format, r io.ReaderAt, size int64, lim Limits) (*Extracted, error) {
	switch f {
	case DOCX:
		return extractDOCX(ctx, r, size, lim)
	case PPTX:
		return extractPPTX(ctx, r, size, lim)
	case XLSX:
		return extractXLSX(ctx, r, size, lim)
	case ODT, ODS, ODP:
		return extractODF(ctx, f, r, size, lim)
	case EPUB:
		return extractEPUB(ctx, r, size, lim)
	case EML, MBOX:
		return extractMail(ctx, f, r, size, lim)
	case WebPage:
		return extractWebPage(ctx, r, size, lim)
	case HTML, Markdown, CSV, Text, RTF:
		return extractTextual(ctx, f, r, size, lim)
	}
	return nil, fmt.Errorf("%w: %q", ErrUnsupported, f)
}

// extractTextual reads a whole text-based file and hands it to its parser.
func extractTextual(ctx context.Context, f Format, r io.ReaderAt, size int64, lim Limits) (*Extracted, error) {
	b := make([]byte, size)
	if _, err := r.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: read failed", ErrCorrupt)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := decodeText(b)
	switch f {
	case HTML:
		return parseHTML(ctx, s)
	case Markdown:
		return parseMarkdown(s), nil
	case CSV:
		return parseCSV(ctx, s, lim)
	case RTF:
		return parseRTF(ctx, b, lim)
	}
	return &Extracted{Text: Normalize(s)}, nil
}

// ExtractFile detects the format of the file at path and extracts it.
func ExtractFile(ctx context.Context, path string, lim Limits) (*Extracted, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	format, err := DetectReader(path, f, st.Size())
	if err != nil {
		return nil, err
	}
	return Extract(ctx, format, f, st.Size(), lim)
}
