package chat

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// EstimateTokens returns an offline estimate of the number of tokens text
// costs a modern BPE tokenizer (GPT-4o's, Llama 3's), without any
// vocabulary file:
//
//   - a CJK character (Han, kana, Hangul) or full-width punctuation mark
//     counts one token;
//   - any other text counts one token per four bytes, where ASCII digits,
//     punctuation and symbols weigh two bytes each (tokenizers split them
//     finely) and non-ASCII letters weigh their UTF-8 length.
//
// The estimate errs on the high side: English prose comes out 10–30% above
// the real count, Chinese about even, numbers and code above. Budgets built
// on it therefore leave the model a little spare context rather than
// overflow it.
func EstimateTokens(text string) int {
	tokens, units := 0, 0
	for i := 0; i < len(text); {
		if c := text[i]; c < utf8.RuneSelf {
			units += asciiUnits(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if isWide(r) {
			tokens++
		} else {
			units += size
		}
		i += size
	}
	return tokens + (units+3)/4
}

// asciiUnits is the weight of an ASCII byte, in quarter tokens.
func asciiUnits(c byte) int {
	if l := c | 0x20; ('a' <= l && l <= 'z') || c == ' ' {
		return 1
	}
	return 2
}

// isWide reports whether r counts as a token of its own: CJK characters
// and the full-width punctuation that goes with them.
func isWide(r rune) bool {
	if r < 0x2E80 {
		return false
	}
	return isCJK(r) || (0x3000 <= r && r <= 0x303F) || (0xFF00 <= r && r <= 0xFFEF)
}

// isCJK reports whether r is a Han, kana or Hangul character: text written
// without spaces between words.
func isCJK(r rune) bool {
	if r < 0x2E80 {
		return false
	}
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// truncateTokens shortens text to at most max estimated tokens, cutting at a
// sentence or word boundary when one is near and marking the cut with "…".
// Text that fits is returned unchanged.
func truncateTokens(text string, max int) string {
	if max <= 0 {
		return ""
	}
	if EstimateTokens(text) <= max {
		return text
	}
	budget := 4*(max-1) - 3 // in quarter tokens, keeping one token for "…"
	cut, used := 0, 0
	for i, r := range text {
		cost := 4
		switch {
		case r < utf8.RuneSelf:
			cost = asciiUnits(byte(r))
		case !isWide(r):
			cost = utf8.RuneLen(r)
		}
		if used+cost > budget {
			break
		}
		used += cost
		cut = i + utf8.RuneLen(r)
	}
	return cutAtBoundary(text[:cut]) + "…"
}

// cutAtBoundary drops a trailing partial word or sentence from s when a
// boundary lies in its last third.
func cutAtBoundary(s string) string {
	floor := len(s) * 2 / 3
	if i := strings.LastIndexAny(s, ".!?。！？\n"); i >= floor {
		_, size := utf8.DecodeRuneInString(s[i:])
		return s[:i+size]
	}
	if i := strings.LastIndexAny(s, " \t，、,;；"); i >= floor {
		return strings.TrimRight(s[:i], " \t，、,;；")
	}
	return s
}
