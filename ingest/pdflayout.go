package ingest

import (
	"math"
	"sort"
	"strings"
	"unicode"
)

// Page layout: rebuilding words, lines and reading order from glyph
// positions. Many PDFs place words (or single glyphs) with positioning
// operators instead of writing spaces, so the text is rebuilt geometrically:
//
//  1. glyphs are grouped by writing direction (rotated pages and sideways
//     labels read in their own direction) and rotated into a frame where
//     text runs left to right, u along the baseline and v upwards;
//  2. consecutive glyphs on one baseline become runs; a space goes where the
//     gap between glyphs exceeds a fraction of the font size;
//  3. runs are cut into blocks by a recursive XY cut: wide horizontal gaps
//     split bands, vertical gutters split columns (runs that cross a gutter,
//     such as titles spanning columns, split the band above from the one
//     below), so multi-column pages read column by column;
//  4. each block's runs are grouped into lines by baseline and sorted along
//     it; larger vertical gaps become paragraph breaks.

// Layout thresholds, as fractions of the font size.
const (
	spaceGap      = 0.1  // a gap wider than this is a space
	overlapGap    = 0.2  // glyphs overlapping more than this start a new word
	runBreakGap   = 0.8  // a gap wider than this starts a new run
	lineTolerance = 0.45 // baselines closer than this share a line
	bandGap       = 1.5  // a horizontal gap that splits bands
	gutterGap     = 1.0  // a vertical gap that may be a column gutter
	columnWidth   = 8.0  // each side of a gutter is at least this wide
	paraGap       = 1.7  // a baseline distance that starts a paragraph
	maxCutDepth   = 24
)

// run is a piece of one line: glyphs on a baseline without large gaps.
type run struct {
	u0, u1 float64 // extent along the baseline
	v      float64 // baseline position, upwards
	size   float64
	text   strings.Builder
	space  bool    // a space glyph was seen after the last glyph
	end    float64 // end of the last glyph or space glyph
}

// layoutPage turns a page's glyphs into text.
func layoutPage(glyphs []glyph) string {
	groups := groupByDirection(glyphs)
	var parts []string
	for _, g := range groups {
		runs := buildRuns(g.glyphs, g.ux, g.uy)
		var b strings.Builder
		xyCut(runs, 0, &b)
		if s := strings.TrimSpace(b.String()); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "\n\n")
}

type dirGroup struct {
	ux, uy float64 // unit baseline direction
	glyphs []glyph
}

// groupByDirection splits glyphs by baseline direction, quantised to the
// four axis directions, the largest group first.
func groupByDirection(glyphs []glyph) []*dirGroup {
	var groups [4]*dirGroup
	dirs := [4][2]float64{{1, 0}, {0, 1}, {-1, 0}, {0, -1}}
	for _, g := range glyphs {
		q := 0
		switch {
		case math.Abs(g.dx) >= math.Abs(g.dy) && g.dx < 0:
			q = 2
		case math.Abs(g.dx) < math.Abs(g.dy) && g.dy > 0:
			q = 1
		case math.Abs(g.dx) < math.Abs(g.dy):
			q = 3
		}
		if groups[q] == nil {
			groups[q] = &dirGroup{ux: dirs[q][0], uy: dirs[q][1]}
		}
		groups[q].glyphs = append(groups[q].glyphs, g)
	}
	var out []*dirGroup
	for _, g := range groups {
		if g != nil {
			out = append(out, g)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].glyphs) > len(out[j].glyphs) })
	return out
}

