package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ledongthuc/pdf"
)

// OCR of scanned PDF pages. A page is OCRed only when it has no text at
// all and paints at least one image; a page with text never is. The page
// image comes from pdftoppm when it is installed (the page rendered as it
// looks, masks and all, at OCR.DPI, lowered for huge pages so that the
// image stays under maxOCRPixels), otherwise from the page's own image
// objects decoded in Go (8-bit or 1-bit grey and RGB pixels, and JPEG).

// userError is an error whose message is meant for the user in full:
// Reason shows it instead of the bare sentinel it wraps.
type userError struct {
	msg string
	err error
}

func (e *userError) Error() string { return e.msg }
func (e *userError) Unwrap() error { return e.err }

// pdftoppmPath returns the pdftoppm program, if installed.
func (o OCR) pdftoppmPath() (string, bool) {
	name := o.Pdftoppm
	if name == "" {
		name = "pdftoppm"
	}
	p, err := exec.LookPath(name)
	return p, err == nil
}

// ocrScans reads the scanned pages of p with Tesseract, OCR.Workers pages
// at a time, each within OCR.PageTimeout.
func ocrScans(ctx context.Context, r io.ReaderAt, size int64, p *pdfText, lim Limits) error {
	o := lim.OCR.withDefaults()
	if _, err := o.tesseractPath(); err != nil {
		return err
	}
	var file []byte
	renderer, canRender := o.pdftoppmPath()
	if canRender {
		file = make([]byte, size)
		if _, err := r.ReadAt(file, 0); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: read failed", ErrCorrupt)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	p.ocr = map[int]float64{}
	jobs := make(chan pdfScan)
	for range min(o.Workers, len(p.scans)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range jobs {
				res, err := ocrScan(ctx, o, renderer, file, s)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				if err == nil {
					p.pages[s.index] = Normalize(res.Text)
					p.ocr[s.index] = res.Confidence
				}
				mu.Unlock()
			}
		}()
	}
	for _, s := range p.scans {
		if ctx.Err() != nil {
			break
		}
		jobs <- s
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// ocrScan reads one scanned page: rendered by pdftoppm when renderer is
// set, else from its decoded images (their texts joined).
func ocrScan(ctx context.Context, o OCR, renderer string, file []byte, s pdfScan) (ocrResult, error) {
	imgs := s.imgs
	if renderer != "" {
		img, err := renderPage(ctx, o, renderer, file, s.index+1, renderDPI(o.DPI, s.dpi))
		if err != nil {
			return ocrResult{}, err
		}
		imgs = [][]byte{img}
	}
	if len(imgs) == 0 {
		return ocrResult{}, &userError{err: ErrOCRUnavailable, msg: fmt.Sprintf(
			"page %d is a scan whose images docent cannot decode by itself: install pdftoppm on the server "+
				"(Debian/Ubuntu: apt-get install poppler-utils) to read it", s.index+1)}
	}
	var (
		texts      []string
		wsum, csum float64
	)
	for _, img := range imgs {
		res, err := o.recognize(ctx, img)
		if err != nil {
			return ocrResult{}, pageError(err, s.index+1)
		}
		if t := strings.TrimSpace(res.Text); t != "" {
			texts = append(texts, t)
			n := float64(len(t))
			wsum += n
			csum += n * res.Confidence
		}
	}
	out := ocrResult{Text: strings.Join(texts, "\n\n")}
	if wsum > 0 {
		out.Confidence = csum / wsum
	}
	return out, nil
}

// pageError names the page in an OCR failure.
func pageError(err error, page int) error {
	if errors.Is(err, ErrOCRFailed) {
		return &userError{err: err, msg: fmt.Sprintf("OCR of page %d failed (it took too long or needed too much memory)", page)}
	}
	return err
}

// renderPage renders page n of a PDF to a grey PNG with pdftoppm, under
// the same time and memory bounds as Tesseract.
func renderPage(ctx context.Context, o OCR, bin string, file []byte, n, dpi int) ([]byte, error) {
	for range 2 {
		img, err := runPdftoppm(ctx, o, bin, file, n, dpi)
		if err != nil {
			return nil, err
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(img))
		if err != nil {
			return nil, fmt.Errorf("%w: page %d could not be rendered", ErrCorrupt, n)
		}
		px := float64(cfg.Width) * float64(cfg.Height)
		if px <= maxOCRPixels {
			return img, nil
		}
		dpi = int(float64(dpi) * math.Sqrt(maxOCRPixels/px))
		if dpi < 10 {
			break
		}
	}
	return nil, &userError{err: ErrTooLarge, msg: fmt.Sprintf("page %d is too large to read by OCR", n)}
}

// renderDPI is the resolution a scanned page is rendered at: its images'
// own (no detail is gained above it, and Tesseract's time grows with the
// pixels), within [minRenderDPI, limit].
func renderDPI(limit, native int) int {
	if native <= 0 {
		return limit
	}
	return min(limit, max(native, minRenderDPI))
}

// minRenderDPI is the least resolution pages are rendered at: below it
// Tesseract reads small print badly, so low-resolution scans are enlarged.
const minRenderDPI = 150

// imageDPI is the resolution of the widest image of a page across the
// page's width (its MediaBox, when the page has its own).
func imageDPI(page pdf.Value, imgs []pdf.Value) (dpi int) {
	defer func() {
		if recover() != nil {
			dpi = 0
		}
	}()
	box := page.Key("MediaBox")
	if box.Len() != 4 {
		return 0
	}
	width := math.Abs(box.Index(2).Float64() - box.Index(0).Float64())
	if width < 36 {
		return 0
	}
	widest := int64(0)
	for _, img := range imgs {
		widest = max(widest, img.Key("Width").Int64())
	}
	return int(float64(widest) / (width / 72))
}

func runPdftoppm(ctx context.Context, o OCR, bin string, file []byte, n, dpi int) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, o.PageTimeout)
	defer cancel()
	page := strconv.Itoa(n)
	cmd := exec.CommandContext(ctx, bin, "-r", strconv.Itoa(dpi), "-gray", "-png", "-f", page, "-l", page, "-")
	cmd.Stdin = bytes.NewReader(file)
	var out, stderr bytes.Buffer
	cmd.Stdout = &limitedBuffer{buf: &out, max: 4 * maxOCRPixels}
	cmd.Stderr = &limitedBuffer{buf: &stderr, max: 64 << 10}
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run pdftoppm: %w", err)
	}
	limitMemory(cmd.Process.Pid, o.MaxMemory)
	err := cmd.Wait()
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return nil, pageError(fmt.Errorf("%w: rendering took over %s", ErrOCRFailed, o.PageTimeout), n)
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil || out.Len() == 0:
		return nil, fmt.Errorf("%w: page %d could not be rendered", ErrCorrupt, n)
	}
	return out.Bytes(), nil
}

