package ingest

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// checkPDFNumbers guards the PDF library against numbers it trusts: it
// allocates cross-reference tables from /Size, xref subsection headers and
// /Index arrays, loops /N times over an object stream and allocates /Columns
// bytes for PNG predictors. A malformed file with huge values would make it
// allocate gigabytes or spin without reading the file, which no read budget
// or context could interrupt, so such files are refused before parsing.
// The file is scanned in blocks; a value split across two blocks is seen
// whole in the overlap.

const (
	maxPDFObjects = 1 << 22 // cross-reference entries
	maxPDFColumns = 1 << 20
	scanBlock     = 1 << 20
	scanOverlap   = 512
)

func checkPDFNumbers(r io.ReaderAt, size int64) error {
	buf := make([]byte, scanBlock+scanOverlap)
	for off := int64(0); off < size; off += scanBlock {
		n, err := r.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		if n == 0 && err != nil {
			return nil
		}
		if err := checkBlock(buf[:n]); err != nil {
			return err
		}
	}
	return nil
}

func checkBlock(b []byte) error {
	limits := []struct {
		key string
		max int64
	}{{"/Size", maxPDFObjects}, {"/N", maxPDFObjects}, {"/Columns", maxPDFColumns}}
	for _, l := range limits {
		for i := 0; ; {
			j := bytes.Index(b[i:], []byte(l.key))
			if j < 0 {
				break
			}
			i += j + len(l.key)
			if i < len(b) && !isPDFSpace(b[i]) {
				continue // a longer name, such as /Names
			}
			if v, _ := leadingInt(b[i:]); v > l.max {
				return fmt.Errorf("%w: %s %d is out of range", ErrCorrupt, l.key, v)
			}
		}
	}
	if err := checkIndexArrays(b); err != nil {
		return err
	}
	return checkXrefTables(b)
}

// leadingInt parses the integer after optional white space; it returns the
// number of bytes consumed, 0 when there is no integer.
func leadingInt(b []byte) (int64, int) {
	i := 0
	for i < len(b) && isPDFSpace(b[i]) {
		i++
	}
	j := i
	for j < len(b) && j-i < 19 && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	if j == i {
		return 0, 0
	}
	v, _ := strconv.ParseInt(string(b[i:j]), 10, 64)
	return v, j
}

// checkIndexArrays checks "/Index [start count ...]" of xref streams.
func checkIndexArrays(b []byte) error {
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("/Index"))
		if j < 0 {
			return nil
		}
		i += j + len("/Index")
		k := i
		for k < len(b) && isPDFSpace(b[k]) {
			k++
		}
		if k >= len(b) || b[k] != '[' {
			continue
		}
		k++
		for pairs := 0; pairs < 1024; pairs++ {
			start, n1 := leadingInt(b[k:])
			count, n2 := leadingInt(b[k+n1:])
			if n1 == 0 || n2 == 0 {
				break
			}
			if start+count > maxPDFObjects {
				return fmt.Errorf("%w: xref stream index out of range", ErrCorrupt)
			}
			k += n1 + n2
		}
	}
}

// checkXrefTables checks the subsection headers ("start count") of classic
// cross-reference tables, skipping their entries.
func checkXrefTables(b []byte) error {
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("xref"))
		if j < 0 {
			return nil
		}
		at := i + j
		i = at + len("xref")
		if at > 0 && !isPDFSpace(b[at-1]) {
			continue // startxref
		}
		k := i
		for sections := 0; sections < 1<<16; sections++ {
			start, n1 := leadingInt(b[k:])
			count, n2 := leadingInt(b[k+n1:])
			if n1 == 0 || n2 == 0 {
				break
			}
			if start+count > maxPDFObjects {
				return fmt.Errorf("%w: xref table out of range", ErrCorrupt)
			}
			k += n1 + n2
			for e := int64(0); e < count && k < len(b); e++ { // entries: offset generation f|n
				_, a := leadingInt(b[k:])
				_, c := leadingInt(b[k+a:])
				if a == 0 || c == 0 {
					break
				}
				k += a + c
				for k < len(b) && isPDFSpace(b[k]) {
					k++
				}
				if k < len(b) && (b[k] == 'f' || b[k] == 'n') {
					k++
				}
			}
		}
	}
}
