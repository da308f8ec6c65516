package ingest

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"
	"golang.org/x/text/encoding/charmap"
)

// pdfFont turns the bytes of a shown string into glyphs: character codes,
// their Unicode text and their advance widths. The PDF library's own font
// decoding works on whole strings and gives no per-glyph widths for
// composite fonts, so docent decodes codes itself, preferring a font's
// ToUnicode map, then its encoding (base encoding plus Differences, with
// glyph names resolved through the library's glyph list).
type pdfFont struct {
	simple   bool
	text     [256]string  // simple fonts: text per code
	width    [256]float64 // simple fonts: advance per code, in text space units per unit of font size
	hasWidth [256]bool
	dw       float64 // default (missing) width

	// composite (Type0) fonts
	space  []codeRange        // code space: how many bytes make a code
	uni    *unicodeMap        // ToUnicode
	cidW   map[uint32]float64 // widths by CID (= code for Identity encodings)
	cidWR  []widthRange
	cache  map[uint32]string
	ident1 bool // no code space: one byte per code
}

type widthRange struct {
	lo, hi uint32
	w      float64
}

// maxWidthEntries bounds the per-font width table built from a W array.
const maxWidthEntries = 1 << 16

// glyphCode is one decoded character code.
type glyphCode struct {
	text   string
	width  float64 // in text space units per unit of font size
	single bool    // a one-byte code 32: word spacing applies
}

// decode splits raw into codes and calls fn for each.
func (f *pdfFont) decode(raw string, fn func(glyphCode)) {
	if f.simple {
		for i := 0; i < len(raw); i++ {
			c := raw[i]
			w := f.dw
			if f.hasWidth[c] {
				w = f.width[c]
			}
			fn(glyphCode{text: f.text[c], width: w, single: c == ' '})
		}
		return
	}
	for len(raw) > 0 {
		n := f.codeLen(raw)
		var code uint32
		for i := 0; i < n; i++ {
			code = code<<8 | uint32(raw[i])
		}
		raw = raw[n:]
		fn(glyphCode{text: f.cidText(code, n), width: f.cidWidth(code), single: n == 1 && code == 32})
	}
}

// codeLen returns the byte length of the code at the start of raw.
func (f *pdfFont) codeLen(raw string) int {
	if f.ident1 {
		return 1
	}
	if len(f.space) == 0 {
		return min(2, len(raw))
	}
	for _, r := range f.space {
		if r.n <= len(r.lo) && r.n <= len(raw) && r.contains(raw[:r.n]) {
			return r.n
		}
	}
	return min(f.space[0].n, len(raw))
}

func (f *pdfFont) cidText(code uint32, n int) string {
	key := code | uint32(n)<<30
	if s, ok := f.cache[key]; ok {
		return s
	}
	var s string
	if f.uni != nil {
		s, _ = f.uni.lookup(code, n)
	}
	if s == "" && f.uni == nil && code < 0x10000 && n == 2 {
		s = string(rune(code)) // no ToUnicode: assume a UCS-2 CMap
	}
	if len(f.cache) < maxWidthEntries {
		f.cache[key] = s
	}
	return s
}

func (f *pdfFont) cidWidth(code uint32) float64 {
	if w, ok := f.cidW[code]; ok {
		return w
	}
	for _, r := range f.cidWR {
		if code >= r.lo && code <= r.hi {
			return r.w
		}
	}
	return f.dw
}

// loadFont reads a font dictionary. It never fails: what cannot be read
// falls back to Latin-1 text and average widths.
func loadFont(ctx context.Context, v pdf.Value) (f *pdfFont) {
	f = &pdfFont{simple: true, dw: 0.5}
	defer func() {
		if p := recover(); p != nil {
			reportPanic(ctx, p)
			f = fallbackFont()
		}
	}()
	if v.Key("Subtype").Name() == "Type0" {
		return loadType0(ctx, v)
	}
	loadSimpleFont(ctx, f, v)
	return f
}

func fallbackFont() *pdfFont {
	f := &pdfFont{simple: true, dw: 0.5}
	for c := range 256 {
		f.text[c] = string(rune(c))
	}
	return f
}

