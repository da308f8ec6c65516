package ingest

import (
	"context"
	"io"
	"math"

	"github.com/ledongthuc/pdf"
)

// The content-stream interpreter: it follows the graphics and text state of
// a page (PDF 32000-1:2008, §8.4 and §9.3–9.4) far enough to place every
// glyph on the page, and hands the glyphs to the layout step.

// matrix is an affine transform [a b c d e f]; points are row vectors, so
// m.mul(n) applies m first, then n.
type matrix [6]float64

var identity = matrix{1, 0, 0, 1, 0, 0}

func (m matrix) mul(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

func matrixOf(args []object) matrix {
	var m matrix
	for i := range m {
		m[i] = args[i].num
	}
	return m
}

// glyph is one shown character in device space.
type glyph struct {
	x, y   float64 // origin of the glyph on the baseline
	dx, dy float64 // unit vector along the baseline
	w      float64 // advance width
	size   float64 // font size
	text   string
}

// Caps on the work done for one page.
const (
	maxGlyphsPerPage = 1 << 20
	maxFormDepth     = 12
	maxFormsPerPage  = 1 << 12
	maxStateDepth    = 256
	maxPageImages    = 64
)

// gstate is the part of the graphics state that places text.
type gstate struct {
	ctm                    matrix
	font                   *pdfFont
	fs, tc, tw, th, tl, ts float64
}

// interp interprets the content streams of one page.
type interp struct {
	ctx    context.Context
	fonts  map[string]*pdfFont // document-wide, keyed by font dictionary
	glyphs []glyph
	budget int64 // decompressed bytes left for this page
	forms  int
	active map[string]bool // forms being run (cycle guard)
	images []pdf.Value     // image XObjects painted (the first maxPageImages)
	inline int             // inline images painted
	err    error           // ErrTooLarge or the context's error
}

// capReader counts the bytes read against the interpreter's budget.
type capReader struct {
	r  io.Reader
	in *interp
}

func (c capReader) Read(p []byte) (int, error) {
	if c.in.budget <= 0 {
		c.in.err = ErrTooLarge
		return 0, ErrTooLarge
	}
	if int64(len(p)) > c.in.budget+1 {
		p = p[:c.in.budget+1]
	}
	n, err := c.r.Read(p)
	c.in.budget -= int64(n)
	return n, err
}

// streamReader opens a content stream, or an array of them, as one reader.
func streamReader(v pdf.Value) io.Reader {
	if v.Kind() == pdf.Stream {
		return v.Reader()
	}
	var rs []io.Reader
	for i := 0; i < v.Len() && i < 4096; i++ {
		if s := v.Index(i); s.Kind() == pdf.Stream {
			rs = append(rs, s.Reader(), newlineReader())
		}
	}
	return io.MultiReader(rs...)
}

func newlineReader() io.Reader { return &onceReader{b: '\n'} }

type onceReader struct {
	b    byte
	done bool
}

func (o *onceReader) Read(p []byte) (int, error) {
	if o.done || len(p) == 0 {
		return 0, io.EOF
	}
	o.done, p[0] = true, o.b
	return 1, nil
}

// run interprets one content stream with its resources.
func (in *interp) run(r io.Reader, res pdf.Value, g gstate, depth int) {
	p := newContentParser(capReader{r, in}, maxOperands)
	fonts := map[string]*pdfFont{}
	var stack []gstate
	tm, tlm := identity, identity
	for n := 0; in.err == nil; n++ {
		if n&1023 == 0 && in.ctx.Err() != nil {
			in.err = in.ctx.Err()
			return
		}
		op, args, ok := p.next()
		if !ok {
			return
		}
		switch op {
		case "q":
			if len(stack) < maxStateDepth {
				stack = append(stack, g)
			}
		case "Q":
			if len(stack) > 0 {
				g, stack = stack[len(stack)-1], stack[:len(stack)-1]
			}
		case "cm":
			if numArgs(args, 6) {
				g.ctm = matrixOf(args).mul(g.ctm)
			}
		case "BT":
			tm, tlm = identity, identity
		case "Tf":
			if len(args) == 2 {
				g.font = in.font(res, args[0].str, fonts)
				g.fs = args[1].num
			}
		case "Tc", "Tw", "Tz", "TL", "Ts":
			if numArgs(args, 1) {
				setTextParam(&g, op, args[0].num)
			}
		case "Td", "TD":
			if numArgs(args, 2) {
				if op == "TD" {
					g.tl = -args[1].num
				}
				tlm = matrix{1, 0, 0, 1, args[0].num, args[1].num}.mul(tlm)
				tm = tlm
			}
		case "Tm":
			if numArgs(args, 6) {
				tm = matrixOf(args)
				tlm = tm
			}
		case "T*":
			tlm = matrix{1, 0, 0, 1, 0, -g.tl}.mul(tlm)
			tm = tlm
		case "Tj", "'", "\"":
			tm, tlm = in.showOp(op, args, &g, tm, tlm)
		case "TJ":
			if len(args) == 1 {
				tm = in.showArray(args[0].arr, g, tm)
			}
		case "Do":
			if len(args) == 1 && depth < maxFormDepth {
				in.form(res, args[0].str, g, depth)
			}
		case "BI":
			in.inline++
		}
	}
}

func numArgs(args []object, n int) bool {
	if len(args) != n {
		return false
	}
	for _, a := range args {
		if a.kind != objNum {
			return false
		}
	}
	return true
}

func setTextParam(g *gstate, op string, v float64) {
	switch op {
	case "Tc":
		g.tc = v
	case "Tw":
		g.tw = v
	case "Tz":
		g.th = v / 100
	case "TL":
		g.tl = v
	case "Ts":
		g.ts = v
	}
}

// showOp runs Tj, ' and ".
func (in *interp) showOp(op string, args []object, g *gstate, tm, tlm matrix) (matrix, matrix) {
	if len(args) == 0 {
		return tm, tlm
	}
	if op == "\"" && len(args) == 3 {
		g.tw, g.tc = args[0].num, args[1].num
	}
	if op != "Tj" {
		tlm = matrix{1, 0, 0, 1, 0, -g.tl}.mul(tlm)
		tm = tlm
	}
	return in.show(args[len(args)-1].str, *g, tm), tlm
}

// showArray runs TJ: strings and position adjustments.
func (in *interp) showArray(arr []object, g gstate, tm matrix) matrix {
	for _, o := range arr {
		switch o.kind {
		case objString:
			tm = in.show(o.str, g, tm)
		case objNum:
			tx := -o.num / 1000 * g.fs * g.th
			tm[4], tm[5] = tx*tm[0]+tm[4], tx*tm[1]+tm[5]
		}
	}
	return tm
}

// show places the glyphs of one string and returns the advanced text matrix.
func (in *interp) show(raw string, g gstate, tm matrix) matrix {
	f := g.font
	if f == nil {
		f = fallbackFont()
	}
	m := tm.mul(g.ctm)
	dx, dy := m[0], m[1]
	scale := math.Hypot(dx, dy)
	if scale == 0 || math.IsNaN(scale) || math.IsInf(scale, 0) {
		return tm
	}
	dx, dy = dx/scale, dy/scale
	size := math.Abs(g.fs) * math.Hypot(m[2], m[3])
	f.decode(raw, func(c glyphCode) {
		trm := matrix{g.fs * g.th, 0, 0, g.fs, 0, g.ts}.mul(tm).mul(g.ctm)
		if c.text != "" && len(in.glyphs) < maxGlyphsPerPage {
			in.glyphs = append(in.glyphs, glyph{
				x: trm[4], y: trm[5], dx: dx, dy: dy,
				w: c.width * math.Abs(g.fs*g.th) * scale, size: size, text: c.text,
			})
		}
		tx := c.width*g.fs + g.tc
		if c.single {
			tx += g.tw
		}
		tx *= g.th
		tm[4], tm[5] = tx*tm[0]+tm[4], tx*tm[1]+tm[5]
	})
	return tm
}

// font returns the font named in a Tf operator.
func (in *interp) font(res pdf.Value, name string, local map[string]*pdfFont) *pdfFont {
	if f, ok := local[name]; ok {
		return f
	}
	v := res.Key("Font").Key(name)
	key := v.String()
	f, ok := in.fonts[key]
	if !ok {
		f = loadFont(in.ctx, v)
		in.fonts[key] = f
	}
	local[name] = f
	return f
}

// form runs a Form XObject named in a Do operator.
func (in *interp) form(res pdf.Value, name string, g gstate, depth int) {
	xo := res.Key("XObject").Key(name)
	if xo.Kind() == pdf.Stream && xo.Key("Subtype").Name() == "Image" {
		if len(in.images) < maxPageImages {
			in.images = append(in.images, xo)
		}
		return
	}
	if xo.Kind() != pdf.Stream || xo.Key("Subtype").Name() != "Form" {
		return
	}
	key := xo.String()
	if in.active[key] || in.forms >= maxFormsPerPage {
		return
	}
	in.forms++
	in.active[key] = true
	defer delete(in.active, key)
	if m := xo.Key("Matrix"); m.Len() == 6 {
		var fm matrix
		for i := range fm {
			fm[i] = m.Index(i).Float64()
		}
		g.ctm = fm.mul(g.ctm)
	}
	fres := xo.Key("Resources")
	if fres.IsNull() {
		fres = res
	}
	rc := xo.Reader()
	defer rc.Close()
	in.run(rc, fres, g, depth+1)
}
