package ingest

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize cleans extracted text for indexing:
//
//   - invalid UTF-8 is replaced by U+FFFD and the text is put in NFC;
//   - control characters are dropped, except '\n', '\t' and '\f' (page
//     breaks); "\r\n" and '\r' become '\n'; the byte order mark and soft
//     hyphens are dropped; typographic ligatures (U+FB00–FB06) are spelled
//     out;
//   - runs of spaces (any Unicode space separator except the ideographic
//     space U+3000, which Chinese text uses as indentation) collapse to one
//     space, or to one tab when the run holds a tab; lines lose leading and
//     trailing spaces;
//   - a word hyphenated across a line break is joined ("infor-\nmation"
//     becomes "information") when the next line starts with a lower-case
//     letter;
//   - paragraph breaks (blank lines) are kept, longer runs of blank lines
//     become one; the result has no leading or trailing white space.
//
// CJK text passes through unchanged.
func Normalize(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = norm.NFC.String(s)
	n := normalizer{b: make([]byte, 0, len(s))}
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		i += size
		if r == '\r' && i < len(s) && s[i] == '\n' {
			continue
		}
		n.add(r)
	}
	return string(n.b)
}

// normalizer holds the state of Normalize between runes.
type normalizer struct {
	b        []byte
	space    byte // pending horizontal space: 0, ' ' or '\t'
	newlines int  // pending line breaks
	soft     bool // a soft hyphen came right before the pending line break
	afterFF  bool // the last thing written is a form feed
}

func (n *normalizer) add(r rune) {
	switch {
	case r == ' ' || r == '\t' || r != 0x3000 && unicode.Is(unicode.Zs, r):
		if r == '\t' {
			n.space = '\t'
		} else if n.space == 0 {
			n.space = ' '
		}
	case r == '\n' || r == '\r' || r == 0x85 || r == 0x2028:
		n.newlines++
		n.space = 0
	case r == 0x2029:
		n.newlines += 2
		n.space = 0
	case r == '\f':
		if len(n.b) > 0 && !n.afterFF {
			n.b = append(n.b, '\f')
			n.afterFF = true
		}
		n.space, n.newlines, n.soft = 0, 0, false
	case r == 0xAD:
		n.soft = true
	case r == 0xFEFF || unicode.IsControl(r):
		// dropped
	default:
		n.printable(r)
	}
}

func (n *normalizer) printable(r rune) {
	switch {
	case len(n.b) == 0 || n.afterFF:
	case n.newlines == 1 && (n.soft || unicode.IsLower(r) && endsWithHyphen(n.b)):
		if !n.soft {
			_, size := utf8.DecodeLastRune(n.b)
			n.b = n.b[:len(n.b)-size]
		}
	case n.newlines > 0:
		n.b = append(n.b, '\n')
		if n.newlines > 1 {
			n.b = append(n.b, '\n')
		}
	case n.space != 0:
		n.b = append(n.b, n.space)
	}
	n.space, n.newlines, n.soft, n.afterFF = 0, 0, false, false
	if r >= 0xFB00 && r <= 0xFB06 {
		n.b = append(n.b, ligatures[r-0xFB00]...)
		return
	}
	n.b = utf8.AppendRune(n.b, r)
}

var ligatures = [...]string{"ff", "fi", "fl", "ffi", "ffl", "st", "st"}

// endsWithHyphen reports whether b ends with a letter and a hyphen.
func endsWithHyphen(b []byte) bool {
	h, size := utf8.DecodeLastRune(b)
	if h != '-' && h != 0x2010 {
		return false
	}
	l, _ := utf8.DecodeLastRune(b[:len(b)-size])
	return unicode.IsLetter(l)
}
