package ingest

import (
	"context"
	"io"
	"sort"
	"unicode/utf16"

	"github.com/ledongthuc/pdf"
)

// CMaps: the ToUnicode maps of fonts and the code spaces of composite
// fonts' encodings, read with docent's own content parser so that their
// size is bounded and malformed maps degrade instead of failing.

const (
	maxCMapBytes   = 4 << 20 // decompressed bytes read from one CMap
	maxCMapArgs    = 1 << 12 // operands per block (a block has up to 100 entries)
	maxCMapEntries = 1 << 17 // bfchar entries kept
)

// codeRange is one code space range: codes of n bytes from lo to hi, each
// byte within the corresponding bytes of lo and hi.
type codeRange struct {
	lo, hi string
	n      int
}

func (r codeRange) contains(code string) bool {
	for i := 0; i < r.n; i++ {
		if code[i] < r.lo[i] || code[i] > r.hi[i] {
			return false
		}
	}
	return true
}

// bfRange maps codes lo..hi to consecutive Unicode strings starting at dst,
// or to the strings of arr.
type bfRange struct {
	lo, hi uint32
	n      int
	dst    []uint16
	arr    []string
}

// unicodeMap is a parsed CMap.
type unicodeMap struct {
	space  []codeRange
	chars  map[uint64]string // key: code | len<<32
	ranges []bfRange         // sorted by lo
}

// lookup returns the text of an n-byte code.
func (m *unicodeMap) lookup(code uint32, n int) (string, bool) {
	if s, ok := m.chars[uint64(code)|uint64(n)<<32]; ok {
		return s, true
	}
	// Ranges rarely overlap: look at the few that start at or before code.
	last := sort.Search(len(m.ranges), func(i int) bool { return m.ranges[i].lo > code }) - 1
	for i := last; i >= 0 && i > last-8; i-- {
		r := m.ranges[i]
		if r.n != n || code > r.hi {
			continue
		}
		off := code - r.lo
		if r.arr != nil {
			if int(off) < len(r.arr) {
				return r.arr[off], true
			}
			return "", false
		}
		if len(r.dst) == 0 {
			return "", false
		}
		u := append([]uint16(nil), r.dst...)
		u[len(u)-1] += uint16(off)
		return string(utf16.Decode(u)), true
	}
	return "", false
}

// parseCMap reads a CMap stream; it returns nil when nothing usable is in it.
func parseCMap(ctx context.Context, v pdf.Value) (m *unicodeMap) {
	defer func() {
		if p := recover(); p != nil {
			reportPanic(ctx, p)
			m = nil
		}
	}()
	rc := v.Reader()
	defer rc.Close()
	p := newContentParser(io.LimitReader(rc, maxCMapBytes), maxCMapArgs)
	m = &unicodeMap{chars: map[uint64]string{}}
	for {
		op, args, ok := p.next()
		if !ok {
			break
		}
		switch op {
		case "endcodespacerange":
			for i := 0; i+1 < len(args); i += 2 {
				lo, hi := args[i].str, args[i+1].str
				if n := len(lo); n >= 1 && n <= 4 && len(hi) == n {
					m.space = append(m.space, codeRange{lo, hi, n})
				}
			}
		case "endbfchar":
			for i := 0; i+1 < len(args) && len(m.chars) < maxCMapEntries; i += 2 {
				src := args[i].str
				if n := len(src); n >= 1 && n <= 4 {
					m.chars[uint64(codeOf(src))|uint64(n)<<32] = cmapTarget(args[i+1])
				}
			}
		case "endbfrange":
			for i := 0; i+2 < len(args) && len(m.ranges) < maxCMapEntries; i += 3 {
				m.addRange(args[i].str, args[i+1].str, args[i+2])
			}
		}
	}
	sort.Slice(m.space, func(i, j int) bool { return m.space[i].n < m.space[j].n })
	sort.Slice(m.ranges, func(i, j int) bool { return m.ranges[i].lo < m.ranges[j].lo })
	if len(m.space) == 0 && len(m.chars) == 0 && len(m.ranges) == 0 {
		return nil
	}
	return m
}

func (m *unicodeMap) addRange(lo, hi string, dst object) {
	n := len(lo)
	if n < 1 || n > 4 || len(hi) != n {
		return
	}
	r := bfRange{lo: codeOf(lo), hi: codeOf(hi), n: n}
	if r.hi < r.lo || r.hi-r.lo > maxCMapEntries {
		return
	}
	switch dst.kind {
	case objString:
		r.dst = utf16Units(dst.str)
	case objArray:
		for _, o := range dst.arr {
			r.arr = append(r.arr, cmapTarget(o))
		}
	default:
		return
	}
	m.ranges = append(m.ranges, r)
}

func codeOf(s string) uint32 {
	var c uint32
	for i := 0; i < len(s); i++ {
		c = c<<8 | uint32(s[i])
	}
	return c
}

// cmapTarget decodes a bfchar destination: UTF-16BE bytes or a glyph name.
func cmapTarget(o object) string {
	if o.kind == objName {
		return glyphNameText(o.str)
	}
	return string(utf16.Decode(utf16Units(o.str)))
}

func utf16Units(s string) []uint16 {
	if len(s) == 1 {
		return []uint16{uint16(s[0])}
	}
	u := make([]uint16, 0, len(s)/2)
	for i := 0; i+1 < len(s); i += 2 {
		u = append(u, uint16(s[i])<<8|uint16(s[i+1]))
	}
	return u
}
