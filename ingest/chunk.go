package ingest

import (
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Chunking. docent uses its own small recursive splitter rather than
// langchaingo's textsplitter: chunks must carry byte offsets into the
// document text (for citations and page numbers), which textsplitter does
// not give, its package pulls in a BPE tokenizer and a Markdown library we
// do not need, and Chinese text needs splitting at Chinese punctuation.

// ChunkOptions sets chunk sizes, counted in characters (runes) of the
// body. A zero Size means 1000; a zero Overlap means 15% of Size (150 by
// default) and a negative one means none. Overlap is capped at half the
// Size.
type ChunkOptions struct {
	Size, Overlap int
}

// Default chunk sizes.
const (
	DefaultChunkSize    = 1000
	DefaultChunkOverlap = 150
)

// Chunk is a piece of a document ready to be indexed.
type Chunk struct {
	// Index is the chunk's position in the document, from 0.
	Index int
	// Text is what gets indexed: the heading path on one line
	// ("Guide › Install › Linux\n"), when there is one, then the body
	// (without its first line when that is the section's own heading).
	Text string
	// Start and End are the byte offsets of the body in Extracted.Text:
	// Extracted.Text[Start:End] is the body.
	Start, End int
	// Page is the PDF page (from 1) where the chunk starts, 0 when the
	// document has no pages.
	Page int
	// Headings is the heading path of the chunk's section.
	Headings []string
}

// normalized is the chunk size and overlap Split uses: the defaults for
// zero fields, an overlap of at most half a chunk.
func (opt ChunkOptions) normalized() (size, overlap int) {
	size, overlap = opt.Size, opt.Overlap
	if size <= 0 {
		size = DefaultChunkSize
	}
	switch {
	case overlap == 0 && opt.Size <= 0:
		overlap = DefaultChunkOverlap
	case overlap == 0:
		overlap = size * DefaultChunkOverlap / DefaultChunkSize
	case overlap < 0:
		overlap = 0
	}
	return size, min(overlap, size/2)
}

// Split cuts a document into chunks of at most opt.Size characters.
//
// Each section of a structured document is split on its own, so a chunk
// never spans two sections, and its Text starts with the heading path.
// Text is split recursively at the strongest boundaries that make pieces
// small enough: page breaks, paragraphs, lines, sentences (also at 。！？),
// clauses (also at ；，、), words, and between CJK characters; a run of
// non-space characters longer than Size (such as a long URL) is the only
// thing ever cut inside. Pieces are then packed greedily into chunks,
// ending a chunk at the strongest boundary in its second half. Consecutive
// chunks of a section overlap by at most opt.Overlap characters, starting
// at a word boundary. Chunks are never empty or only white space, and
// every non-space byte of the text is in some chunk. x.Text is expected to
// be valid UTF-8, as Extract returns it.
func Split(x *Extracted, opt ChunkOptions) []Chunk {
	if x == nil {
		return nil
	}
	size, overlap := opt.normalized()
	var chunks []Chunk
	for _, seg := range segments(x) {
		sp := splitter{text: x.Text, size: size}
		sp.split(seg.Start, seg.End, levelPage, levelPage)
		headings := boundHeadings(seg.Headings)
		for _, r := range sp.pack(overlap) {
			c := Chunk{Index: len(chunks), Start: r[0], End: r[1], Headings: headings}
			c.Text = withPath(x.Text[r[0]:r[1]], headings)
			c.Page = pageAt(x.Pages, r[0])
			chunks = append(chunks, c)
		}
	}
	return chunks
}

// Heading path bounds: every chunk of a section repeats its path, so a
// long heading (a spreadsheet's header row, a heading line of a megabyte)
// is cut, at a word boundary with "…", and only the innermost levels that
// fit are kept.
const (
	maxHeading     = 200
	maxHeadingPath = 300
)

// boundHeadings is headings within maxHeading bytes each and
// maxHeadingPath in all (the innermost levels first); it returns headings
// itself when they fit.
func boundHeadings(headings []string) []string {
	total := 0
	for _, h := range headings {
		total += len(h)
	}
	if total <= maxHeadingPath && !slices.ContainsFunc(headings, func(h string) bool { return len(h) > maxHeading }) {
		return headings
	}
	var out []string
	total = 0
	for i := len(headings) - 1; i >= 0; i-- {
		h := clip(headings[i], maxHeading)
		if total+len(h) > maxHeadingPath && len(out) > 0 {
			break
		}
		out = append(out, h)
		total += len(h)
	}
	slices.Reverse(out)
	return out
}

// clip cuts s to at most n bytes, at a space when there is one in its
// second half, ending with "…".
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if sp := strings.LastIndexByte(s[:cut], ' '); sp > cut/2 {
		cut = sp
	}
	return strings.TrimRight(s[:cut], " ") + "…"
}