// buildRuns joins glyphs, in drawing order, into runs.
func buildRuns(glyphs []glyph, ux, uy float64) []*run {
	var runs []*run
	var cur *run
	var recent [4]glyph // for dropping overprinted (fake bold) glyphs
	for i, g := range glyphs {
		u := g.x*ux + g.y*uy
		v := -g.x*uy + g.y*ux
		size := g.size
		if size <= 0 || math.IsNaN(size) {
			size = 1
		}
		if isBlank(g.text) {
			if cur != nil && math.Abs(v-cur.v) < 0.3*size {
				cur.space = true
				cur.end = math.Max(cur.end, u+g.w)
			}
			continue
		}
		rg := glyph{x: u, y: v, text: g.text}
		if overprinted(rg, recent[:min(i, len(recent))], size) {
			continue
		}
		recent[i%len(recent)] = rg
		gap := u - cur.endOr(u)
		if cur != nil && cur.space {
			gap = math.Min(gap, u-cur.u1) // trailing spaces do not break a run
		}
		if cur != nil && math.Abs(v-cur.v) < 0.3*size && gap > -overlapGap*size && gap < runBreakGap*size {
			if cur.space || gap > spaceGap*math.Min(size, cur.size) {
				cur.text.WriteByte(' ')
			}
			cur.text.WriteString(g.text)
			cur.u1 = math.Max(cur.u1, u+g.w)
			cur.end, cur.space = cur.u1, false
			continue
		}
		cur = &run{u0: u, u1: u + g.w, end: u + g.w, v: v, size: size}
		cur.text.WriteString(g.text)
		runs = append(runs, cur)
	}
	return runs
}

func (r *run) endOr(u float64) float64 {
	if r == nil {
		return u
	}
	return r.end
}

func isBlank(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// overprinted reports whether g repeats one of the recent glyphs at almost
// the same place, as PDFs do to simulate bold type.
func overprinted(g glyph, recent []glyph, size float64) bool {
	for _, r := range recent {
		if r.text == g.text && math.Abs(r.x-g.x) < 0.1*size && math.Abs(r.y-g.y) < 0.1*size {
			return true
		}
	}
	return false
}

// medianSize returns the median font size of runs.
func medianSize(runs []*run) float64 {
	s := make([]float64, len(runs))
	for i, r := range runs {
		s[i] = r.size
	}
	sort.Float64s(s)
	return s[len(s)/2]
}

// xyCut writes runs in reading order, cutting them into bands and columns.
func xyCut(runs []*run, depth int, b *strings.Builder) {
	if len(runs) == 0 {
		return
	}
	if depth < maxCutDepth && len(runs) > 1 {
		size := medianSize(runs)
		if bands := cutBands(runs, size); len(bands) > 1 {
			for _, band := range bands {
				xyCut(band, depth+1, b)
			}
			return
		}
		if parts := cutColumns(runs, size); len(parts) > 1 {
			for _, p := range parts {
				xyCut(p, depth+1, b)
			}
			return
		}
	}
	writeLines(runs, b)
}

// cutBands splits runs at horizontal gaps wider than bandGap font sizes.
func cutBands(runs []*run, size float64) [][]*run {
	sorted := append([]*run(nil), runs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].v > sorted[j].v })
	var bands [][]*run
	start := 0
	bottom := sorted[0].v - 0.25*sorted[0].size
	for i := 1; i < len(sorted); i++ {
		r := sorted[i]
		top := r.v + 0.75*r.size
		if bottom-top > bandGap*size {
			bands = append(bands, sorted[start:i])
			start = i
		}
		bottom = math.Min(bottom, r.v-0.25*r.size)
	}
	return append(bands, sorted[start:])
}

// cutColumns looks for a vertical gutter with enough text on both sides.
// Runs crossing the gutter (titles, full-width lines) split the band above
// from the band below; each band reads its left side, then its right side.
func cutColumns(runs []*run, size float64) [][]*run {
	c, ok := findGutter(runs, size)
	if !ok {
		return nil
	}
	sorted := append([]*run(nil), runs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].v > sorted[j].v })
	var parts [][]*run
	var left, right, span []*run
	flush := func() {
		for _, p := range [][]*run{left, right, span} {
			if len(p) > 0 {
				parts = append(parts, p)
			}
		}
		left, right, span = nil, nil, nil
	}
	for _, r := range sorted {
		switch side(r, c) {
		case -1:
			if len(span) > 0 {
				flush()
			}
			left = append(left, r)
		case 1:
			if len(span) > 0 {
				flush()
			}
			right = append(right, r)
		default:
			if len(left)+len(right) > 0 {
				flush()
			}
			span = append(span, r)
		}
	}
	flush()
	return parts
}

