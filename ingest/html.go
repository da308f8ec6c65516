package ingest

import (
	"context"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// HTML is read with the streaming tokenizer of golang.org/x/net/html, not
// its tree parser: the tree builder's algorithms are quadratic on some deep
// nestings and walking a deep tree recursively could exhaust the stack. A
// bounded stack of open elements is enough to know what is visible:
//
//   - script, style, noscript, template, svg, math, iframe, object, canvas,
//     select, head content other than <title>, elements with the hidden
//     attribute, and the boilerplate nav and aside are dropped; header and
//     footer are dropped unless inside article, main or section (where
//     they hold the article's own title);
//   - h1–h6 start sections; block elements end lines; table cells are
//     separated by " | ", rows by line breaks; <pre> keeps its white space;
//   - <title> is the Title, else the first h1.

// maxHTMLDepth bounds the stack of open elements; deeper elements are
// still read, but no longer tracked.
const maxHTMLDepth = 512

type openElem struct {
	a     atom.Atom
	drops bool
}

type htmlState struct {
	sb       sectionBuilder
	stack    []openElem
	untacked int // elements open beyond maxHTMLDepth
	hidden   int // open elements whose content is dropped
	content  int // open article/main/section elements
	pre      int
	inTitle  bool
	titled   bool // a <title> was read
	title    strings.Builder
	inHead   int // heading level being read, 0 if none
	head     strings.Builder
	cells    int // cells written in the current table row
	pending  int // line breaks owed before the next text
}

func parseHTML(ctx context.Context, s string) (*Extracted, error) {
	z := html.NewTokenizer(strings.NewReader(s))
	st := &htmlState{}
	for n := 0; ; n++ {
		if n&4095 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		switch z.Next() {
		case html.ErrorToken:
			if st.inHead > 0 { // an unclosed heading
				st.sb.write(st.head.String())
			}
			x := st.sb.extracted()
			if t := strings.Join(strings.Fields(Normalize(st.title.String())), " "); t != "" {
				x.Title = t
			}
			return x, nil
		case html.TextToken:
			st.text(string(z.Text()))
		case html.StartTagToken:
			name, hasAttr := z.TagName()
			st.start(atom.Lookup(name), hasAttr && isHidden(z), false)
		case html.SelfClosingTagToken:
			name, _ := z.TagName()
			st.start(atom.Lookup(name), false, true)
		case html.EndTagToken:
			name, _ := z.TagName()
			st.end(atom.Lookup(name))
		}
	}
}

// isHidden reads the attributes of the current tag.
func isHidden(z *html.Tokenizer) bool {
	for {
		k, v, more := z.TagAttr()
		key := string(k)
		if key == "hidden" || key == "aria-hidden" && string(v) == "true" ||
			key == "style" && strings.Contains(strings.ReplaceAll(strings.ToLower(string(v)), " ", ""), "display:none") {
			return true
		}
		if !more {
			return false
		}
	}
}

var dropped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Svg: true, atom.Math: true, atom.Iframe: true, atom.Object: true,
	atom.Canvas: true, atom.Select: true, atom.Nav: true, atom.Aside: true,
	atom.Head: true, atom.Button: true,
}

var void = map[atom.Atom]bool{
	atom.Area: true, atom.Base: true, atom.Br: true, atom.Col: true, atom.Embed: true,
	atom.Hr: true, atom.Img: true, atom.Input: true, atom.Link: true, atom.Meta: true,
	atom.Source: true, atom.Track: true, atom.Wbr: true,
}

// breaks holds the line breaks around block elements: 2 for a paragraph
// break, 1 for a line break.
var breaks = map[atom.Atom]int{
	atom.P: 2, atom.Section: 2, atom.Article: 2, atom.Main: 2, atom.Ul: 2, atom.Ol: 2,
	atom.Dl: 2, atom.Table: 2, atom.Blockquote: 2, atom.Pre: 2, atom.Figure: 2,
	atom.Form: 2, atom.Address: 2, atom.Header: 2, atom.Footer: 2, atom.Fieldset: 2,
	atom.Details: 2, atom.Hr: 2, atom.Body: 2, atom.Html: 2,
	atom.Div: 1, atom.Li: 1, atom.Dt: 1, atom.Dd: 1, atom.Figcaption: 1, atom.Summary: 1,
	atom.Caption: 1, atom.Br: 1, atom.Tbody: 1, atom.Thead: 1, atom.Tfoot: 1, atom.Tr: 1,
}

