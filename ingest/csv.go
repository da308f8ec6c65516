package ingest

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"
)

// maxCSVHeader is the longest column name repeated on every row; a longer
// one is cut at a word boundary with "…" (it is written once per cell).
const maxCSVHeader = 64

// parseCSV renders a table as one line per row, "header: value; header:
// value", so that each row is searchable on its own. Column names are cut
// to maxCSVHeader bytes, and the rows count against the text budget as
// they are written. The delimiter (comma,
// semicolon or tab) is guessed from the first line; ragged rows are fine
// (cells beyond the header are named "column N"), empty cells are left
// out, and malformed quoting is read leniently.
func parseCSV(ctx context.Context, s string, lim Limits) (*Extracted, error) {
	r := csv.NewReader(strings.NewReader(s))
	r.Comma = guessDelimiter(s)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var header []string
	var b strings.Builder
	bad := 0
	for n := 0; ; n++ {
		if n&1023 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if bad++; bad > 1000 {
				break
			}
			continue // a malformed row: csv.Reader resumes at the next line
		}
		if header == nil {
			header = trimAll(rec)
			for i, h := range header {
				header[i] = clip(h, maxCSVHeader)
			}
			continue
		}
		writeRow(&b, header, rec)
		if err := lim.checkText(int64(b.Len())); err != nil {
			return nil, err
		}
	}
	if b.Len() == 0 { // only a header: keep it as text
		b.WriteString(strings.Join(header, "; "))
	}
	return &Extracted{Text: Normalize(b.String())}, nil
}

func trimAll(rec []string) []string {
	out := make([]string, len(rec))
	for i, f := range rec {
		out[i] = strings.TrimSpace(f)
	}
	return out
}

func writeRow(b *strings.Builder, header, rec []string) {
	first := true
	for i, v := range rec {
		v = strings.Join(strings.Fields(v), " ")
		if v == "" {
			continue
		}
		if !first {
			b.WriteString("; ")
		}
		first = false
		name := ""
		if i < len(header) {
			name = header[i]
		}
		if name == "" {
			name = "column " + strconv.Itoa(i+1)
		}
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(v)
	}
	if !first {
		b.WriteByte('\n')
	}
}

// guessDelimiter picks the most frequent of ',', ';' and '\t' in the first
// line (outside quotes), comma by default.
func guessDelimiter(s string) rune {
	line, _, _ := strings.Cut(s[:min(len(s), 64<<10)], "\n")
	counts := map[rune]int{}
	quoted := false
	for _, c := range line {
		switch {
		case c == '"':
			quoted = !quoted
		case !quoted && (c == ',' || c == ';' || c == '\t'):
			counts[c]++
		}
	}
	best := ','
	for _, c := range []rune{';', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}
