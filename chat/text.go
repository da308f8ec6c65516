package chat

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// splitSentences splits text into sentences: after . ! ? followed by a
// space (not after an abbreviation, an initial or before a lowercase word),
// after 。！？, at blank lines, before list items and after a title line. Line breaks inside a
// paragraph are joined (PDF text is hard-wrapped), without a space between
// CJK characters.
func splitSentences(text string) []string {
	var out []string
	start := 0
	cut := func(end int) {
		if s := normalizeSpace(text[start:end]); s != "" {
			out = append(out, trimListMarker(s))
		}
		start = end
	}
	for i := 0; i < len(text); {
		switch c := text[i]; {
		case c == '\n':
			if paragraphBreak(text[i+1:]) || titleLine(text[start:i], text[i+1:]) {
				cut(i)
			}
			i++
		case c == '.' || c == '!' || c == '?':
			end := i + 1 + closers(text[i+1:])
			if sentenceEnd(text[start:end], text[end:]) {
				cut(end)
			}
			i = end
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRuneInString(text[i:])
			i += size
			if r == '。' || r == '！' || r == '？' {
				i += closers(text[i:])
				cut(i)
			}
		}
	}
	cut(len(text))
	return out
}

// normalizeSpace trims s and turns each run of white space inside it into
// one space, or none between two CJK characters.
func normalizeSpace(s string) string {
	s = strings.TrimSpace(s)
	if !irregularSpace(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && !(isWide(r) && isWideEnd(b.String())) {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// irregularSpace reports whether s may hold white space other than single
// ASCII spaces (it errs towards yes for some non-ASCII text).
func irregularSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ':
			if i+1 < len(s) && s[i+1] == ' ' {
				return true
			}
		case c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f':
			return true
		case c == 0xC2 || c == 0xE1 || c == 0xE2 || c == 0xE3:
			// lead bytes of U+0085, U+00A0, U+1680, U+2000–U+205F, U+3000
			r, _ := utf8.DecodeRuneInString(s[i:])
			if unicode.IsSpace(r) {
				return true
			}
		}
	}
	return false
}

// paragraphBreak reports whether the text after a line break starts a new
// block: a blank line, a list item or a Markdown heading.
func paragraphBreak(rest string) bool {
	line := strings.TrimLeft(rest, " \t\r")
	if line == "" || line[0] == '\n' || line[0] == '#' || strings.HasPrefix(line, "• ") {
		return true
	}
	if (line[0] == '-' || line[0] == '*') && len(line) > 1 && line[1] == ' ' {
		return true
	}
	digits := 0
	for digits < len(line) && '0' <= line[digits] && line[digits] <= '9' {
		digits++
	}
	return digits > 0 && digits < len(line)-1 && (line[digits] == '.' || line[digits] == ')') && line[digits+1] == ' '
}

// titleLine reports whether line, the text of a sentence so far ending at a
// line break, is a title or heading on its own line ("Expenses" above
// "Meal expenses are ..."): a few words without final punctuation, and the
// next line starts with a capital letter.
func titleLine(line, rest string) bool {
	line = strings.TrimSpace(line)
	words := strings.Fields(line)
	if len(words) == 0 || len(words) > 6 || len(line) > 60 || strings.Contains(line, "\n") ||
		strings.ContainsAny(line[len(line)-1:], ".,;:!?-") || isStopWord(strings.ToLower(words[len(words)-1])) {
		return false
	}
	first, _ := utf8.DecodeRuneInString(line)
	next, _ := utf8.DecodeRuneInString(strings.TrimLeft(rest, " \t\r"))
	return unicode.IsUpper(first) && unicode.IsUpper(next)
}

// closers returns the length of the closing quotes and brackets at the
// start of s.
func closers(s string) int {
	n := 0
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		if !strings.ContainsRune(`"')]”’」』）`, r) {
			break
		}
		n += size
	}
	return n
}

// isAbbreviation reports whether word, followed by a full stop, rarely
// ends a sentence.
func isAbbreviation(word string) bool {
	switch word {
	case "mr", "mrs", "ms", "dr", "prof", "st", "inc", "ltd", "co", "corp",
		"vs", "etc", "e.g", "i.e", "fig", "no", "vol", "approx", "jan", "feb",
		"mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec":
		return true
	}
	return false
}

// sentenceEnd reports whether the ASCII . ! or ? that ends sofar ends a
// sentence, given the text after it.
func sentenceEnd(sofar, after string) bool {
	if after != "" {
		r, _ := utf8.DecodeRuneInString(after)
		if !unicode.IsSpace(r) {
			return false // "3.5", "example.com", "?!"
		}
		next, _ := utf8.DecodeRuneInString(strings.TrimLeft(after, " \t\r\n"))
		if unicode.IsLower(next) || unicode.IsDigit(next) {
			return false
		}
	}
	sofar = strings.TrimRight(sofar, `"')]”’`)
	if !strings.HasSuffix(sofar, ".") {
		return true
	}
	word := sofar[strings.LastIndexAny(sofar, " \t\n(")+1:]
	word = strings.ToLower(strings.Trim(strings.TrimSuffix(word, "."), `"'“‘([`))
	if utf8.RuneCountInString(word) == 1 && unicode.IsLetter([]rune(word)[0]) {
		return false // an initial: "J. Smith"
	}
	return !isAbbreviation(word) && !strings.Contains(word, ".") // "U.S."
}