func loadType0(ctx context.Context, v pdf.Value) *pdfFont {
	f := &pdfFont{dw: 1, cidW: map[uint32]float64{}, cache: map[uint32]string{}}
	if tu := v.Key("ToUnicode"); tu.Kind() == pdf.Stream {
		f.uni = parseCMap(ctx, tu)
	}
	enc := v.Key("Encoding")
	switch {
	case enc.Kind() == pdf.Stream:
		if m := parseCMap(ctx, enc); m != nil {
			f.space = m.space
		}
	case enc.Name() == "Identity-H" || enc.Name() == "Identity-V":
		f.space = []codeRange{{lo: "\x00\x00", hi: "\xff\xff", n: 2}}
	case f.uni != nil:
		f.space = f.uni.space
	}
	d := v.Key("DescendantFonts").Index(0)
	if w := d.Key("DW"); w.Kind() == pdf.Integer || w.Kind() == pdf.Real {
		f.dw = w.Float64() / 1000
	}
	readCIDWidths(f, d.Key("W"))
	return f
}

// readCIDWidths reads a CIDFont W array: "c [w1 w2 ...]" and "c1 c2 w".
func readCIDWidths(f *pdfFont, w pdf.Value) {
	n := w.Len()
	for i := 0; i < n; {
		first := w.Index(i)
		next := w.Index(i + 1)
		if next.Kind() == pdf.Array {
			c := uint32(first.Int64())
			for j := 0; j < next.Len() && len(f.cidW) < maxWidthEntries; j++ {
				f.cidW[c+uint32(j)] = next.Index(j).Float64() / 1000
			}
			i += 2
			continue
		}
		if i+2 >= n {
			return
		}
		if len(f.cidWR) < maxWidthEntries {
			f.cidWR = append(f.cidWR, widthRange{uint32(first.Int64()), uint32(next.Int64()), w.Index(i+2).Float64() / 1000})
		}
		i += 3
	}
}

func loadSimpleFont(ctx context.Context, f *pdfFont, v pdf.Value) {
	base := v.Key("BaseFont").Name()
	if i := strings.IndexByte(base, '+'); i >= 0 {
		base = base[i+1:]
	}
	scale := 0.001
	if v.Key("Subtype").Name() == "Type3" {
		if m := v.Key("FontMatrix"); m.Len() >= 1 && m.Index(0).Float64() != 0 {
			scale = m.Index(0).Float64()
		}
	}
	readSimpleWidths(f, v, base, scale)
	readSimpleEncoding(f, v)
	if tu := v.Key("ToUnicode"); tu.Kind() == pdf.Stream {
		if m := parseCMap(ctx, tu); m != nil {
			for c := range 256 {
				if s, ok := m.lookup(uint32(c), 1); ok && usefulText(s) {
					f.text[c] = s
				}
			}
		}
	}
}

// usefulText reports whether a ToUnicode target is worth using (some files
// map every glyph to U+0000 or to control characters).
func usefulText(s string) bool {
	for _, r := range s {
		if r >= ' ' && r != utf8.RuneError {
			return true
		}
	}
	return false
}

func readSimpleWidths(f *pdfFont, v pdf.Value, base string, scale float64) {
	first := int(v.Key("FirstChar").Int64())
	ws := v.Key("Widths")
	n := ws.Len()
	if n == 0 {
		std := stdWidths(base)
		f.dw = 0.5
		for c := range 256 {
			if w := std(byte(c)); w > 0 {
				f.width[c], f.hasWidth[c] = w, true
			}
		}
		return
	}
	if mw := v.Key("FontDescriptor").Key("MissingWidth"); mw.Kind() == pdf.Integer || mw.Kind() == pdf.Real {
		f.dw = mw.Float64() * scale
	}
	if f.dw == 0 {
		f.dw = 0.5 // a zero default would stack unknown glyphs
	}
	for i := 0; i < n && first+i < 256; i++ {
		if first+i < 0 {
			continue
		}
		f.width[first+i] = ws.Index(i).Float64() * scale
		f.hasWidth[first+i] = true
	}
}

