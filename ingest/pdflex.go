package ingest

import (
	"bufio"
	"io"
	"strconv"
)

// The PDF content-stream reader. docent reads page content itself instead of
// through the PDF library's PostScript interpreter because it needs per-glyph
// positions, inline images skipped, Form XObjects followed, and every input
// bounded: strings, arrays and operand stacks have caps, and the bytes come
// through a limited reader so a decompression bomb stops at the limit.

// Caps on one content stream's syntax.
const (
	maxOperands    = 64      // operands kept per operator
	maxArrayLen    = 1 << 14 // elements kept per array
	maxArrayDepth  = 16      // nested arrays
	maxStringBytes = 1 << 20 // bytes kept per string
	maxTokenBytes  = 256     // bytes kept per name, number or keyword
)

// objKind is the kind of a content-stream operand.
type objKind uint8

const (
	objNull objKind = iota
	objNum
	objName
	objString
	objArray
	objDict // contents are skipped
	objBool
)

// object is one operand of a content-stream operator.
type object struct {
	kind objKind
	num  float64
	str  string // name (without '/'), or string bytes
	arr  []object
}

// contentParser splits a content stream into operators with their operands.
type contentParser struct {
	r       *bufio.Reader
	args    []object
	tok     []byte // scratch
	maxArgs int
}

func newContentParser(r io.Reader, maxArgs int) *contentParser {
	return &contentParser{r: bufio.NewReaderSize(r, 32<<10), maxArgs: maxArgs}
}

func isPDFSpace(c byte) bool {
	switch c {
	case ' ', '\n', '\r', '\t', '\f', 0:
		return true
	}
	return false
}

func isPDFDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

// next returns the next operator and its operands (valid until the next
// call). ok is false at the end of the stream or on a read error.
func (p *contentParser) next() (op string, args []object, ok bool) {
	p.args = p.args[:0]
	for {
		o, kw, ok := p.value(0)
		if !ok {
			return "", nil, false
		}
		if kw == "" {
			p.push(o)
			continue
		}
		if kw == "BI" { // reported without its data, so pages with images are known
			p.skipInlineImage()
			p.args = p.args[:0]
			return kw, nil, true
		}
		return kw, p.args, true
	}
}

func (p *contentParser) push(o object) {
	if len(p.args) >= p.maxArgs {
		copy(p.args, p.args[1:])
		p.args = p.args[:p.maxArgs-1]
	}
	p.args = append(p.args, o)
}

