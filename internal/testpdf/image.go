package testpdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"strings"
)

// Scan is a page image for ImageOnly: a scanned or photographed page.
type Scan struct {
	Image image.Image
	// DPI is the resolution the page was scanned at: it sets the page size
	// (default 200).
	DPI int
	// JPEG stores the image as a DCTDecode (JPEG) stream; otherwise it is
	// stored as FlateDecode grey pixels.
	JPEG bool
}

// ImageOnly returns a PDF whose pages each paint one full-page image and
// have no text layer, like the output of a scanner.
func ImageOnly(scans ...Scan) ([]byte, error) {
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", ""}
	var kids []string
	for _, s := range scans {
		b := s.Image.Bounds()
		gray := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(gray, gray.Bounds(), s.Image, b.Min, draw.Src)
		var data bytes.Buffer
		filter := "/FlateDecode"
		if s.JPEG {
			filter = "/DCTDecode"
			if err := jpeg.Encode(&data, gray, &jpeg.Options{Quality: 90}); err != nil {
				return nil, err
			}
		} else {
			zw := zlib.NewWriter(&data)
			zw.Write(gray.Pix)
			if err := zw.Close(); err != nil {
				return nil, err
			}
		}
		objs = append(objs, Stream(data.String(), fmt.Sprintf(
			"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter %s",
			b.Dx(), b.Dy(), filter)))
		img := len(objs)
		dpi := s.DPI
		if dpi <= 0 {
			dpi = 200
		}
		w, h := float64(b.Dx())*72/float64(dpi), float64(b.Dy())*72/float64(dpi)
		objs = append(objs, Stream(fmt.Sprintf("q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q", w, h), ""))
		objs = append(objs, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>",
			w, h, img, len(objs)))
		kids = append(kids, fmt.Sprintf("%d 0 R", len(objs)))
	}
	objs[1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(kids))
	return Objects(objs, ""), nil
}