// decodeImages returns the images of a scanned page that Go can decode,
// encoded for Tesseract: JPEG streams as they are, raw pixels as PNG.
// Images that are too small to hold text, too large or in another encoding
// are left out.
// file is the whole PDF, where JPEG streams are looked up.
func decodeImages(ctx context.Context, imgs []pdf.Value, file []byte, lim Limits) [][]byte {
	var out [][]byte
	for _, v := range imgs {
		if b := decodeImage(ctx, v, file, lim); b != nil {
			out = append(out, b)
		}
	}
	return out
}

func decodeImage(ctx context.Context, v pdf.Value, file []byte, lim Limits) (enc []byte) {
	defer func() {
		if p := recover(); p != nil {
			reportPanic(ctx, p)
			enc = nil
		}
	}()
	w, h := int(v.Key("Width").Int64()), int(v.Key("Height").Int64())
	bpc := int(v.Key("BitsPerComponent").Int64())
	if w < 16 || h < 16 || int64(w)*int64(h) > maxOCRPixels {
		return nil
	}
	filter := v.Key("Filter")
	if filter.Kind() == pdf.Array && filter.Len() == 1 {
		filter = filter.Index(0)
	}
	switch filter.Name() {
	case "DCTDecode":
		return findJPEG(file, w, h, v.Key("Length").Int64())
	case "", "FlateDecode":
	default:
		return nil
	}
	comps := 0
	switch cs := v.Key("ColorSpace"); cs.Name() {
	case "DeviceGray", "CalGray":
		comps = 1
	case "DeviceRGB", "CalRGB":
		comps = 3
	}
	if comps == 0 || (bpc != 8 && !(bpc == 1 && comps == 1)) {
		return nil
	}
	stride := (w*comps*bpc + 7) / 8
	need := int64(stride) * int64(h)
	if need > lim.MaxExtracted {
		return nil
	}
	raw := make([]byte, need)
	if _, err := io.ReadFull(v.Reader(), raw); err != nil {
		return nil
	}
	var img image.Image
	switch {
	case bpc == 1:
		g := image.NewGray(image.Rect(0, 0, w, h))
		invert := v.Key("Decode").Len() == 2 && v.Key("Decode").Index(0).Float64() == 1
		for y := range h {
			for x := range w {
				bit := raw[y*stride+x/8]>>(7-uint(x%8))&1 == 1
				if bit != invert {
					g.Pix[y*g.Stride+x] = 255
				}
			}
		}
		img = g
	case comps == 1:
		img = &image.Gray{Pix: raw, Stride: stride, Rect: image.Rect(0, 0, w, h)}
	default:
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range w * h {
			g.Pix[i] = color.GrayModel.Convert(color.RGBA{raw[3*i], raw[3*i+1], raw[3*i+2], 255}).(color.Gray).Y
		}
		img = g
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil
	}
	return b.Bytes()
}

// findJPEG returns the JPEG stream of a w×h image of the given length from
// the raw PDF: the PDF library cannot hand over a stream's undecoded
// bytes, so JPEG start markers are tried until one whose stream of that
// length ends the JPEG and the PDF stream and has those dimensions. (An
// encrypted PDF's streams are not found this way.)
func findJPEG(file []byte, w, h int, length int64) []byte {
	if length <= 0 || length > int64(len(file)) {
		return nil
	}
	for off, tries := 0, 0; tries < 4096; tries++ {
		i := bytes.Index(file[off:], []byte("\xFF\xD8\xFF"))
		if i < 0 {
			return nil
		}
		off += i
		if end := int64(off) + length; end <= int64(len(file)) {
			cand := file[off:end]
			after := bytes.TrimLeft(file[end:min(int64(len(file)), end+16)], "\r\n\t ")
			if bytes.HasPrefix(after, []byte("endstream")) && bytes.Contains(cand[max(0, len(cand)-4):], []byte("\xFF\xD9")) {
				if cfg, err := jpeg.DecodeConfig(bytes.NewReader(cand)); err == nil && cfg.Width == w && cfg.Height == h {
					return cand
				}
			}
		}
		off += 3
	}
	return nil
}
