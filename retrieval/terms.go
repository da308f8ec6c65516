package retrieval

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
)

// termsVersion is the first byte of every encoded Terms value. It names
// the analysis as well as the layout: version 1 came from the first
// analyser (no letter/digit split, Greek letters kept as they are, no
// acronym plurals); version 2, the current one, has the same layout. Old
// versions stay readable, and the Index re-analyses a chunk whose Terms
// are not Current when it is given the chunk's text.
const (
	termsVersion    = 2
	oldTermsVersion = 1
)

// ErrBadTerms is returned when bytes do not hold a valid Terms encoding.
var ErrBadTerms = errors.New("retrieval: malformed terms encoding")

// Terms is the analysed form of one text: its distinct index terms with
// their frequencies. It is stored compactly, already serialised, so the
// store can persist it at ingest and the index can be rebuilt from it
// without tokenising and stemming again:
//
//	version byte (2) | uvarint distinct terms | uvarint total tokens |
//	per term, in byte order: uvarint shared-prefix length,
//	uvarint suffix length, suffix bytes, uvarint frequency
//
// A nil Terms means "not analysed"; the analysis of a text without any
// term is a short non-nil value.
type Terms []byte

// MarshalBinary returns a copy of the encoding of t.
func (t Terms) MarshalBinary() ([]byte, error) {
	if t == nil {
		return nil, fmt.Errorf("marshal nil terms: %w", ErrBadTerms)
	}
	return append([]byte(nil), t...), nil
}

// UnmarshalBinary checks b and sets *t to a copy of it.
func (t *Terms) UnmarshalBinary(b []byte) error {
	if err := Terms(b).validate(); err != nil {
		return err
	}
	*t = append(Terms(nil), b...)
	return nil
}

// Current reports whether t was made by this version's analyser (it may
// still be a readable encoding of an older one).
func (t Terms) Current() bool { return len(t) > 0 && t[0] == termsVersion }

// Len returns the number of distinct terms.
func (t Terms) Len() int {
	n, _, _, err := t.header()
	if err != nil {
		return 0
	}
	return n
}

// Tokens returns the number of term occurrences (the document length used
// by BM25).
func (t Terms) Tokens() int {
	_, tok, _, err := t.header()
	if err != nil {
		return 0
	}
	return tok
}

// All yields each term with its frequency, in byte order of the terms.
func (t Terms) All() iter.Seq2[string, int] {
	return func(yield func(string, int) bool) {
		t.each(func(term []byte, freq int) bool { return yield(string(term), freq) })
	}
}

// Map returns the terms as a map from term to frequency.
func (t Terms) Map() map[string]int {
	m := make(map[string]int, t.Len())
	for term, f := range t.All() {
		m[term] = f
	}
	return m
}

// header decodes the counts at the start of t and returns the offset of the
// first term.
func (t Terms) header() (distinct, tokens, off int, err error) {
	if len(t) < 1 || t[0] != termsVersion && t[0] != oldTermsVersion {
		return 0, 0, 0, ErrBadTerms
	}
	n, k1 := binary.Uvarint(t[1:])
	if k1 <= 0 {
		return 0, 0, 0, ErrBadTerms
	}
	tok, k2 := binary.Uvarint(t[1+k1:])
	if k2 <= 0 || n > uint64(len(t)) {
		return 0, 0, 0, ErrBadTerms
	}
	return int(n), int(tok), 1 + k1 + k2, nil
}

// each calls fn with every term (valid only during the call) and its
// frequency until fn returns false. It returns an error if t is malformed,
// terms out of order included (checked on the suffixes alone: a term
// sorts after the previous one when its suffix sorts after the previous
// term's bytes past the shared prefix).
func (t Terms) each(fn func(term []byte, freq int) bool) error {
	n, _, off, err := t.header()
	if err != nil {
		return err
	}
	var cur []byte
	for i := range n {
		shared, k := binary.Uvarint(t[off:])
		if k <= 0 || shared > uint64(len(cur)) {
			return ErrBadTerms
		}
		off += k
		suffix, k := binary.Uvarint(t[off:])
		if k <= 0 || suffix > uint64(len(t)-off-k) {
			return ErrBadTerms
		}
		off += k
		tail := t[off : off+int(suffix)]
		if i > 0 && bytes.Compare(tail, cur[shared:]) <= 0 {
			return ErrBadTerms
		}
		cur = append(cur[:shared], tail...)
		off += int(suffix)
		freq, k := binary.Uvarint(t[off:])
		if k <= 0 || freq == 0 {
			return ErrBadTerms
		}
		off += k
		if !fn(cur, int(freq)) {
			return nil
		}
	}
	if off != len(t) {
		return ErrBadTerms
	}
	return nil
}

// validate checks that t is a complete, well-formed encoding whose terms
// are sorted and whose frequencies add up to the token count.
func (t Terms) validate() error {
	_, tokens, _, err := t.header()
	if err != nil {
		return err
	}
	sum := 0
	err = t.each(func(_ []byte, freq int) bool {
		sum += freq
		return true
	})
	if err != nil {
		return err
	}
	if sum != tokens {
		return ErrBadTerms
	}
	return nil
}

// termsEncoder builds a Terms value from terms added in byte order.
type termsEncoder struct {
	body   []byte
	prev   string
	n, tok int
}

// add appends term with frequency freq; terms must come in byte order.
func (e *termsEncoder) add(term string, freq int) {
	shared := 0
	for shared < len(term) && shared < len(e.prev) && term[shared] == e.prev[shared] {
		shared++
	}
	e.body = binary.AppendUvarint(e.body, uint64(shared))
	e.body = binary.AppendUvarint(e.body, uint64(len(term)-shared))
	e.body = append(e.body, term[shared:]...)
	e.body = binary.AppendUvarint(e.body, uint64(freq))
	e.prev = term
	e.n++
	e.tok += freq
}

// finish returns the encoded Terms.
func (e *termsEncoder) finish() Terms {
	out := make(Terms, 0, len(e.body)+12)
	out = append(out, termsVersion)
	out = binary.AppendUvarint(out, uint64(e.n))
	out = binary.AppendUvarint(out, uint64(e.tok))
	return append(out, e.body...)
}
