package ingest

import (
	"cmp"
	"math"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"docent/retrieval"
)

// Document titles. A document's title names it in results and sources,
// and the search index scores it as a field of every passage (so that a
// question naming a company, product or paper reaches the passages that
// say "the Company" or "we"). Metadata titles are often junk left by the
// program that wrote the file, so the title is the first of these that is
// meaningful: the format's own title (PDF metadata, DOCX core title, HTML
// <title>, the first Markdown heading); the first heading; for a PDF, the
// largest text on its first page; else the file name made readable
// ("aapl-20230701-10q.pdf" → "aapl 2023 07 01 10q").

// maxTitle bounds a title's length in runes.
const maxTitle = 200

// DocumentTitle returns the display title of a document extracted as x
// from a file called filename.
func DocumentTitle(x *Extracted, filename string) string {
	candidates := []string{x.Title, x.Lead}
	if len(x.Sections) > 0 && len(x.Sections[0].Headings) > 0 {
		candidates = slices.Insert(candidates, 1, x.Sections[0].Headings[0])
	}
	for _, c := range candidates {
		if t := cleanTitle(c); meaningfulTitle(t, filename) {
			return t
		}
	}
	return retrieval.ReadableName(filename)
}

// junkTitlePrefix matches what office programs put before a file name in
// metadata titles.
var junkTitlePrefix = regexp.MustCompile(`(?i)^(microsoft (word|powerpoint|excel)|word|powerpoint|excel|acrobat pdfmaker|print)\s*-\s*`)

// fileExtension matches an extension at the end of a title.
var fileExtension = regexp.MustCompile(`(?i)\.(docx?|pdf|xlsx?|pptx?|txt|rtf|odt|exe|tex|dvi|indd|qxd|html?|md|ps|eps|tmp)$`)

// cleanTitle removes office-program prefixes, paths and extensions and
// collapses white space.
func cleanTitle(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = junkTitlePrefix.ReplaceAllString(s, "")
	if strings.ContainsAny(s, `/\`) && !strings.Contains(s, " ") {
		s = path.Base(strings.ReplaceAll(s, `\`, "/"))
	}
	s = fileExtension.ReplaceAllString(s, "")
	if r := []rune(s); len(r) > maxTitle {
		s = strings.TrimSpace(string(r[:maxTitle])) + "…"
	}
	return strings.TrimSpace(s)
}

// placeholderTitles are titles programs give documents nobody named.
var placeholderTitles = map[string]bool{
	"untitled": true, "untitled document": true, "document": true, "title": true, "no title": true,
	"powerpoint presentation": true, "presentation": true, "slide 1": true, "word document": true,
	"pdf": true, "unknown": true, "anonymous": true, "(anonymous)": true, "new document": true, "draft": true,
}

// meaningfulTitle reports whether t names a document: at least two words
// or one word of four letters or more, mostly letters, not a placeholder,
// not an identifier ("10811", "DEN08CA034", "aapl-20230701") and not the
// file name again.
func meaningfulTitle(t, filename string) bool {
	if t == "" || placeholderTitles[strings.ToLower(t)] {
		return false
	}
	if stem := strings.TrimSuffix(filename, path.Ext(filename)); strings.EqualFold(t, stem) {
		return false
	}
	letters, digits, words := 0, 0, 0
	for _, w := range strings.Fields(t) {
		n := 0
		for _, r := range w {
			switch {
			case unicode.IsLetter(r):
				n++
			case unicode.IsDigit(r):
				digits++
			}
		}
		letters += n
		if n >= 2 {
			words++
		}
	}
	if letters < 3 || digits > letters {
		return false
	}
	if words == 1 && !strings.Contains(t, " ") {
		// One token: a word of four or more letters, not an identifier
		// mixing letters and digits.
		return digits == 0 && letters >= 4
	}
	return words >= 1
}

// leadText returns the largest text of a page — the title on a paper's or
// report's first page — when it stands out: set at least 1.3 times the size
// of the page's typical character, at most three lines. Otherwise "".
func leadText(glyphs []glyph) string {
	groups := groupByDirection(glyphs)
	if len(groups) == 0 {
		return ""
	}
	runs := buildRuns(groups[0].glyphs, groups[0].ux, groups[0].uy)
	var sizes []float64 // one per character: the typical size is the body's
	biggest := 0.0
	for _, r := range runs {
		for range r.text.Len() {
			sizes = append(sizes, r.size)
		}
		biggest = max(biggest, r.size)
	}
	if len(sizes) == 0 || biggest < 1.3*median(sizes) {
		return ""
	}
	var lead []*run
	for _, r := range runs {
		if r.size >= 0.8*biggest && strings.TrimSpace(r.text.String()) != "" {
			lead = append(lead, r)
		}
	}
	slices.SortStableFunc(lead, func(a, b *run) int {
		if math.Abs(a.v-b.v) > 0.3*a.size {
			return cmp.Compare(b.v, a.v) // top line first
		}
		return cmp.Compare(a.u0, b.u0)
	})
	var parts []string
	lines := 0
	for i, r := range lead {
		if i == 0 || math.Abs(r.v-lead[i-1].v) > 0.3*r.size {
			if lines++; lines > 3 {
				break
			}
		}
		parts = append(parts, strings.TrimSpace(r.text.String()))
	}
	return strings.Join(parts, " ")
}
