package retrieval

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
)

// Segments. A segment is an immutable part of the index persisted in one
// file (segfile.go) and used in place from a memory mapping: what a search
// reads of it is paged in when read, the rest stays on disk. It holds a
// run of chunks numbered by local ordinals (document by document, each
// document's in chunk id order) and, by ordinal or by term:
//
//	info       counts, vector dimension and code width, analyser version
//	ids        chunk id           docOf   document (row of docs)
//	start/end/page                content hash        tokens (BM25 length)
//	docs       id, owner, ordinals, identity terms, tokens (5 words a row)
//	identity   term hashes of the documents' titles and file names
//	terms      sorted term hashes, posting offsets, document frequencies
//	postings   per term: uvarint(ordinal delta), uvarint(tf)… (as bm25's)
//	forward    per chunk: uvarint(term delta), uvarint(tf)… (for deletes
//	           and coverage: which terms a chunk has)
//	blocks     runs of at most maxBlock chunks of one document (first
//	           ordinals), and per term a block list: where its postings
//	           fall by block, with their sums and bounds (segment_blocks.go)
//	vectors    unit float32 vectors, a bit per chunk that has one, and the
//	           quantised codes, factors and sign codes of vector_quant.go
//
// What changes — which chunks are dead, the document slots and the
// ordinal base in the Index — lives in memory beside it; the manifest
// (persist.go) records the dead chunks.

// segmentVersion is the format version of segment files; a file of
// another version is rebuilt from the store. Version 1: the layout above
// without blocks, term and content hashes by xxhash64; version 2 adds the
// blocks.
const segmentVersion = 2

// Section kinds.
const (
	secInfo uint32 = iota + 1
	secIDs
	secDocOf
	secStart
	secEnd
	secPage
	secContent
	secTokens
	secDocs
	secIdentity
	secTermHash
	secTermOff
	secTermDF
	secPostings
	secFwdOff
	secForward
	secHasVec
	secVectors
	secCodes
	secFactors
	secSigns
	secBlocks
	secBlockPost
	secBlockOff
)

// Fields of the info section (uint64s).
const (
	infoChunks = iota
	infoDocs
	infoTerms
	infoDim
	infoBits
	infoSignWords
	infoTermsVersion
	infoTokens
	infoFields
)

// docWords is the width of a row of the docs section: id, owner,
// first|count<<32, identity offset|length<<32, tokens.
const docWords = 5

// segment is an opened segment file with its in-memory state.
type segment struct {
	name string
	file *sectionFile

	n, nDocs, nTerms  int
	dim, bits, signW  int
	tokens            int64 // over all chunks, dead or not
	ids, content      []uint64
	docOf, docLen     []uint32
	start, end, page  []uint32
	docs, identity    []uint64
	termHash, termOff []uint64
	termDF            []uint32
	postings          []byte
	fwdOff            []uint64
	forward           []byte
	hasVec            []uint64
	vectors, fac      []float32
	codes, signs      []uint64
	blockFirst        []uint32 // first ordinal of each block, then n
	blockPost         []byte   // block lists, term after term
	blockOff          []uint64 // by term: its block list in blockPost

	// In memory, changed under the Index's write lock.
	dead   []uint64 // bitset by ordinal
	nDead  int
	deadDF map[uint32]uint32 // term → dead chunks having it
	of     []uint32          // by ordinal: the document's slot in the Index's docTable
	base   uint32            // ordinal of the first chunk in the Index
	owners map[uint64][]span // owner → its documents' ordinals (ownerSpans)
	// blockLive counts the live chunks of each block, blockSlot is its
	// document's slot (as of); blockBase is the number of blocks of the
	// segments before this one.
	blockLive []uint32
	blockSlot []uint32
	blockBase uint32
}