func readSimpleEncoding(f *pdfFont, v pdf.Value) {
	enc := v.Key("Encoding")
	baseName := enc.Name()
	if enc.Kind() == pdf.Dict {
		baseName = enc.Key("BaseEncoding").Name()
	}
	table := baseEncoding(baseName)
	for c := range 256 {
		f.text[c] = table[c]
	}
	if enc.Kind() != pdf.Dict {
		return
	}
	diffs := enc.Key("Differences")
	libEnc := (&pdf.Font{V: v}).Encoder()
	code := -1
	for i := 0; i < diffs.Len() && i < 1024; i++ {
		d := diffs.Index(i)
		switch d.Kind() {
		case pdf.Integer:
			code = int(d.Int64())
		case pdf.Name:
			if code >= 0 && code < 256 {
				if s := glyphText(d.Name(), libEnc, byte(code)); s != "" {
					f.text[code] = s
				}
			}
			code++
		}
	}
}

// glyphText resolves a glyph name from a Differences array.
func glyphText(name string, libEnc pdf.TextEncoding, code byte) string {
	if s := libEnc.Decode(string([]byte{code})); s != string(rune(code)) && usefulText(s) {
		return s
	}
	return glyphNameText(name)
}

// glyphNameText resolves glyph names the library's list does not know:
// uniXXXX, uXXXX[XX], ligatures and suffixed names such as "a.sc".
func glyphNameText(name string) string {
	if i := strings.IndexByte(name, '.'); i > 0 {
		name = name[:i]
	}
	if strings.Contains(name, "_") { // ligature of components: f_f_i
		var b strings.Builder
		for _, part := range strings.Split(name, "_") {
			b.WriteString(glyphNameText(part))
		}
		return b.String()
	}
	switch {
	case len(name) == 1:
		return name
	case strings.HasPrefix(name, "uni") && len(name) >= 7:
		var b strings.Builder
		for i := 3; i+4 <= len(name); i += 4 {
			if r, err := strconv.ParseUint(name[i:i+4], 16, 32); err == nil {
				b.WriteString(string(utf16.Decode([]uint16{uint16(r)})))
			}
		}
		return b.String()
	case name[0] == 'u' && len(name) >= 5 && len(name) <= 7:
		if r, err := strconv.ParseUint(name[1:], 16, 32); err == nil && utf8.ValidRune(rune(r)) {
			return string(rune(r))
		}
	}
	return ligatureNames[name]
}

var ligatureNames = map[string]string{
	"ff": "ff", "fi": "fi", "fl": "fl", "ffi": "ffi", "ffl": "ffl",
	"quoteright": "’", "quoteleft": "‘", "endash": "–", "emdash": "—",
	"bullet": "•", "hyphen": "-", "space": " ", "period": ".", "comma": ",",
}

// baseEncoding returns the text of each code in a named base encoding.
func baseEncoding(name string) *[256]string {
	var t [256]string
	var cm *charmap.Charmap
	switch name {
	case "WinAnsiEncoding":
		cm = charmap.Windows1252
	case "MacRomanEncoding":
		cm = charmap.Macintosh
	}
	for c := range 256 {
		switch {
		case cm != nil && c >= 0x80:
			t[c] = string(cm.DecodeByte(byte(c)))
		case cm == nil && c >= 0x80:
			if s, ok := standardHigh[byte(c)]; ok {
				t[c] = s
			} else {
				t[c] = string(rune(c))
			}
		default:
			t[c] = string(rune(c))
		}
	}
	if cm == nil && name != "PDFDocEncoding" {
		t['\''], t['`'] = "’", "‘" // StandardEncoding
	}
	return &t
}

// standardHigh holds the StandardEncoding codes above 0x7F that differ from
// Latin-1 and matter for text.
var standardHigh = map[byte]string{
	0xA4: "⁄", 0xA9: "'", 0xAA: "“", 0xAC: "‹", 0xAD: "›", 0xAE: "fi", 0xAF: "fl",
	0xB1: "–", 0xB2: "†", 0xB3: "‡", 0xB4: "·", 0xB6: "¶", 0xB7: "•", 0xB8: "‚",
	0xB9: "„", 0xBA: "”", 0xBB: "»", 0xBC: "…", 0xBD: "‰", 0xD0: "—", 0xE1: "Æ",
	0xE8: "Ł", 0xE9: "Ø", 0xEA: "Œ", 0xF1: "æ", 0xF5: "ı", 0xF8: "ł", 0xF9: "ø",
	0xFA: "œ", 0xFB: "ß",
}