// value reads one operand, or returns the keyword that ends an operand list.
func (p *contentParser) value(depth int) (o object, kw string, ok bool) {
	for {
		c, err := p.skipSpace()
		if err != nil {
			return o, "", false
		}
		switch c {
		case '/':
			return object{kind: objName, str: p.name()}, "", true
		case '(':
			return object{kind: objString, str: p.literal()}, "", true
		case '<':
			if b, _ := p.r.Peek(1); len(b) == 1 && b[0] == '<' {
				p.r.ReadByte()
				p.skipDict(depth)
				return object{kind: objDict}, "", true
			}
			return object{kind: objString, str: p.hex()}, "", true
		case '[':
			return p.array(depth), "", true
		case ']', '>', ')', '{', '}':
			continue // stray delimiter: ignore
		}
		p.r.UnreadByte()
		word := p.word()
		switch {
		case len(word) == 0:
			p.r.ReadByte() // cannot happen, but never loop forever
			continue
		case word[0] == '+' || word[0] == '-' || word[0] == '.' || (word[0] >= '0' && word[0] <= '9'):
			f, _ := strconv.ParseFloat(string(word), 64)
			return object{kind: objNum, num: f}, "", true
		case string(word) == "true" || string(word) == "false":
			return object{kind: objBool, num: b2f(string(word) == "true")}, "", true
		case string(word) == "null":
			return object{}, "", true
		}
		return o, string(word), true
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// skipSpace skips white space and comments and returns the next byte.
func (p *contentParser) skipSpace() (byte, error) {
	for {
		c, err := p.r.ReadByte()
		if err != nil {
			return 0, err
		}
		if c == '%' {
			for c != '\n' && c != '\r' {
				if c, err = p.r.ReadByte(); err != nil {
					return 0, err
				}
			}
			continue
		}
		if !isPDFSpace(c) {
			return c, nil
		}
	}
}

// word reads a run of regular characters (a number, keyword or name body).
func (p *contentParser) word() []byte {
	p.tok = p.tok[:0]
	for {
		c, err := p.r.ReadByte()
		if err != nil {
			return p.tok
		}
		if isPDFSpace(c) || isPDFDelim(c) {
			p.r.UnreadByte()
			return p.tok
		}
		if len(p.tok) < maxTokenBytes {
			p.tok = append(p.tok, c)
		}
	}
}

func (p *contentParser) name() string {
	w := p.word()
	out := make([]byte, 0, len(w))
	for i := 0; i < len(w); i++ {
		if w[i] == '#' && i+2 < len(w) {
			if v, err := strconv.ParseUint(string(w[i+1:i+3]), 16, 8); err == nil {
				out = append(out, byte(v))
				i += 2
				continue
			}
		}
		out = append(out, w[i])
	}
	return string(out)
}

// literal reads a (string) after its opening parenthesis.
func (p *contentParser) literal() string {
	var out []byte
	depth := 1
	add := func(c byte) {
		if len(out) < maxStringBytes {
			out = append(out, c)
		}
	}
	for {
		c, err := p.r.ReadByte()
		if err != nil {
			return string(out)
		}
		switch c {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return string(out)
			}
		case '\\':
			if c, err = p.r.ReadByte(); err != nil {
				return string(out)
			}
			if e, ok := p.escape(c); ok {
				add(e)
			}
			continue
		}
		add(c)
	}
}

// escape decodes the character after a backslash in a literal string.
func (p *contentParser) escape(c byte) (byte, bool) {
	switch c {
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case '\r':
		if b, _ := p.r.Peek(1); len(b) == 1 && b[0] == '\n' {
			p.r.ReadByte()
		}
		return 0, false
	case '\n':
		return 0, false
	}
	if c < '0' || c > '7' {
		return c, true
	}
	v := int(c - '0')
	for i := 0; i < 2; i++ {
		b, _ := p.r.Peek(1)
		if len(b) == 0 || b[0] < '0' || b[0] > '7' {
			break
		}
		p.r.ReadByte()
		v = v*8 + int(b[0]-'0')
	}
	return byte(v), true
}

// hex reads a <hex string> after its opening bracket.
func (p *contentParser) hex() string {
	var out []byte
	var hi, n int
	for {
		c, err := p.r.ReadByte()
		if err != nil || c == '>' {
			break
		}
		v := unhex(c)
		if v < 0 {
			continue
		}
		if n%2 == 0 {
			hi = v
		} else if len(out) < maxStringBytes {
			out = append(out, byte(hi<<4|v))
		}
		n++
	}
	if n%2 == 1 && len(out) < maxStringBytes {
		out = append(out, byte(hi<<4))
	}
	return string(out)
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// array reads an [array] after its opening bracket. Keywords inside an
// array are dropped; too deep arrays are skipped whole.
func (p *contentParser) array(depth int) object {
	o := object{kind: objArray}
	for {
		c, err := p.skipSpace()
		if err != nil {
			return o
		}
		if c == ']' {
			return o
		}
		p.r.UnreadByte()
		if c == '[' && depth+1 >= maxArrayDepth {
			p.r.ReadByte()
			p.skipNested('[', ']')
			continue
		}
		v, kw, ok := p.value(depth + 1)
		if !ok {
			return o
		}
		if kw == "" && len(o.arr) < maxArrayLen {
			o.arr = append(o.arr, v)
		}
	}
}

// skipDict skips a <<dictionary>> after its opening brackets.
func (p *contentParser) skipDict(depth int) {
	for {
		c, err := p.skipSpace()
		if err != nil {
			return
		}
		if c == '>' {
			if b, _ := p.r.Peek(1); len(b) == 1 && b[0] == '>' {
				p.r.ReadByte()
				return
			}
			continue
		}
		p.r.UnreadByte()
		if depth+1 >= maxArrayDepth {
			if c == '[' || c == '<' {
				p.r.ReadByte()
				close := byte(']')
				if c == '<' {
					close = '>'
				}
				p.skipNested(c, close)
				continue
			}
		}
		if _, _, ok := p.value(depth + 1); !ok {
			return
		}
	}
}

// skipNested skips bytes until the open/close pair balances, ignoring
// string syntax; it only runs on pathologically deep input.
func (p *contentParser) skipNested(open, close byte) {
	for n := 1; n > 0; {
		c, err := p.r.ReadByte()
		if err != nil {
			return
		}
		switch c {
		case open:
			n++
		case close:
			n--
		}
	}
}

// skipInlineImage skips the parameters and binary data of an inline image
// (BI ... ID data EI).
func (p *contentParser) skipInlineImage() {
	for {
		_, kw, ok := p.value(0)
		if !ok {
			return
		}
		if kw == "ID" {
			break
		}
		if kw == "EI" {
			return
		}
	}
	// The data ends at white space, "EI", then white space or a delimiter.
	state := 1 // 1: after white space, 2: after " E", 3: after " EI"
	for {
		c, err := p.r.ReadByte()
		if err != nil {
			return
		}
		switch {
		case state == 3 && (isPDFSpace(c) || isPDFDelim(c)):
			p.r.UnreadByte()
			return
		case state == 1 && c == 'E':
			state = 2
		case state == 2 && c == 'I':
			state = 3
		case isPDFSpace(c):
			state = 1
		default:
			state = 0
		}
	}
}