// withPath puts the heading path line in front of body. When body starts
// with its own heading line, the path line takes that line's place, so the
// heading is not repeated.
func withPath(body string, headings []string) string {
	if len(headings) == 0 {
		return body
	}
	path := strings.Join(headings, " › ")
	line, rest, _ := strings.Cut(body, "\n")
	if strings.TrimSpace(strings.TrimLeft(line, "# ")) == headings[len(headings)-1] {
		return path + "\n" + strings.TrimLeft(rest, "\n")
	}
	return path + "\n" + body
}

// segments returns the parts of x that are chunked separately, in order:
// its sections, with the text outside them as sections without headings,
// or for a paged document its pages, so that a chunk's page is the page of
// every word in it. A section holding nothing but a heading is left out
// when a section follows it: that heading is on the heading path of the
// chunks after it, so no chunk is a bare heading. Offsets are clamped to
// rune boundaries.
func segments(x *Extracted) []Section {
	if len(x.Sections) == 0 && len(x.Pages) > 0 {
		out := make([]Section, 0, len(x.Pages))
		for _, p := range x.Pages {
			out = append(out, Section{Start: p.Start, End: p.End})
		}
		return dropBare(x.Text, coverGaps(x.Text, out))
	}
	return dropBare(x.Text, coverGaps(x.Text, x.Sections))
}

