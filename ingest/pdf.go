package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/ledongthuc/pdf"
)

// PDF extraction. github.com/ledongthuc/pdf parses the file structure
// (cross-reference tables, objects, stream filters, decryption with the
// empty password); docent interprets the page content itself (pdfcontent.go)
// and rebuilds the text from glyph positions (pdflayout.go).
//
// The library panics on malformed input, so every call into it runs under
// recover(). Extraction runs in its own goroutine so that Extract returns as
// soon as its context is done; the goroutine checks the context between
// pages and every 1024 content operators, so an abandoned one stops soon
// after (a single library call that blocks on a pathological object is the
// only thing it cannot interrupt).

const (
	maxPageNodes = 1 << 17 // page tree nodes visited
	maxTreeDepth = 64
)

func extractPDF(ctx context.Context, r io.ReaderAt, size int64, lim Limits) (*Extracted, error) {
	type result struct {
		p   *pdfText
		err error
	}
	rctx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()
	ch := make(chan result, 1)
	go func() {
		p, err := readPDF(rctx, r, size, lim)
		ch <- result{p, err}
	}()
	var res result
	select {
	case res = <-ch:
	case <-rctx.Done():
		return nil, rctx.Err()
	}
	if res.err != nil {
		return nil, res.err
	}
	if len(res.p.scans) > 0 {
		if err := ocrScans(ctx, r, size, res.p, lim); err != nil {
			return nil, err
		}
	}
	return res.p.assemble(lim)
}

// pdfText is the text of a PDF's pages before they are joined.
type pdfText struct {
	title string
	lead  string    // the largest text of the first page
	pages []string  // normalised text of each page
	scans []pdfScan // pages without text but with images, for OCR
	ocr   map[int]float64
}

// pdfScan is a page that paints images but has no text: a scan. imgs
// holds its images that Go could decode (PNG or JPEG), used when pdftoppm
// is not installed to render the page.
type pdfScan struct {
	index int // 0-based page index
	dpi   int // resolution of its widest image across the page's width, 0 if unknown
	imgs  [][]byte
}

// assemble joins the pages with form feeds into an Extracted.
func (p *pdfText) assemble(lim Limits) (*Extracted, error) {
	x := &Extracted{Title: p.title, Lead: p.lead}
	var b strings.Builder
	for i, t := range p.pages {
		if i > 0 {
			b.WriteByte('\f')
		}
		start := b.Len()
		b.WriteString(t)
		sp := Span{N: i + 1, Start: start, End: b.Len()}
		if conf, ok := p.ocr[i]; ok {
			sp.OCR, sp.Confidence = true, conf
		}
		x.Pages = append(x.Pages, sp)
		if err := lim.checkText(int64(b.Len())); err != nil {
			return nil, err
		}
	}
	x.Text = b.String()
	if strings.TrimSpace(x.Text) == "" {
		return nil, ErrNoText
	}
	return x, nil
}

// pdfPage is a page dictionary with its inherited resources.
type pdfPage struct {
	v, res pdf.Value
}