// openSegment opens, verifies and maps a segment file, and checks that
// its arrays agree with its counts.
func openSegment(path, name string) (*segment, error) {
	sf, err := openSections(path)
	if err != nil {
		return nil, err
	}
	s := &segment{name: name, file: sf}
	if err := s.views(sf.secs); err != nil {
		sf.close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.dead = make([]uint64, (s.n+63)/64)
	s.blockLive = make([]uint32, s.blocks())
	for b := range s.blockLive {
		s.blockLive[b] = s.blockFirst[b+1] - s.blockFirst[b]
	}
	return s, nil
}

// views sets the typed views of the sections and checks their sizes and
// the bounds of every offset table.
func (s *segment) views(secs map[uint32][]byte) error {
	info := viewOf[uint64](secs[secInfo])
	if len(info) != infoFields {
		return fmt.Errorf("info section of %d fields: %w", len(info), errSegment)
	}
	if info[infoTermsVersion] != termsVersion {
		return fmt.Errorf("terms of analyser %d: %w", info[infoTermsVersion], errSegment)
	}
	s.n, s.nDocs, s.nTerms = int(info[infoChunks]), int(info[infoDocs]), int(info[infoTerms])
	s.dim, s.bits, s.signW = int(info[infoDim]), int(info[infoBits]), int(info[infoSignWords])
	s.tokens = int64(info[infoTokens])
	s.ids, s.content = viewOf[uint64](secs[secIDs]), viewOf[uint64](secs[secContent])
	s.docOf, s.docLen = viewOf[uint32](secs[secDocOf]), viewOf[uint32](secs[secTokens])
	s.start, s.end, s.page = viewOf[uint32](secs[secStart]), viewOf[uint32](secs[secEnd]), viewOf[uint32](secs[secPage])
	s.docs, s.identity = viewOf[uint64](secs[secDocs]), viewOf[uint64](secs[secIdentity])
	s.termHash, s.termOff, s.termDF = viewOf[uint64](secs[secTermHash]), viewOf[uint64](secs[secTermOff]), viewOf[uint32](secs[secTermDF])
	s.postings, s.forward = secs[secPostings], secs[secForward]
	s.fwdOff = viewOf[uint64](secs[secFwdOff])
	s.hasVec, s.vectors = viewOf[uint64](secs[secHasVec]), viewOf[float32](secs[secVectors])
	s.codes, s.fac, s.signs = viewOf[uint64](secs[secCodes]), viewOf[float32](secs[secFactors]), viewOf[uint64](secs[secSigns])
	s.blockFirst, s.blockPost, s.blockOff = viewOf[uint32](secs[secBlocks]), secs[secBlockPost], viewOf[uint64](secs[secBlockOff])
	n := s.n
	stride := (s.dim + 63) / 64 * s.bits
	sizes := []struct{ got, want int }{
		{len(s.ids), n}, {len(s.content), n}, {len(s.docOf), n}, {len(s.docLen), n},
		{len(s.start), n}, {len(s.end), n}, {len(s.page), n},
		{len(s.docs), docWords * s.nDocs}, {len(s.termHash), s.nTerms}, {len(s.termOff), s.nTerms + 1},
		{len(s.termDF), s.nTerms}, {len(s.fwdOff), n + 1}, {len(s.blockOff), s.nTerms + 1},
	}
	if s.dim > 0 {
		sizes = append(sizes, []struct{ got, want int }{{len(s.hasVec), (n + 63) / 64}, {len(s.vectors), n * s.dim},
			{len(s.codes), n * stride}, {len(s.fac), 3 * n}, {len(s.signs), n * s.signW}}...)
	}
	for i, sz := range sizes {
		if sz.got != sz.want {
			return fmt.Errorf("array %d has %d entries, want %d: %w", i, sz.got, sz.want, errSegment)
		}
	}
	if !offsetsOK(s.termOff, len(s.postings)) || !offsetsOK(s.fwdOff, len(s.forward)) || !offsetsOK(s.blockOff, len(s.blockPost)) ||
		!slices.IsSorted(s.termHash) || !blocksOK(s.blockFirst, n) {
		return fmt.Errorf("offsets or order: %w", errSegment)
	}
	next := uint32(0)
	for d := range s.nDocs {
		first, count := s.docRange(d)
		idOff, idLen := splitWord(s.docs[docWords*d+3])
		if first != next || count == 0 || int(first)+int(count) > n || int(idOff)+int(idLen) > len(s.identity) ||
			!slices.IsSorted(s.ids[first:first+count]) {
			return fmt.Errorf("document row %d: %w", d, errSegment)
		}
		next = first + count
	}
	if int(next) != n {
		return fmt.Errorf("documents cover %d of %d chunks: %w", next, n, errSegment)
	}
	if !s.blocksInRows() {
		return fmt.Errorf("a block spans documents: %w", errSegment)
	}
	return nil
}

// offsetsOK reports whether off is non-decreasing from 0 and ends at size.
func offsetsOK(off []uint64, size int) bool {
	if len(off) == 0 || off[0] != 0 || off[len(off)-1] != uint64(size) {
		return false
	}
	for i := 1; i < len(off); i++ {
		if off[i] < off[i-1] {
			return false
		}
	}
	return true
}

// splitWord returns the low and high halves of w.
func splitWord(w uint64) (lo, hi uint32) { return uint32(w), uint32(w >> 32) }

// joinWord is the inverse of splitWord.
func joinWord(lo, hi uint32) uint64 { return uint64(lo) | uint64(hi)<<32 }

// docID, docOwner and docTokens read row d of the docs section.
func (s *segment) docID(d int) uint64    { return s.docs[docWords*d] }
func (s *segment) docOwner(d int) uint64 { return s.docs[docWords*d+1] }
func (s *segment) docTokens(d int) int64 { return int64(s.docs[docWords*d+4]) }

// docRange returns the ordinals [first, first+count) of row d.
func (s *segment) docRange(d int) (first, count uint32) { return splitWord(s.docs[docWords*d+2]) }

// docIdentity returns the identity term hashes of row d.
func (s *segment) docIdentity(d int) []uint64 {
	off, n := splitWord(s.docs[docWords*d+3])
	return s.identity[off : off+n : off+n]
}

// term returns the segment's id of the term with hash h.
func (s *segment) term(h uint64) (int, bool) {
	return slices.BinarySearch(s.termHash, h)
}

// list returns the posting list of term t.
func (s *segment) list(t int) []byte {
	return s.postings[s.termOff[t]:s.termOff[t+1]]
}

// df returns the number of live chunks having term t.
func (s *segment) df(t int) uint32 {
	return s.termDF[t] - s.deadDF[uint32(t)]
}

// isDead reports whether ordinal ord is dead.
func (s *segment) isDead(ord uint32) bool { return s.dead[ord>>6]&(1<<(ord&63)) != 0 }

// live returns the number of live chunks.
func (s *segment) live() int { return s.n - s.nDead }

// vector returns the unit vector of ord, or nil if it has none.
func (s *segment) vector(ord uint32) []float32 {
	if s.dim == 0 || s.hasVec[ord>>6]&(1<<(ord&63)) == 0 {
		return nil
	}
	at := int(ord) * s.dim
	return s.vectors[at : at+s.dim : at+s.dim]
}

// eachTerm calls fn with every term id and frequency of chunk ord.
func (s *segment) eachTerm(ord uint32, fn func(t uint32, tf uint32)) {
	data := s.forward[s.fwdOff[ord]:s.fwdOff[ord+1]]
	t := uint32(0)
	for i := 0; i < len(data); {
		d, k := uvarint(data[i:])
		i += k
		tf, k := uvarint(data[i:])
		i += k
		t += uint32(d)
		fn(t, uint32(tf))
	}
}

// kill marks ord dead and takes it out of its terms' document
// frequencies; it returns the chunk's tokens, or false if it was dead.
func (s *segment) kill(ord uint32) (uint32, bool) {
	if s.isDead(ord) {
		return 0, false
	}
	s.dead[ord>>6] |= 1 << (ord & 63)
	s.nDead++
	s.blockLive[s.blockOf(ord)]--
	if s.deadDF == nil {
		s.deadDF = make(map[uint32]uint32)
	}
	s.eachTerm(ord, func(t, _ uint32) { s.deadDF[t]++ })
	return s.docLen[ord], true
}

// deadOrdinals returns the dead ordinals, ascending.
func (s *segment) deadOrdinals() []uint32 {
	var out []uint32
	for w, x := range s.dead {
		for x != 0 {
			out = append(out, uint32(w*64+bits.TrailingZeros64(x)))
			x &= x - 1
		}
	}
	return out
}

// close unmaps the file.
func (s *segment) close() error { return s.file.close() }

// appendDeadList and readDeadList encode a sorted list of ordinals as
// uvarint deltas (the manifest's record of a segment's dead chunks).
func appendDeadList(b []byte, ords []uint32) []byte {
	prev := uint32(0)
	for _, o := range ords {
		b = binary.AppendUvarint(b, uint64(o-prev))
		prev = o
	}
	return b
}

func readDeadList(b []byte, n int) ([]uint32, error) {
	var out []uint32
	prev := uint64(0)
	for len(b) > 0 {
		d, k := binary.Uvarint(b)
		if k <= 0 || prev+d >= uint64(n) || len(out) > 0 && d == 0 {
			return nil, fmt.Errorf("dead list: %w", errSegment)
		}
		prev += d
		out = append(out, uint32(prev))
		b = b[k:]
	}
	return out, nil
}
