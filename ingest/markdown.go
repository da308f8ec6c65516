package ingest

import (
	"regexp"
	"strings"
)

// parseMarkdown reads Markdown: ATX ("## Title") and setext (a line
// underlined with === or ---) headings build the heading path; lines in
// code fences are never headings; a YAML front matter block is dropped
// (its title: is the fallback Title). Heading markers are removed; other
// Markdown syntax stays in the text.
func parseMarkdown(s string) *Extracted {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	lines, fmTitle := frontMatter(lines)
	var sb sectionBuilder
	var fence string // the opening fence while inside a code block
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if fence != "" {
			if closesFence(l, fence) {
				fence = ""
			}
			sb.write(l + "\n")
			continue
		}
		if f := openingFence(l); f != "" {
			fence = f
			sb.write(l + "\n")
			continue
		}
		if n := atxLevel(l); n > 0 {
			sb.heading(n, inlineText(atxText(l)))
			continue
		}
		if i+1 < len(lines) && strings.TrimSpace(l) != "" && !isIndentedCode(l) {
			if n := setextLevel(lines[i+1]); n > 0 && !startsBlock(l) {
				sb.heading(n, inlineText(l))
				i++
				continue
			}
		}
		sb.write(l + "\n")
	}
	x := sb.extracted()
	if x.Title == "" {
		x.Title = fmTitle
	}
	return x
}

// frontMatter drops a leading "---" YAML block and returns its title.
func frontMatter(lines []string) ([]string, string) {
	if len(lines) == 0 || strings.TrimSpace(lines[0]) != "---" {
		return lines, ""
	}
	title := ""
	for i := 1; i < len(lines) && i < 200; i++ {
		l := strings.TrimSpace(lines[i])
		if l == "---" || l == "..." {
			return lines[i+1:], title
		}
		if v, ok := strings.CutPrefix(l, "title:"); ok && title == "" {
			title = strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return lines, "" // not front matter after all
}

// atxLevel returns the level of an ATX heading line, or 0.
func atxLevel(l string) int {
	t := strings.TrimLeft(l, " ")
	if len(l)-len(t) > 3 {
		return 0
	}
	n := 0
	for n < len(t) && t[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || n < len(t) && t[n] != ' ' && t[n] != '\t' {
		return 0
	}
	return n
}

// atxText returns the text of an ATX heading without its markers.
func atxText(l string) string {
	t := strings.TrimLeft(strings.TrimSpace(l), "#")
	t = strings.TrimSpace(t)
	if u := strings.TrimRight(t, "#"); u == "" || strings.HasSuffix(u, " ") || strings.HasSuffix(u, "\t") {
		t = strings.TrimSpace(u)
	}
	return t
}

func setextLevel(l string) int {
	t := strings.TrimSpace(l)
	if len(l)-len(strings.TrimLeft(l, " ")) > 3 || t == "" {
		return 0
	}
	switch {
	case strings.Trim(t, "=") == "":
		return 1
	case strings.Trim(t, "-") == "":
		return 2
	}
	return 0
}

// startsBlock reports whether a line is a list item, quote or table row,
// which cannot be a setext heading's text.
func startsBlock(l string) bool {
	t := strings.TrimSpace(l)
	return strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "* ") || strings.HasPrefix(t, "+ ") ||
		strings.HasPrefix(t, ">") || strings.HasPrefix(t, "|") || listNumber.MatchString(t)
}

var listNumber = regexp.MustCompile(`^\d{1,9}[.)]\s`)

func isIndentedCode(l string) bool {
	return strings.HasPrefix(l, "    ") || strings.HasPrefix(l, "\t")
}

// openingFence returns the fence (``` or ~~~, 3 or more) a line opens.
func openingFence(l string) string {
	t := strings.TrimLeft(l, " ")
	if len(l)-len(t) > 3 || len(t) < 3 || (t[0] != '`' && t[0] != '~') {
		return ""
	}
	n := 0
	for n < len(t) && t[n] == t[0] {
		n++
	}
	if n < 3 || t[0] == '`' && strings.Contains(t[n:], "`") {
		return ""
	}
	return t[:n]
}

func closesFence(l, fence string) bool {
	t := strings.TrimSpace(l)
	return len(t) >= len(fence) && strings.Trim(t, fence[:1]) == ""
}

var (
	mdLink     = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	mdEmphasis = regexp.MustCompile("[*`]+")
)

// inlineText strips links and emphasis markers from heading text.
func inlineText(s string) string {
	s = mdLink.ReplaceAllString(s, "$1")
	return strings.TrimSpace(mdEmphasis.ReplaceAllString(s, ""))
}
