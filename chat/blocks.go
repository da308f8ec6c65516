package chat

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A block is a run of a passage's lines that belong together: a paragraph
// or list item (its lines to be reflowed and split into sentences), or a
// heading on its own.
type block struct {
	text    string
	heading bool
	// row is set for a table row (with the lines continuing its cells):
	// a record, answered whole rather than split into sentences.
	row bool
}

// Heading limits: a heading line is short.
const (
	maxHeadingWords = 8
	// maxNumberedHeadingWords bounds a numbered heading ("5.2 Raw
	// materials and preparation process of stem cell dressing").
	maxNumberedHeadingWords = 12
	maxHeadingRunes         = 80
	// maxFurnitureWords and maxFurnitureBytes bound the lines that may be
	// running headers.
	maxFurnitureWords = 16
	maxFurnitureBytes = 200
)

// blocks splits a passage's text into paragraphs, list items and headings,
// dropping page furniture (page numbers, running headers and footers given
// in repeated, table-of-contents lines, print codes). List markers, section
// numbers and leading all-capitals labels ("SUMMARY:") are removed. Lines
// inside a block stay separated by line breaks (splitSentences reflows
// them).
func blocks(text string, repeated map[string]bool) []block {
	var out []block
	var cur []string
	inRow := false // cur is a table row
	flush := func() {
		if len(cur) > 0 {
			out = append(out, block{text: strings.Join(cur, "\n"), row: inRow})
			cur = cur[:0]
		}
	}
	lines := unnumbered(strings.Split(text, "\n"))
	furniture := repeatedFurniture(lines, repeated)
	for i, raw := range lines {
		line := strings.TrimSpace(raw)
		switch {
		case line == "":
			flush()
			continue
		case isFurniture(line) || furniture[i]:
			continue
		}
		if inRow && isCellContinuation(line) {
			cur = append(cur, line)
			continue
		}
		body, marked := stripMarker(line)
		next := nextLine(lines[i+1:])
		row := isRow(line)
		atStart := len(cur) == 0 || strings.ContainsAny(cur[len(cur)-1][len(cur[len(cur)-1])-1:], ".:!?")
		if !row && (isHeading(body, marked, atStart, next) || isHeaderRow(line, next)) {
			flush()
			out = append(out, block{text: body, heading: true})
			continue
		}
		if marked || startsBlock(line) || row || inRow {
			flush()
		}
		inRow = row
		if len(cur) == 0 {
			body = stripLabel(body)
		}
		if hasLeaders(body) {
			body = leaders.ReplaceAllString(body, " … ")
		}
		if body != "" {
			cur = append(cur, body)
		}
	}
	flush()
	return out
}

// minRepeatedRun is the length of a run of consecutive lines repeated
// elsewhere in a document from which they are taken for text the document
// repeats (an address given in two notices), not for a running header or
// footer, which is a line or two.
const minRepeatedRun = 3

// repeatedFurniture reports which of lines are running headers or footers:
// lines whose keys are in repeated, except in runs of minRepeatedRun or
// more.
func repeatedFurniture(lines []string, repeated map[string]bool) []bool {
	out := make([]bool, len(lines))
	if repeated == nil {
		return out
	}
	for i, l := range lines {
		l = strings.TrimSpace(l)
		out[i] = l != "" && repeated[lineKey(l)]
	}
	for i := 0; i < len(out); {
		j := i
		for j < len(out) && out[j] {
			j++
		}
		if j-i >= minRepeatedRun {
			for k := i; k < j; k++ {
				out[k] = false
			}
		}
		i = max(j, i+1)
	}
	return out
}

// minNumberedLines is how many lines must start with a line number for a
// passage to be taken for a transcript with numbered lines.
const minNumberedLines = 4

// unnumbered returns the lines of a transcript with numbered lines (a
// court transcript: "12 The above-entitled matter came on for oral") with
// their numbers removed and the blank lines between them dropped, so that
// its sentences read on; other text is returned as it is. Lines count as
// numbered when most non-blank ones start with a number of one or two
// digits, mostly rising from one line to the next.
func unnumbered(lines []string) []string {
	nonBlank, numbered, rising, last := 0, 0, 0, -1
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		nonBlank++
		if n, ok := lineNumber(l); ok {
			numbered++
			if n > last {
				rising++
			}
			last = n
		}
	}
	if numbered < minNumberedLines || 4*numbered < 3*nonBlank || 4*rising < 3*numbered {
		return lines
	}
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if _, ok := lineNumber(l); ok {
			l = strings.TrimSpace(strings.TrimLeft(l, "0123456789"))
		}
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// lineNumber returns the number of one or two digits a line starts with,
// alone or followed by a space.
func lineNumber(l string) (int, bool) {
	n := 0
	for n < len(l) && n < 3 && '0' <= l[n] && l[n] <= '9' {
		n++
	}
	if n == 0 || n > 2 || n < len(l) && l[n] != ' ' {
		return 0, false
	}
	v := int(l[0] - '0')
	if n == 2 {
		v = v*10 + int(l[1]-'0')
	}
	return v, true
}

