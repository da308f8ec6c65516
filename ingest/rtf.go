package ingest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"

	"golang.org/x/text/encoding/charmap"
)

// RTF: a small reader of the RTF 1.9 syntax (there is no maintained Go
// library for it): groups, control words and symbols, \'hh bytes in the
// document's ANSI code page (\ansicpg, Windows-1252 by default), \uN
// Unicode characters with their \ucN fallbacks skipped. \par and \line end
// lines, \tab is a tab, \cell and \row lay table rows out as cells joined
// by " | ". Destinations that are not text (font and colour tables, style
// sheets, pictures, objects, fields' instructions, \* ones) are skipped;
// the title comes from \info's \title. Group nesting is bounded.

const maxRTFDepth = 512

// rtfSkip lists destinations whose content is not document text.
var rtfSkip = map[string]bool{
	"fonttbl": true, "colortbl": true, "stylesheet": true, "pict": true, "object": true, "fldinst": true,
	"header": true, "footer": true, "headerl": true, "headerr": true, "footerl": true, "footerr": true,
	"listtable": true, "listoverridetable": true, "rsidtbl": true, "generator": true, "xmlnstbl": true,
	"themedata": true, "colorschememapping": true, "datastore": true, "latentstyles": true, "info": true,
	"filetbl": true, "revtbl": true, "pgdsctbl": true, "bkmkstart": true, "bkmkend": true,
}

type rtfState struct {
	skip  bool
	uc    int  // bytes to skip after \uN
	title bool // inside \info's \title
}

func parseRTF(ctx context.Context, b []byte, lim Limits) (*Extracted, error) {
	var (
		out       strings.Builder
		title     strings.Builder
		row       []string
		cell      strings.Builder
		inTable   bool
		stack     []rtfState
		st        = rtfState{uc: 1}
		skipBytes int
		cp        = charmap.Windows1252
		pendingHi rune
	)
	emit := func(s string) {
		switch {
		case st.title:
			if title.Len() < 1024 {
				title.WriteString(s)
			}
		case st.skip:
		case inTable:
			cell.WriteString(s)
		default:
			out.WriteString(s)
		}
	}
	endCell := func() {
		row = append(row, strings.Join(strings.Fields(cell.String()), " "))
		cell.Reset()
	}
	for i := 0; i < len(b); {
		if i&0xFFFF == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err := lim.checkText(int64(out.Len())); err != nil {
			return nil, err
		}
		c := b[i]
		if skipBytes > 0 && c != '{' && c != '}' {
			skipBytes--
			if c == '\\' && i+1 < len(b) && b[i+1] == '\'' {
				i += 4
			} else if c == '\\' {
				_, _, n := rtfControl(b[i:])
				i += n
			} else {
				i++
			}
			continue
		}
		switch c {
		case '{':
			if len(stack) >= maxRTFDepth {
				return nil, fmt.Errorf("%w: RTF groups nested too deep", ErrCorrupt)
			}
			stack = append(stack, st)
			i++
		case '}':
			if len(stack) > 0 {
				st = stack[len(stack)-1]
				stack = stack[:len(stack)-1]
			}
			skipBytes = 0
			i++
		case '\\':
			word, arg, n := rtfControl(b[i:])
			i += n
			switch word {
			case "\\'":
				if st.skip && !st.title {
					break
				}
				if v, err := strconv.ParseUint(arg, 16, 8); err == nil {
					emit(string(cp.DecodeByte(byte(v))))
				}
			case "u":
				v, _ := strconv.Atoi(arg)
				r := rune(int16(v))
				if r < 0 {
					r += 65536
				}
				if utf16.IsSurrogate(r) && r < 0xDC00 {
					pendingHi = r
				} else if pendingHi != 0 {
					emit(string(utf16.DecodeRune(pendingHi, r)))
					pendingHi = 0
				} else {
					emit(string(r))
				}
				skipBytes = st.uc
			case "uc":
				st.uc, _ = strconv.Atoi(arg)
				st.uc = min(max(st.uc, 0), 8)
			case "ansicpg":
				if n, err := strconv.Atoi(arg); err == nil {
					if m := windowsCodePage(n); m != nil {
						cp = m
					}
				}
			case "*":
				st.skip = true
			case "title":
				st.title = true
			case "par", "line", "sect", "page":
				emit("\n")
			case "tab":
				emit("\t")
			case "emdash":
				emit("—")
			case "endash":
				emit("–")
			case "lquote", "rquote":
				emit("'")
			case "ldblquote", "rdblquote":
				emit("\"")
			case "bullet":
				emit("•")
			case "~":
				emit("\u00a0")
			case "trowd":
				if !inTable {
					inTable, row = true, row[:0]
				}
			case "cell":
				if inTable {
					endCell()
				}
			case "row":
				if inTable {
					if strings.TrimSpace(cell.String()) != "" {
						endCell()
					}
					inTable = false
					emit(strings.Join(row, " | ") + "\n")
					row = row[:0]
				}
			case "\\", "{", "}":
				emit(word)
			default:
				if rtfSkip[word] {
					st.skip = true
				}
			}
		case '\r', '\n':
			i++
		default:
			j := i
			for j < len(b) && b[j] != '\\' && b[j] != '{' && b[j] != '}' && b[j] != '\r' && b[j] != '\n' {
				j++
			}
			if !st.skip || st.title {
				if s, err := cp.NewDecoder().Bytes(b[i:j]); err == nil {
					emit(string(s))
				}
			}
			i = j
		}
	}
	return &Extracted{Text: Normalize(out.String()), Title: Normalize(title.String())}, nil
}

// rtfControl reads the control word or symbol at the start of b (which
// begins with a backslash): its name, its numeric or hex argument, and
// the bytes it takes, including one delimiting space.
func rtfControl(b []byte) (word, arg string, n int) {
	if len(b) < 2 {
		return "", "", len(b)
	}
	c := b[1]
	switch {
	case c == '\'':
		end := min(len(b), 4)
		return "\\'", string(b[2:end]), end
	case !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'):
		return string(c), "", 2
	}
	i := 1
	for i < len(b) && i < 64 && (b[i] >= 'a' && b[i] <= 'z' || b[i] >= 'A' && b[i] <= 'Z') {
		i++
	}
	word = string(b[1:i])
	j := i
	if j < len(b) && b[j] == '-' {
		j++
	}
	for j < len(b) && j-i < 11 && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	arg = string(b[i:j])
	if j < len(b) && b[j] == ' ' {
		j++
	}
	return word, arg, j
}

// windowsCodePage returns the 8-bit Windows code page n, if known.
func windowsCodePage(n int) *charmap.Charmap {
	switch n {
	case 874:
		return charmap.Windows874
	case 1250:
		return charmap.Windows1250
	case 1251:
		return charmap.Windows1251
	case 1252:
		return charmap.Windows1252
	case 1253:
		return charmap.Windows1253
	case 1254:
		return charmap.Windows1254
	case 1255:
		return charmap.Windows1255
	case 1256:
		return charmap.Windows1256
	case 1257:
		return charmap.Windows1257
	case 1258:
		return charmap.Windows1258
	}
	return nil
}