func headingLevel(a atom.Atom) int {
	switch a {
	case atom.H1:
		return 1
	case atom.H2:
		return 2
	case atom.H3:
		return 3
	case atom.H4:
		return 4
	case atom.H5:
		return 5
	case atom.H6:
		return 6
	}
	return 0
}

// drops reports whether the content of an element opening now is hidden.
func (st *htmlState) drops(a atom.Atom, hidden bool) bool {
	switch {
	case hidden, dropped[a]:
		return true
	case a == atom.Header || a == atom.Footer:
		return st.content == 0
	}
	return false
}

func (st *htmlState) start(a atom.Atom, hidden, selfClosing bool) {
	if a == atom.Title && !st.titled && st.hidden <= 1 { // <title> sits in the dropped <head>
		st.inTitle = true
	}
	if st.hidden == 0 {
		st.startVisible(a)
	}
	if void[a] || selfClosing {
		return
	}
	if len(st.stack) >= maxHTMLDepth {
		st.untacked++
		return
	}
	e := openElem{a, st.drops(a, hidden)}
	st.stack = append(st.stack, e)
	if e.drops {
		st.hidden++
	}
	switch a {
	case atom.Article, atom.Main, atom.Section:
		st.content++
	case atom.Pre:
		st.pre++
	}
}

// startVisible handles the layout effect of a visible opening tag.
func (st *htmlState) startVisible(a atom.Atom) {
	switch {
	case headingLevel(a) > 0:
		st.inHead = headingLevel(a)
		st.head.Reset()
	case a == atom.Tr:
		st.brk(1)
		st.cells = 0
	case a == atom.Td || a == atom.Th:
		if st.cells > 0 {
			st.sb.write(" | ")
		}
		st.cells++
	default:
		st.brk(breaks[a])
	}
}

func (st *htmlState) end(a atom.Atom) {
	if a == atom.Title && st.inTitle {
		st.inTitle, st.titled = false, true
	}
	if st.untacked > 0 {
		st.untacked--
		return
	}
	// Pop up to the matching element; an end tag without one is ignored.
	i := len(st.stack) - 1
	for i >= 0 && st.stack[i].a != a {
		i--
	}
	if i < 0 {
		return
	}
	for j := len(st.stack) - 1; j >= i; j-- {
		st.pop(st.stack[j])
	}
	st.stack = st.stack[:i]
}

// pop undoes what start did for an element that closes.
func (st *htmlState) pop(e openElem) {
	a := e.a
	hidden := st.hidden > 0
	if e.drops {
		st.hidden--
	}
	switch a {
	case atom.Article, atom.Main, atom.Section:
		st.content--
	case atom.Pre:
		st.pre--
	}
	if hidden {
		return
	}
	if level := headingLevel(a); level > 0 && st.inHead == level {
		st.inHead = 0
		st.sb.heading(level, st.head.String())
		st.pending = 0
		return
	}
	st.brk(breaks[a])
}

func (st *htmlState) text(s string) {
	if st.inTitle {
		st.title.WriteString(s)
		return
	}
	if st.hidden > 0 {
		return
	}
	if st.inHead > 0 {
		st.head.WriteString(s)
		return
	}
	if st.pre == 0 {
		s = collapseSpace(s)
	}
	if st.pending > 0 {
		if strings.TrimSpace(s) == "" {
			return
		}
		st.sb.write(strings.Repeat("\n", st.pending))
		st.pending = 0
	}
	st.sb.write(s)
}

// brk asks for n line breaks before the next text.
func (st *htmlState) brk(n int) {
	st.pending = max(st.pending, n)
}

// collapseSpace turns HTML white space runs into single spaces.
func collapseSpace(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == ' ' || r == '\n' || r == '\t' || r == '\r' || r == '\f' {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	if space {
		b.WriteByte(' ')
	}
	return b.String()
}