// trimListMarker removes a leading "- ", "* ", "• " or "#" marker.
func trimListMarker(s string) string {
	t := strings.TrimLeft(s, "#")
	for _, m := range []string{"- ", "* ", "• "} {
		t = strings.TrimPrefix(t, m)
	}
	if t = strings.TrimSpace(t); t != "" {
		return t
	}
	return s
}

// terms returns the distinct, sorted search terms of text (see
// forEachTerm).
func terms(text string) []string {
	out := make([]string, 0, len(text)/8)
	forEachTerm(text, func(t []byte) { out = append(out, string(t)) })
	slices.Sort(out)
	return slices.Compact(out)
}

// forEachTerm calls fn with each search term of text, in order, repeats
// included: lower-cased words of two letters or more (or digits) that are
// not stop words, full-width ASCII folded; and the character bigrams of CJK
// runs that contain no stop character (a lone CJK character stands for
// itself). The bytes passed to fn are only valid during the call.
func forEachTerm(text string, fn func(term []byte)) {
	// fn may keep what it is given, so these escape: allocate them once.
	word, bg := make([]byte, 0, 64), make([]byte, 0, 8)
	var rbuf [16]rune
	run := rbuf[:0]
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		i += size
		if 0xFF01 <= r && r <= 0xFF5E {
			r -= 0xFEE0 // full-width ASCII
		}
		lower := rune(-1)
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			lower = r
		case 'A' <= r && r <= 'Z':
			lower = r + 'a' - 'A'
		case r < utf8.RuneSelf:
		case isCJK(r):
			emitWord(word, fn)
			word = word[:0]
			run = append(run, r)
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			lower = unicode.ToLower(r)
		}
		if lower >= 0 {
			emitBigrams(run, bg, fn)
			run = run[:0]
			word = utf8.AppendRune(word, lower)
			continue
		}
		emitWord(word, fn)
		word = word[:0]
		emitBigrams(run, bg, fn)
		run = run[:0]
	}
	emitWord(word, fn)
	emitBigrams(run, bg, fn)
}

// emitWord passes word to fn unless it is a stop word or a single letter.
func emitWord(word []byte, fn func([]byte)) {
	if len(word) == 0 || (len(word) == 1 && (word[0] < '0' || word[0] > '9')) || isStopWord(string(word)) {
		return
	}
	fn(word)
}

// emitBigrams passes the usable bigrams of a CJK run to fn, encoded in
// buf.
func emitBigrams(run []rune, buf []byte, fn func([]byte)) {
	if len(run) == 1 && !isStopChar(run[0]) {
		fn(utf8.AppendRune(buf[:0], run[0]))
		return
	}
	for i := 0; i+1 < len(run); i++ {
		if isStopChar(run[i]) || isStopChar(run[i+1]) {
			continue
		}
		bg := utf8.AppendRune(utf8.AppendRune(buf[:0], run[i]), run[i+1])
		if !isStopWord(string(bg)) {
			fn(bg)
		}
	}
}

// isStopWord reports whether a lower-cased word or CJK bigram is too common
// to be a search term: function words, and the words of questions.
func isStopWord(w string) bool {
	switch w {
	case "a", "an", "the", "and", "or", "but", "if", "then", "else", "of", "to",
		"in", "on", "at", "by", "for", "with", "about", "as", "from", "into",
		"onto", "over", "under", "than", "so", "not", "no", "nor", "yes",
		"is", "are", "was", "were", "be", "been", "being", "am", "do", "does",
		"did", "done", "doing", "have", "has", "had", "having", "get", "got",
		"it", "its", "this", "that", "these", "those", "there", "here",
		"what", "which", "who", "whom", "whose", "when", "where", "why", "how",
		"can", "could", "would", "should", "will", "shall", "may", "might", "must",
		"i", "me", "my", "we", "our", "us", "you", "your", "he", "him", "his",
		"she", "her", "they", "them", "their", "one", "ones",
		"very", "just", "also", "only", "any", "some", "all", "each", "every",
		"more", "most", "much", "many", "such", "other", "same", "own",
		"tell", "please", "give", "explain", "describe", "say", "says", "said",
		"know", "let", "like", "want", "need", "doesn", "don", "isn", "aren",
		"didn", "won", "ll", "re", "ve":
		return true
	case "什么", "怎么", "怎样", "如何", "为何", "哪些", "哪里", "哪个", "多少",
		"可以", "一个", "没有", "我们", "你们", "他们", "这个", "那个", "请问",
		"是否", "能否", "关于", "为什", "这些", "那些", "告诉", "知道":
		return true
	}
	return false
}

// isStopChar reports whether a CJK character is a function word that never
// makes a useful bigram.
func isStopChar(r rune) bool {
	return strings.ContainsRune("的了吗呢吧啊么着过是在和与及或也都就还又被把这那哪什怎谁嘛呀之其而并但我你他她它们请", r)
}
