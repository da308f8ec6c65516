package retrieval

import (
	"regexp"
	"strings"
)

// Document identity. A document's title and file name are a field of
// every one of its chunks: a question term found there adds
// TitleWeight × its idf (and query weight) to each chunk of the document
// that the question reaches, and counts as covered for the relevance
// floor. So "What was Contoso's revenue in Q3 2023?" reaches the revenue
// table of the file called "2023 Q3 Contoso.pdf" even though the table
// says "the Company". Titles are short, so the field has no length
// normalisation; its terms are weighed with the chunks' idf (a term found
// in no chunk weighs most).

// identities indexes the identity terms of documents by term hash.
type identities struct {
	docs  map[uint64][]uint32 // term hash → slots of the documents having it
	terms map[uint32][]uint64 // slot → its identity's term hashes
}

// add records the identity terms of the document in slot.
func (id *identities) add(slot uint32, hashes []uint64) {
	if len(hashes) == 0 {
		return
	}
	if id.docs == nil {
		id.docs, id.terms = map[uint64][]uint32{}, map[uint32][]uint64{}
	}
	id.terms[slot] = hashes
	for _, h := range hashes {
		id.docs[h] = append(id.docs[h], slot)
	}
}

// remove forgets the identity of the document in slot.
func (id *identities) remove(slot uint32) {
	for _, h := range id.terms[slot] {
		list := id.docs[h]
		for i, s := range list {
			if s == slot {
				list[i] = list[len(list)-1]
				list = list[:len(list)-1]
				break
			}
		}
		if len(list) == 0 {
			delete(id.docs, h)
		} else {
			id.docs[h] = list
		}
	}
	delete(id.terms, slot)
}

// score adds, for every document whose identity has a query term, the
// term's weight to s.tacc and its bit to s.tmask (by slot).
func (id *identities) score(q []queryTerm, s *scratch, slots int) {
	if len(id.docs) == 0 {
		return
	}
	s.growTitles(slots)
	for _, t := range q {
		for _, slot := range id.docs[t.hash] {
			if s.tacc[slot] == 0 && s.tmask[slot] == 0 {
				s.ttouched = append(s.ttouched, slot)
			}
			s.tacc[slot] += float32(t.weight)
			s.tmask[slot] |= t.bit
		}
	}
}

// blend adds weight × the identity score of each touched chunk's document
// to the chunk and marks the document's matched terms as covered.
func (id *identities) blend(s *scratch, weight float64) {
	if len(s.ttouched) == 0 {
		return
	}
	for i, o := range s.touched {
		slot := s.tslot[i]
		if int(slot) < len(s.tmask) && s.tmask[slot] != 0 {
			s.acc[o] += scaled(float32(weight), s.tacc[slot])
			s.mask[o] |= s.tmask[slot]
		}
	}
}

// identityHashes returns the distinct term hashes of a document's
// identity text.
func (ix *Index) identityHashes(text string) []uint64 {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	var out []uint64
	_ = ix.an.Analyze(text).each(func(term []byte, _ int) bool {
		out = append(out, termHash(term))
		return true
	})
	return out
}

// Identity returns the identity text of a document: its title and its
// file name made readable (a term in both counts once).
func Identity(title, filename string) string {
	return strings.TrimSpace(title + "\n" + ReadableName(filename))
}

var (
	nameSeparators = regexp.MustCompile(`[\s_\-.+~,;]+`)
	compactDate    = regexp.MustCompile(`\b((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\b`)
	camelBoundary  = regexp.MustCompile(`(\p{Ll})(\p{Lu})`)
)

// ReadableName turns a file name into words: the directory and extension
// dropped, separators and camelCase boundaries made spaces, and compact
// dates split into year, month and day ("aapl-20230701-10q.pdf" →
// "aapl 2023 07 01 10q").
func ReadableName(filename string) string {
	name := filename[strings.LastIndexAny(filename, `/\`)+1:]
	if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 6 {
		name = name[:i]
	}
	name = camelBoundary.ReplaceAllString(name, "$1 $2")
	name = nameSeparators.ReplaceAllString(name, " ")
	name = compactDate.ReplaceAllString(name, "$1 $2 $3")
	return strings.TrimSpace(name)
}