// dropBare leaves out every section but the last whose text is only a
// heading (its own, or one on the heading path of the next section).
func dropBare(text string, secs []Section) []Section {
	out := make([]Section, 0, len(secs))
	for i, s := range secs {
		if i+1 < len(secs) && bareHeading(text[s.Start:s.End], slices.Concat(s.Headings, secs[i+1].Headings)) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// bareHeading reports whether body is empty or nothing but one of headings.
func bareHeading(body string, headings []string) bool {
	body = strings.TrimLeft(strings.TrimSpace(body), "# ")
	return body == "" || slices.Contains(headings, body)
}

// coverGaps returns secs sorted, clamped to rune boundaries and without
// overlaps, with the text outside them added as sections without headings.
func coverGaps(text string, sections []Section) []Section {
	x := &Extracted{Text: text}
	n := len(x.Text)
	secs := append([]Section(nil), sections...)
	sort.SliceStable(secs, func(i, j int) bool { return secs[i].Start < secs[j].Start })
	var out []Section
	pos := 0
	for _, s := range secs {
		start, end := runeStart(x.Text, max(s.Start, pos)), runeStart(x.Text, min(s.End, n))
		if start >= end {
			continue
		}
		if start > pos {
			out = append(out, Section{Start: pos, End: start})
		}
		out = append(out, Section{Headings: s.Headings, Start: start, End: end})
		pos = end
	}
	if pos < n {
		out = append(out, Section{Start: pos, End: n})
	}
	return out
}

// runeStart moves i back to the start of the UTF-8 sequence it is in.
func runeStart(s string, i int) int {
	i = max(0, min(i, len(s)))
	for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}

// pageAt returns the number of the page holding byte offset off.
func pageAt(pages []Span, off int) int {
	i := sort.Search(len(pages), func(i int) bool { return pages[i].Start > off })
	if i == 0 {
		return 0
	}
	return pages[i-1].N
}

// Boundary levels, strongest first.
const (
	levelPage = iota
	levelParagraph
	levelLine
	levelSentence
	levelClause
	levelWord
	levelCJK
	levelRune
)

// piece is a stretch of text that fits in a chunk; before is the level of
// the boundary that precedes it.
type piece struct {
	start, end, runes int
	before            int
}

type splitter struct {
	text   string
	size   int
	pieces []piece
}

// split cuts [s, e) into pieces of at most size runes, trying boundary
// levels from level on; before is the level of the boundary before s.
func (sp *splitter) split(s, e, level, before int) {
	s, e = trimRange(sp.text, s, e)
	if s >= e {
		return
	}
	n := utf8.RuneCountInString(sp.text[s:e])
	if n <= sp.size {
		sp.pieces = append(sp.pieces, piece{s, e, n, before})
		return
	}
	if level == levelRune {
		sp.hardSplit(s, e, before)
		return
	}
	cuts := boundaries(sp.text, s, e, level)
	if len(cuts) == 0 {
		sp.split(s, e, level+1, before)
		return
	}
	prev := s
	for _, c := range cuts {
		sp.split(prev, c[0], level+1, before)
		prev, before = c[1], level
	}
	sp.split(prev, e, level+1, level)
}

// hardSplit cuts a run without boundaries every size runes.
func (sp *splitter) hardSplit(s, e, before int) {
	for s < e {
		end, n := s, 0
		for end < e && n < sp.size {
			_, w := utf8.DecodeRuneInString(sp.text[end:])
			end += w
			n++
		}
		sp.pieces = append(sp.pieces, piece{s, end, n, before})
		s, before = end, levelRune
	}
}

func trimRange(text string, s, e int) (int, int) {
	for s < e {
		r, w := utf8.DecodeRuneInString(text[s:e])
		if !unicode.IsSpace(r) {
			break
		}
		s += w
	}
	for e > s {
		r, w := utf8.DecodeLastRuneInString(text[s:e])
		if !unicode.IsSpace(r) {
			break
		}
		e -= w
	}
	return s, e
}

// boundaries returns the cuts of one level in [s, e): pairs of the end of
// the text before the cut and the start of the text after it (white space
// in between belongs to neither).
func boundaries(text string, s, e, level int) [][2]int {
	var cuts [][2]int
	add := func(end, next int) {
		if end > s && next < e {
			cuts = append(cuts, [2]int{end, next})
		}
	}
	switch level {
	case levelPage, levelLine:
		sep := byte('\f')
		if level == levelLine {
			sep = '\n'
		}
		for i := s; i < e; i++ {
			if text[i] == sep {
				add(i, i+1)
			}
		}
	case levelParagraph:
		for i := s; i < e; i++ {
			if text[i] != '\n' {
				continue
			}
			j, lines := i+1, 1
			for ; j < e && (text[j] == ' ' || text[j] == '\t' || text[j] == '\n' || text[j] == '\r'); j++ {
				if text[j] == '\n' {
					lines++
				}
			}
			if lines >= 2 {
				add(i, j)
			}
			i = j - 1
		}
	case levelSentence, levelClause:
		punctuationCuts(text, s, e, level, add)
	case levelWord:
		for i := s; i < e; {
			r, w := utf8.DecodeRuneInString(text[i:e])
			if !unicode.IsSpace(r) {
				i += w
				continue
			}
			j := skipSpace(text, i, e)
			add(i, j)
			i = j
		}
	case levelCJK:
		prev, _ := utf8.DecodeRuneInString(text[s:e])
		for i := s + utf8.RuneLen(prev); i < e; {
			r, w := utf8.DecodeRuneInString(text[i:e])
			if (isCJK(r) || isCJK(prev)) && !unicode.IsSpace(r) && !unicode.IsSpace(prev) {
				add(i, i)
			}
			prev = r
			i += w
		}
	}
	return cuts
}

// punctuationCuts finds sentence ends (. ! ? followed by a space, 。！？)
// or clause ends (; : , followed by a space, ；，、：) with any closing
// quotes or brackets after them.
func punctuationCuts(text string, s, e, level int, add func(end, next int)) {
	for i := s; i < e; {
		r, w := utf8.DecodeRuneInString(text[i:e])
		i += w
		wide, narrow := isSentenceEnd(r)
		if level == levelClause {
			wide, narrow = isClauseEnd(r)
		}
		if !wide && !narrow {
			continue
		}
		end := i
		for end < e {
			c, cw := utf8.DecodeRuneInString(text[end:e])
			if !strings.ContainsRune(`"')]’”」』）》`, c) {
				break
			}
			end += cw
		}
		next := skipSpace(text, end, e)
		if narrow && next == end {
			continue // "3.14", "e.g.x": not a boundary
		}
		add(end, next)
		i = next
	}
}

func isSentenceEnd(r rune) (wide, narrow bool) {
	switch r {
	case '。', '！', '？', '｡':
		return true, false
	case '.', '!', '?', '…':
		return false, true
	}
	return false, false
}

func isClauseEnd(r rune) (wide, narrow bool) {
	switch r {
	case '；', '，', '、', '：':
		return true, false
	case ';', ',', ':':
		return false, true
	}
	return false, false
}

func skipSpace(text string, i, e int) int {
	for i < e {
		r, w := utf8.DecodeRuneInString(text[i:e])
		if !unicode.IsSpace(r) {
			break
		}
		i += w
	}
	return i
}

// isCJK reports whether r belongs to a script written without spaces
// between words, or is CJK punctuation.
func isCJK(r rune) bool {
	if r < 0x2E80 {
		return false
	}
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) ||
		r >= 0x3000 && r <= 0x303F || r >= 0xFF00 && r <= 0xFFEF
}

// pack joins pieces into chunk bodies [start, end), with overlap.
func (sp *splitter) pack(overlap int) [][2]int {
	ps := sp.pieces
	if len(ps) == 0 {
		return nil
	}
	gaps := make([]int, len(ps)) // runes between a piece and the one before
	for i := 1; i < len(ps); i++ {
		gaps[i] = utf8.RuneCountInString(sp.text[ps[i-1].end:ps[i].start])
	}
	var out [][2]int
	cum := make([]int, 0, 64)
	start, startRunes := ps[0].start, ps[0].runes
	for i := 0; i < len(ps); {
		cum = append(cum[:0], startRunes)
		j := i
		for j+1 < len(ps) && cum[j-i]+gaps[j+1]+ps[j+1].runes <= sp.size {
			j++
			cum = append(cum, cum[j-1-i]+gaps[j]+ps[j].runes)
		}
		k := j
		if j+1 < len(ps) { // end at the strongest boundary in the second half
			best := ps[j+1].before
			for m := j - 1; m >= i && cum[m-i] >= sp.size/2; m-- {
				if ps[m+1].before < best {
					best, k = ps[m+1].before, m
				}
			}
		}
		out = append(out, [2]int{start, ps[k].end})
		if k+1 >= len(ps) {
			break
		}
		i = k + 1
		start, startRunes = ps[i].start, ps[i].runes
		if o := sp.overlapStart(out[len(out)-1][0], ps[k].end, overlap); o < ps[k].end {
			if n := utf8.RuneCountInString(sp.text[o:ps[i].end]); n <= sp.size {
				start, startRunes = o, n
			}
		}
	}
	return out
}

// overlapStart returns where the next chunk starts to repeat at most
// overlap runes before end: the first word start after stepping back; end
// when there is none after from.
func (sp *splitter) overlapStart(from, end, overlap int) int {
	if overlap <= 0 {
		return end
	}
	p := end
	for n := 0; p > from && n < overlap; n++ {
		_, w := utf8.DecodeLastRuneInString(sp.text[from:p])
		p -= w
	}
	for p < end && !wordStart(sp.text, p) {
		_, w := utf8.DecodeRuneInString(sp.text[p:end])
		p += w
	}
	if p <= from {
		return end
	}
	return p
}

// wordStart reports whether a word (or a CJK character) starts at i.
func wordStart(text string, i int) bool {
	if i <= 0 || i >= len(text) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	prev, _ := utf8.DecodeLastRuneInString(text[:i])
	if unicode.IsSpace(r) {
		return false
	}
	return unicode.IsSpace(prev) || isCJK(r) || isCJK(prev)
}