// side tells whether a run is left of u = c (-1), right of it (1) or
// crosses it (0).
func side(r *run, c float64) int {
	switch {
	case r.u1 <= c:
		return -1
	case r.u0 >= c:
		return 1
	}
	return 0
}

// findGutter returns the middle of the best vertical gap: one crossed by
// few runs (fewest first, then widest) with text on both sides that looks
// like columns of prose.
func findGutter(runs []*run, size float64) (c float64, ok bool) {
	type event struct {
		u float64
		d int
	}
	evs := make([]event, 0, 2*len(runs))
	for _, r := range runs {
		evs = append(evs, event{r.u0, 1}, event{r.u1, -1})
	}
	sort.Slice(evs, func(i, j int) bool {
		if evs[i].u != evs[j].u {
			return evs[i].u < evs[j].u
		}
		return evs[i].d < evs[j].d
	})
	allowed := max(1, len(runs)/50)
	bestCross, bestWidth := allowed+1, 0.0
	cover, open := 0, math.NaN()
	for i, e := range evs {
		cover += e.d
		if cover <= allowed && math.IsNaN(open) && i < len(evs)-1 {
			open = e.u
		}
		if cover > allowed && !math.IsNaN(open) {
			w, mid := e.u-open, (open+e.u)/2
			if w >= gutterGap*size {
				if cross, valid := validGutter(runs, mid, size, allowed); valid &&
					(cross < bestCross || cross == bestCross && w > bestWidth) {
					bestCross, bestWidth, c, ok = cross, w, mid, true
				}
			}
			open = math.NaN()
		}
	}
	return c, ok
}

// validGutter accepts a gutter at u = c between columns of prose: at least
// three runs on each side, few crossing it, and runs on each side that are
// typically columnWidth font sizes long (table cells are shorter, so tables
// keep reading row by row). It returns the number of crossing runs.
func validGutter(runs []*run, c, size float64, allowed int) (int, bool) {
	var left, right []float64
	crossing := 0
	for _, r := range runs {
		switch side(r, c) {
		case -1:
			left = append(left, r.u1-r.u0)
		case 1:
			right = append(right, r.u1-r.u0)
		default:
			crossing++
		}
	}
	return crossing, len(left) >= 3 && len(right) >= 3 && crossing <= allowed &&
		median(left) >= columnWidth*size && median(right) >= columnWidth*size
}

func median(s []float64) float64 {
	sort.Float64s(s)
	return s[len(s)/2]
}

// writeLines groups runs into lines and writes them, followed by a blank
// line.
func writeLines(runs []*run, b *strings.Builder) {
	sorted := append([]*run(nil), runs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].v > sorted[j].v })
	var lines [][]*run
	for _, r := range sorted {
		joined := false
		for k := len(lines) - 1; k >= 0 && k >= len(lines)-3; k-- {
			l := lines[k][0]
			if math.Abs(l.v-r.v) <= lineTolerance*math.Max(l.size, r.size) {
				lines[k] = append(lines[k], r)
				joined = true
				break
			}
		}
		if !joined {
			lines = append(lines, []*run{r})
		}
	}
	prevV, prevSize := math.NaN(), 0.0
	for _, l := range lines {
		sort.SliceStable(l, func(i, j int) bool { return l[i].u0 < l[j].u0 })
		if !math.IsNaN(prevV) {
			if prevV-l[0].v > paraGap*math.Max(prevSize, l[0].size) {
				b.WriteByte('\n')
			}
		}
		prevV, prevSize = l[0].v, l[0].size
		for i, r := range l {
			if i > 0 && needSpace(l[i-1], r) {
				b.WriteByte(' ')
			}
			b.WriteString(r.text.String())
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
}

// needSpace reports whether two runs of a line are separate words.
func needSpace(a, b *run) bool {
	gap := b.u0 - a.u1
	return a.space || gap > spaceGap*math.Min(a.size, b.size) || gap < -overlapGap*b.size
}