func readPDF(ctx context.Context, r io.ReaderAt, size int64, lim Limits) (out *pdfText, err error) {
	defer func() {
		if p := recover(); p != nil {
			reportPanic(ctx, p)
			out, err = nil, panicError(ctx, p)
		}
	}()
	if err := checkPDFNumbers(r, size); err != nil {
		return nil, err
	}
	src, size, err := pdfSource(ctx, r, size)
	if err != nil {
		return nil, err
	}
	doc, err := pdf.NewReader(src, size)
	if err != nil {
		return nil, openError(err)
	}
	var pages []pdfPage
	budget := maxPageNodes
	collectPages(doc.Trailer().Key("Root").Key("Pages"), pdf.Value{}, 0, &pages, &budget)
	if len(pages) == 0 {
		return nil, fmt.Errorf("%w: the PDF has no pages", ErrCorrupt)
	}
	out = &pdfText{title: Normalize(strings.ReplaceAll(infoTitle(ctx, doc), "\n", " "))}
	fonts := map[string]*pdfFont{}
	failed, total := 0, 0
	_, canRender := lim.OCR.pdftoppmPath()
	var file []byte // the whole file, read when images are decoded here
	for i, p := range pages {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		pt, err := pageText(ctx, p, fonts, lim, i == 0)
		if pt.lead != "" {
			out.lead = Normalize(pt.lead)
		}
		switch {
		case errors.Is(err, ErrTooLarge):
			return nil, fmt.Errorf("%w: page %d decompresses to more than %d bytes", ErrTooLarge, i+1, lim.MaxExtracted)
		case err != nil && ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			failed++
		}
		text := Normalize(pt.text)
		out.pages = append(out.pages, text)
		if strings.TrimSpace(text) == "" && (len(pt.images) > 0 || pt.inline > 0) {
			scan := pdfScan{index: i, dpi: imageDPI(p.v, pt.images)}
			if !canRender {
				if file == nil {
					file = readAll(r, size)
				}
				scan.imgs = decodeImages(ctx, pt.images, file, lim)
			}
			out.scans = append(out.scans, scan)
		}
		total += len(text)
		if err := lim.checkText(int64(total)); err != nil {
			return nil, err
		}
	}
	if failed == len(pages) {
		return nil, fmt.Errorf("%w: no page could be read", ErrCorrupt)
	}
	if total == 0 && len(out.scans) == 0 {
		return nil, ErrNoText
	}
	return out, nil
}

// readAll reads a whole file (Extract has bounded its size).
func readAll(r io.ReaderAt, size int64) []byte {
	b := make([]byte, size)
	n, _ := r.ReadAt(b, 0)
	return b[:n]
}

// pdfSource finds the PDF inside r: it skips bytes before the %PDF- header,
// drops bytes after the last %%EOF and presents the header as version 1.7
// (the library refuses other versions, 2.0 included, though it can read
// them).
func pdfSource(ctx context.Context, r io.ReaderAt, size int64) (headerPatch, int64, error) {
	head := make([]byte, min(size, 1024))
	n, _ := r.ReadAt(head, 0)
	off := bytes.Index(head[:n], []byte("%PDF-"))
	if off < 0 {
		return headerPatch{}, 0, fmt.Errorf("%w: not a PDF file", ErrCorrupt)
	}
	tailLen := min(size-int64(off), 2048)
	tail := make([]byte, tailLen)
	n, _ = r.ReadAt(tail, size-tailLen)
	end := size
	if i := bytes.LastIndex(tail[:n], []byte("%%EOF")); i >= 0 {
		end = size - tailLen + int64(i) + 5
	}
	sr := io.NewSectionReader(r, int64(off), end-int64(off))
	budget := readBudget(size)
	return headerPatch{r: sr, ctx: ctx, budget: &budget}, end - int64(off), nil
}

// headerPatch reads like its ReaderAt with the first bytes replaced by a
// header the library accepts. It also bounds the library's work: every
// read checks the context and counts against a budget of bytes, and
// panics (recovered by readPDF) when either runs out, so that a
// cross-reference loop or an abandoned extraction stops at its next read.
type headerPatch struct {
	r      io.ReaderAt
	ctx    context.Context
	budget *int64
}

const pdfHeader = "%PDF-1.7\n"

// errReadBudget is the panic value when a PDF needs too many reads.
var errReadBudget = errors.New("read budget exhausted")

func (h headerPatch) ReadAt(p []byte, off int64) (int, error) {
	if err := h.ctx.Err(); err != nil {
		panic(err)
	}
	if *h.budget -= int64(len(p)); *h.budget < 0 {
		panic(errReadBudget)
	}
	n, err := h.r.ReadAt(p, off)
	for i := 0; i < n && off+int64(i) < int64(len(pdfHeader)); i++ {
		p[i] = pdfHeader[off+int64(i)]
	}
	return n, err
}

