package chat

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// splitSentences splits text into sentences: after . ! ? followed by a
// space (not after an abbreviation, an initial or before a lowercase word),
// after 。！？, at blank lines and before list items. Line breaks inside a
// paragraph are joined (PDF text is hard-wrapped), without a space between
// CJK characters.
func splitSentences(text string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, trimListMarker(s))
		}
		cur.Reset()
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		rest := text[i+size:]
		switch {
		case r == '\n' || r == '\r':
			if paragraphBreak(rest) {
				flush()
			} else {
				joinLine(&cur, rest)
			}
		case unicode.IsSpace(r):
			if cur.Len() > 0 && !strings.HasSuffix(cur.String(), " ") {
				cur.WriteByte(' ')
			}
		case r == '。' || r == '！' || r == '？' || r == '!' || r == '?' || r == '.':
			cur.WriteRune(r)
			n := closers(rest)
			cur.WriteString(rest[:n])
			size += n
			if r >= utf8.RuneSelf || sentenceEnd(cur.String(), text[i+size:]) {
				flush()
			}
		default:
			cur.WriteRune(r)
		}
		i += size
	}
	flush()
	return out
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

// joinLine joins a hard-wrapped line to the sentence in progress.
func joinLine(cur *strings.Builder, rest string) {
	next, _ := utf8.DecodeRuneInString(strings.TrimLeft(rest, " \t"))
	if cur.Len() == 0 || strings.HasSuffix(cur.String(), " ") || (isWideEnd(cur.String()) && isWide(next)) {
		return
	}
	cur.WriteByte(' ')
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
	word := sofar[strings.LastIndexAny(sofar, " (")+1:]
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

// terms returns the distinct, sorted search terms of text: lower-cased
// words of two letters or more that are not stop words (full-width ASCII
// folded), and the character bigrams of CJK runs that contain no stop
// character (a lone CJK character stands for itself).
func terms(text string) []string {
	var out []string
	var word []byte
	var run []rune
	flushWord := func() {
		if len(word) > 1 || (len(word) == 1 && '0' <= word[0] && word[0] <= '9') {
			if w := string(word); !isStopWord(w) {
				out = append(out, w)
			}
		}
		word = word[:0]
	}
	flushRun := func() {
		out = appendBigrams(out, run)
		run = run[:0]
	}
	for _, r := range text {
		if 0xFF01 <= r && r <= 0xFF5E {
			r -= 0xFEE0 // full-width ASCII
		}
		switch {
		case isCJK(r):
			flushWord()
			run = append(run, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			flushRun()
			word = utf8.AppendRune(word, unicode.ToLower(r))
		default:
			flushWord()
			flushRun()
		}
	}
	flushWord()
	flushRun()
	slices.Sort(out)
	return slices.Compact(out)
}

// appendBigrams appends the usable bigrams of a CJK run to out.
func appendBigrams(out []string, run []rune) []string {
	if len(run) == 1 && !isStopChar(run[0]) {
		return append(out, string(run))
	}
	for i := 0; i+1 < len(run); i++ {
		if isStopChar(run[i]) || isStopChar(run[i+1]) {
			continue
		}
		if bg := string(run[i : i+2]); !isStopWord(bg) {
			out = append(out, bg)
		}
	}
	return out
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