// nextLine returns the first non-blank line of lines, trimmed, or "".
func nextLine(lines []string) string {
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

// isRow reports whether a line is a row of a table: numbers make up a
// third of its words or more, or it has two numbers or more and ends with
// one ("Kentucky 264,140 12,155 …", "07/20/2015 09/18/2015 07/21/2015
// Minno, Inc. San Francisco 255 Closure Permanent"); and it does not end
// a sentence or with a comma ("W12–140, 1200 New Jersey Avenue SE," goes
// on into the next line). A row is a block of its own.
func isRow(line string) bool {
	if isRecord(line) {
		return true
	}
	if strings.HasSuffix(line, ".") || strings.HasSuffix(line, ",") {
		return false // a sentence, or a line of one that goes on
	}
	fields := strings.Fields(line)
	nums := 0
	for _, f := range fields {
		if strings.IndexFunc(f, unicode.IsDigit) >= 0 {
			nums++
		}
	}
	last := fields[len(fields)-1]
	return nums >= 2 && (3*nums >= len(fields) || strings.IndexFunc(last, unicode.IsLetter) < 0 && strings.IndexFunc(last, unicode.IsDigit) >= 0)
}

// isHeaderRow reports whether a line is the header row of a table: the
// line right above a row, of two words or more, with no digits, no
// sentence punctuation at its end and no "Label: value" field, whose words
// mostly start with a capital letter ("Notice Date Effective Received
// Company City No. Of Layoff/Closure"). Its column names are not an answer;
// they stand over the rows below as a heading does.
func isHeaderRow(line, next string) bool {
	if next == "" || !isRow(next) || isRecord(next) || strings.IndexFunc(line, unicode.IsDigit) >= 0 ||
		strings.ContainsAny(line[len(line)-1:], ".,;!?") || isField(line) {
		return false
	}
	words, capital := 0, 0
	for _, w := range strings.Fields(line) {
		r, _ := utf8.DecodeRuneInString(strings.TrimLeft(w, "*#(\"'"))
		if !unicode.IsLetter(r) {
			continue
		}
		words++
		if unicode.IsUpper(r) {
			capital++
		}
	}
	return words >= 2 && 3*capital >= 2*words
}

// isRecord reports whether line is a spreadsheet row as the CSV loader
// writes it: three or more "header: value" fields separated by "; ".
func isRecord(line string) bool {
	fields := strings.Split(line, "; ")
	if len(fields) < 3 {
		return false
	}
	labelled := 0
	for _, f := range fields {
		if label, _, ok := strings.Cut(f, ": "); ok && label != "" && !strings.Contains(label, ". ") {
			labelled++
		}
	}
	return 2*labelled > len(fields)
}

// isCellContinuation reports whether a line after a table row continues
// one of its cells: it has no lower-case letters and is not a row itself.
func isCellContinuation(line string) bool {
	return strings.IndexFunc(line, unicode.IsLower) < 0 && !isRow(line)
}

// startsBlock reports whether a line opens a new block by its form: a
// Markdown heading or a bulleted item.
func startsBlock(line string) bool {
	return line[0] == '#'
}

// stripMarker removes a leading list marker or section number ("- ", "• ",
// "1. ", "2.1.3 ", "(a) ", "a) ", "① ", "# ") and reports whether there was
// one.
func stripMarker(line string) (string, bool) {
	if t := strings.TrimLeft(line, "#"); len(t) < len(line) {
		return strings.TrimSpace(t), true
	}
	for _, m := range []string{"- ", "* ", "• ", "· ", "▪ ", "◦ ", "– "} {
		if strings.HasPrefix(line, m) {
			return strings.TrimSpace(line[len(m):]), true
		}
	}
	if r, size := utf8.DecodeRuneInString(line); '①' <= r && r <= '⑳' {
		return strings.TrimSpace(line[size:]), true
	}
	n := sectionNumber(line)
	if n == 0 {
		return line, false
	}
	return strings.TrimSpace(line[n:]), true
}

// sectionNumber returns the length of a leading section or item number
// followed by a space: "3. ", "3.1.2. ", "4.2 ", "(a) ", "(iv) ", "a) ",
// "12) ", or 0. A bare number followed by a space ("38 patients") is not
// one, and neither is a decimal ("3.5 million").
func sectionNumber(line string) int {
	if strings.HasPrefix(line, "(") {
		end := strings.IndexByte(line, ')')
		if end < 2 || end > 5 || end+1 >= len(line) || line[end+1] != ' ' {
			return 0
		}
		inner := line[1:end]
		if isDigits(inner) || isRomanOrLetter(inner) {
			return end + 2
		}
		return 0
	}
	i := 0
	dots := 0
	for i < len(line) {
		j := i
		for j < len(line) && '0' <= line[j] && line[j] <= '9' {
			j++
		}
		if j == i || j-i > 3 {
			break
		}
		i = j
		if i < len(line) && line[i] == '.' {
			dots++
			i++
			continue
		}
		break
	}
	switch {
	case i == 0:
		if len(line) > 2 && line[1] == ')' && line[2] == ' ' && unicode.IsLetter(rune(line[0])) {
			return 3 // "a) "
		}
		return 0
	case i < len(line) && line[i] == ')' && i+1 < len(line) && line[i+1] == ' ':
		return i + 2 // "12) "
	case dots == 0 || i >= len(line):
		return 0 // "38 patients"
	case line[i-1] == '.' && line[i] == ' ':
		return i + 1 // "3. ", "3.1.2. "
	}
	// "4.2 Inclusion", "1.Research": a capital letter must follow, so that
	// "3.5 million" stays.
	j := i
	if line[j] == ' ' {
		j++
	}
	if r, _ := utf8.DecodeRuneInString(line[j:]); unicode.IsUpper(r) {
		return j
	}
	return 0
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// isRomanOrLetter reports whether s is one letter or a small lower-case
// Roman numeral.
func isRomanOrLetter(s string) bool {
	if len(s) == 1 {
		return unicode.IsLetter(rune(s[0]))
	}
	return strings.Trim(s, "ivx") == ""
}

// isHeading reports whether a line (its marker removed) is a heading: a
// few words without final punctuation (and with one comma at most, unless
// in capitals) that are not a label with a value,
// starting with a capital letter (or in capitals), standing at the start
// of a block or numbered, and followed by a line starting with a capital
// letter, a marker or nothing.
func isHeading(line string, numbered, atStart bool, next string) bool {
	words := strings.Fields(line)
	capitals := strings.IndexFunc(line, unicode.IsLower) < 0
	limit := maxHeadingWords
	if numbered || capitals {
		limit = maxNumberedHeadingWords
	}
	if len(words) == 0 || len(words) > limit || utf8.RuneCountInString(line) > maxHeadingRunes ||
		!atStart && !numbered || strings.ContainsAny(line[len(line)-1:], ".,;!?-–(") ||
		isStopWord(strings.ToLower(words[len(words)-1])) || isField(line) || strings.Count(line, ",") > 1 && !capitals {
		return false
	}
	first, _ := utf8.DecodeRuneInString(line)
	if !unicode.IsUpper(first) && !unicode.IsDigit(first) {
		return false
	}
	if next == "" {
		return true
	}
	n, _ := utf8.DecodeRuneInString(next)
	_, nextMarked := stripMarker(next)
	return unicode.IsUpper(n) || nextMarked || strings.HasSuffix(line, ":")
}

// isField reports whether line holds a label with a value ("Age: 48")
// rather than a title: a colon with text after it.
func isField(line string) bool {
	i := strings.Index(line, ": ")
	return i >= 0 && strings.TrimSpace(line[i+1:]) != ""
}

// stripLabel removes a leading label in capitals ("SUMMARY: ", "DATES: ")
// when a sentence follows it.
func stripLabel(line string) string {
	i := strings.Index(line, ": ")
	if i <= 1 || i > 40 {
		return line
	}
	label := line[:i]
	hasLetter := false
	for _, r := range label {
		if unicode.IsLower(r) {
			return line
		}
		hasLetter = hasLetter || unicode.IsLetter(r)
	}
	rest := strings.TrimSpace(line[i+2:])
	if !hasLetter || len(strings.Fields(rest)) < 3 {
		return line
	}
	return rest
}

// leaders matches the dot leaders of a table of contents or between the
// cells of a table row.
var leaders = regexp.MustCompile(`\s*(?:\.\s*){4,}\s*|\s*…{2,}\s*`)

// hasLeaders reports, cheaply, whether a line may hold dot leaders.
func hasLeaders(line string) bool {
	return strings.Contains(line, "....") || strings.Contains(line, ". . . .") || strings.Contains(line, "……")
}

// isTOCEntry reports whether a line is an entry of a table of contents: a
// title, one run of dot leaders, and a page number.
func isTOCEntry(line string) bool {
	if !hasLeaders(line) {
		return false
	}
	runs := leaders.FindAllStringIndex(line, -1)
	if len(runs) != 1 || runs[0][0] == 0 {
		return false
	}
	return isDigits(line[runs[0][1]:]) && len(line)-runs[0][1] <= 4
}

// isFurniture reports whether a line is page furniture rather than text: a
// page number ("Page 2 of 4", "- 3 -", "17"), a table-of-contents entry
// with dot leaders, or a line made mostly of codes and numbers (print
// slugs, identifiers).
func isFurniture(line string) bool {
	if isTOCEntry(line) {
		return true
	}
	fields := strings.Fields(line)
	if isRule(fields) {
		return true
	}
	if len(fields) > maxFurnitureWords {
		return false
	}
	lower := strings.ToLower(line)
	if strings.HasPrefix(lower, "page ") && len(fields) <= 8 && len(fields) >= 2 && unicode.IsDigit(rune(fields[1][0])) {
		prose := false // "page 3 of the report says …"
		for _, f := range fields[2:] {
			if r, _ := utf8.DecodeRuneInString(f); unicode.IsLower(r) && f != "of" {
				prose = true
			}
		}
		if !prose {
			return true
		}
	}
	if strings.IndexFunc(line, unicode.IsLetter) < 0 {
		return len(fields) <= 3 // "17", "- 3 -", "29,2"; a row of numbers in a table stays
	}

	words, codes := 0, 0
	for _, f := range fields {
		switch t := strings.Trim(f, ".,;:()[]-–—/"); {
		case isCode(t):
			codes++
		case isWord(t):
			words++
		}
	}
	if len(fields) == 1 {
		return codes == 1 && len(line) >= 8 // "_63ed741c-c0c9-11ec-a4ba-aeec1c83ea00"
	}
	return codes >= 3 && codes*2 >= len(fields) && words < len(fields)/2
}

// isRule reports whether the fields of a line draw a rule rather than say
// anything: four or more, none a word of two letters or more nor holding a
// digit ("- - - - - - - x", "* * * *").
func isRule(fields []string) bool {
	if len(fields) < 4 {
		return false
	}
	for _, f := range fields {
		if strings.IndexFunc(f, unicode.IsDigit) >= 0 || isWord(strings.Trim(f, ".,;:()[]-–—/")) {
			return false
		}
	}
	return true
}

// isWord reports whether t is a word of letters, two or more.
func isWord(t string) bool {
	n := 0
	for _, r := range t {
		if !unicode.IsLetter(r) && r != '\'' && r != '’' {
			return false
		}
		n++
	}
	return n >= 2
}

// isCode reports whether t mixes letters and digits, like an identifier
// ("DEN08CA034", "06AUP1.SGM"), or is a long number with no letters.
func isCode(t string) bool {
	letters, digits := 0, 0
	for _, r := range t {
		switch {
		case unicode.IsLetter(r):
			letters++
		case unicode.IsDigit(r):
			digits++
		}
	}
	return letters > 0 && digits > 0 && len(t) >= 4
}

// lineKey is a line, lower-cased, with the number it starts or ends with
// folded, so that running headers and footers that differ only by their
// page number ("47700 Federal Register / Vol. 85 …", "… Proposed Rules
// 47703") have the same key, while table rows that differ in any other
// number do not.
func lineKey(line string) string {
	line = strings.Join(strings.Fields(strings.ToLower(line)), " ")
	start := strings.IndexFunc(line, func(r rune) bool { return !unicode.IsDigit(r) })
	if start < 0 {
		return "#"
	}
	end := strings.LastIndexFunc(line, func(r rune) bool { return !unicode.IsDigit(r) }) + 1
	key := line[start:end]
	if start > 0 {
		key = "#" + key
	}
	if end < len(line) {
		key += "#"
	}
	return key
}

// repeatedLines returns the keys of the short lines of texts, which come
// from one document, that occur in at least min distinct groups (pages,
// or chunks: group[i] is text i's): running headers and footers. Lines
// repeated within a group (overlapping chunks of a page) do not count.
func repeatedLines(texts []string, group []int, min int) map[string]bool {
	if len(texts) < min {
		return nil
	}
	groups := map[string]map[int]bool{}
	for i, t := range texts {
		for _, l := range strings.Split(t, "\n") {
			l = strings.TrimSpace(l)
			if l == "" || len(l) > maxFurnitureBytes || len(strings.Fields(l)) > maxFurnitureWords {
				continue
			}
			k := lineKey(l)
			if groups[k] == nil {
				groups[k] = map[int]bool{}
			}
			groups[k][group[i]] = true
		}
	}
	var out map[string]bool
	for k, g := range groups {
		if len(g) >= min {
			if out == nil {
				out = map[string]bool{}
			}
			out[k] = true
		}
	}
	return out
}