// readBudget is how many bytes the library may read from a file of the
// given size: real files need a few times their size (objects are parsed
// again on each lookup, 7 times the size at most on the evaluation set);
// loops in a malformed file hit the bound.
func readBudget(size int64) int64 {
	return 1024*size + 4<<20
}

// panicError maps a recovered panic to the error Extract returns.
func panicError(ctx context.Context, p any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p == errReadBudget {
		return fmt.Errorf("%w: malformed PDF (reading it does not end)", ErrCorrupt)
	}
	return fmt.Errorf("%w: malformed PDF", ErrCorrupt)
}

// openError maps the library's errors when opening a file.
func openError(err error) error {
	msg := err.Error()
	if errors.Is(err, pdf.ErrInvalidPassword) || strings.Contains(msg, "encrypt") || strings.Contains(msg, "password") {
		return ErrEncrypted
	}
	return fmt.Errorf("%w: malformed PDF", ErrCorrupt)
}

// collectPages walks the page tree, passing inherited resources down.
func collectPages(node, res pdf.Value, depth int, out *[]pdfPage, budget *int) {
	*budget--
	if *budget < 0 || depth > maxTreeDepth || node.Kind() != pdf.Dict {
		return
	}
	if r := node.Key("Resources"); r.Kind() == pdf.Dict {
		res = r
	}
	kids := node.Key("Kids")
	if node.Key("Type").Name() == "Page" || kids.Kind() != pdf.Array {
		*out = append(*out, pdfPage{v: node, res: res})
		return
	}
	for i := 0; i < kids.Len() && *budget > 0; i++ {
		collectPages(kids.Index(i), res, depth+1, out, budget)
	}
}

// panicSinkKey is the context key of a panicSink.
type panicSinkKey struct{}

// panicSink receives the panics recovered while reading a PDF, with their
// stack. Tests put one in the context to tell the library's panics on
// malformed input (expected) from bugs in this package.
type panicSink func(val any, stack []byte)

func reportPanic(ctx context.Context, val any) {
	if sink, ok := ctx.Value(panicSinkKey{}).(panicSink); ok {
		sink(val, debug.Stack())
	}
}

// infoTitle returns the Title of the document information dictionary.
func infoTitle(ctx context.Context, doc *pdf.Reader) (title string) {
	defer func() {
		if p := recover(); p != nil {
			reportPanic(ctx, p)
			title = ""
		}
	}()
	return doc.Trailer().Key("Info").Key("Title").Text()
}

// pageResult is what the interpreter found on one page.
type pageResult struct {
	text   string
	lead   string      // the page's largest text, when asked for
	images []pdf.Value // image XObjects painted
	inline int         // inline images painted
}

// pageText interprets one page and lays its glyphs out as text. A page that
// fails part way keeps the glyphs read before the failure.
//
// With lead, it also finds the page's largest text (see leadText).
func pageText(ctx context.Context, p pdfPage, fonts map[string]*pdfFont, lim Limits, lead bool) (res pageResult, err error) {
	in := &interp{ctx: ctx, fonts: fonts, budget: lim.MaxExtracted, active: map[string]bool{}}
	func() {
		defer func() {
			if p := recover(); p != nil {
				reportPanic(ctx, p)
				err = ErrCorrupt
			}
		}()
		rd := streamReader(p.v.Key("Contents"))
		in.run(rd, p.res, gstate{ctm: identity, th: 1}, 0)
	}()
	if in.err != nil {
		return pageResult{}, in.err
	}
	if len(in.glyphs) > 0 {
		err = nil
	}
	res = pageResult{text: layoutPage(in.glyphs), images: in.images, inline: in.inline}
	if lead {
		res.lead = leadText(in.glyphs)
	}
	return res, err
}
