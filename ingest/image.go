package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeConfig of JPEG uploads
	_ "image/png"  // DecodeConfig of PNG uploads
	"io"
)

// Image uploads (photos and scans of pages: PNG, JPEG, TIFF) are read by
// OCR as one page. PNG and JPEG dimensions are checked before Tesseract
// sees them; TIFF (which may hold several pages) is bounded by Tesseract's
// time and memory limits.

// imageFormat returns the format of a PNG, JPEG or TIFF file from its
// first bytes, or "".
func imageFormat(head []byte) Format {
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return PNG
	case bytes.HasPrefix(head, []byte("\xFF\xD8\xFF")):
		return JPEG
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return TIFF
	}
	return ""
}

func extractImage(ctx context.Context, r io.ReaderAt, size int64, lim Limits) (*Extracted, error) {
	b := make([]byte, size)
	if _, err := r.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: read failed", ErrCorrupt)
	}
	switch imageFormat(b) {
	case "":
		return nil, fmt.Errorf("%w: not a PNG, JPEG or TIFF image", ErrCorrupt)
	case PNG, JPEG:
		cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%w: damaged image", ErrCorrupt)
		}
		if int64(cfg.Width)*int64(cfg.Height) > maxOCRPixels {
			return nil, fmt.Errorf("%w: the image has %d×%d pixels, more than OCR reads (%d million)",
				ErrTooLarge, cfg.Width, cfg.Height, maxOCRPixels/1_000_000)
		}
	}
	res, err := lim.OCR.recognize(ctx, b)
	if err != nil {
		return nil, err
	}
	text := Normalize(res.Text)
	return &Extracted{Text: text, Pages: []Span{{N: 1, End: len(text), OCR: true, Confidence: res.Confidence}}}, nil
}
