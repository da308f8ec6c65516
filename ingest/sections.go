package ingest

import "strings"

// sectionBuilder collects the text of a structured document (Markdown,
// HTML, DOCX) section by section. A heading closes the current section and
// opens one whose heading path is the stack of enclosing headings; the
// heading's own text is the first line of its section.
type sectionBuilder struct {
	stack []heading
	cur   strings.Builder
	path  []string // heading path of the current section
	raw   []rawSection
	title string // the first level-1 heading
}

type heading struct {
	level int
	text  string
}

type rawSection struct {
	headings []string
	text     string
}

// heading starts a section under a heading of the given level (1 = top).
// Empty headings are written as plain text.
func (sb *sectionBuilder) heading(level int, text string) {
	text = strings.Join(strings.Fields(Normalize(text)), " ")
	if text == "" {
		return
	}
	sb.flush()
	for len(sb.stack) > 0 && sb.stack[len(sb.stack)-1].level >= level {
		sb.stack = sb.stack[:len(sb.stack)-1]
	}
	sb.stack = append(sb.stack, heading{level, text})
	sb.path = make([]string, len(sb.stack))
	for i, h := range sb.stack {
		sb.path[i] = h.text
	}
	if level == 1 && sb.title == "" {
		sb.title = text
	}
	sb.cur.WriteString(text)
	sb.cur.WriteString("\n\n")
}

// write adds body text to the current section.
func (sb *sectionBuilder) write(s string) { sb.cur.WriteString(s) }

// len is the number of raw bytes collected so far.
func (sb *sectionBuilder) len() int {
	n := sb.cur.Len()
	for _, r := range sb.raw {
		n += len(r.text)
	}
	return n
}

func (sb *sectionBuilder) flush() {
	if sb.cur.Len() > 0 {
		sb.raw = append(sb.raw, rawSection{sb.path, sb.cur.String()})
	}
	sb.cur.Reset()
}

// extracted normalises each section and joins them with blank lines.
func (sb *sectionBuilder) extracted() *Extracted {
	sb.flush()
	x := &Extracted{Title: sb.title}
	var b strings.Builder
	for _, r := range sb.raw {
		t := Normalize(r.text)
		if t == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		start := b.Len()
		b.WriteString(t)
		x.Sections = append(x.Sections, Section{Headings: r.headings, Start: start, End: b.Len()})
	}
	x.Text = b.String()
	return x
}
