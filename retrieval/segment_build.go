package retrieval

import (
	"fmt"
	"slices"

	"github.com/cespare/xxhash/v2"
)

// Building segments. A segBuilder takes chunks document by document,
// each document's in chunk id order, streams their vectors to the
// file and keeps the rest in memory until finish inverts the terms into
// posting lists and writes the other sections. Memory while building is
// about 20 bytes per posting plus the quantised codes and the block lists
// (a few bytes per term and block); segments are
// built from at most maxSegmentChunks chunks (merges stream instead, see
// segment_merge.go).

// maxSegmentChunks bounds a segment built from chunks (a flush, or one
// step of a rebuild from the store).
const maxSegmentChunks = 1 << 18

// segChunk is one chunk as a segment builder takes it.
type segChunk struct {
	id, doc, owner   uint64
	start, end, page uint32
	content          uint64     // hash of the chunk's Terms (identical passages)
	tokens           uint32     // term occurrences (the BM25 length)
	terms            []termFreq // distinct terms
	vec              []float32  // unit vector, nil if none
	identity         []uint64   // the document's identity terms (read from its first chunk)
}

// termFreq is one distinct term of a chunk.
type termFreq struct {
	hash uint64
	freq uint32
}

// termHash is the hash of an index term: the key of the keyword
// dictionaries, persisted in segments (so it must never change for a
// segment version).
func termHash(term []byte) uint64 { return xxhash.Sum64(term) }

// termHashString is termHash of a string.
func termHashString(term string) uint64 { return xxhash.Sum64String(term) }

// contentHash is the hash of a chunk's Terms, equal for identical passages.
func contentHash(t Terms) uint64 { return xxhash.Sum64(t) }

// termFreqs decodes t into buf (reused) with the terms hashed, and
// returns them with the token count.
func termFreqs(t Terms, buf []termFreq) ([]termFreq, uint32, error) {
	_, tokens, _, err := t.header()
	if err != nil {
		return nil, 0, err
	}
	buf = buf[:0]
	sum := 0
	err = t.each(func(term []byte, freq int) bool {
		sum += freq
		buf = append(buf, termFreq{termHash(term), uint32(freq)})
		return true
	})
	if err != nil || sum != tokens {
		return nil, 0, ErrBadTerms
	}
	return buf, uint32(tokens), nil
}

// segBuilder writes one segment file.
type segBuilder struct {
	w                *sectionWriter
	dim, bits, signW int
	stride           int

	ids, content     []uint64
	docOf, tokens    []uint32
	start, end, page []uint32
	hasVec           []uint64
	codes, signs     []uint64
	fac              []float32
	zero             []float32

	dict     termTable // term hash → builder term id
	hashes   []uint64  // by builder term id
	fwdTerm  []uint32  // builder term ids of every chunk, chunk after chunk
	fwdFreq  []uint32
	fwdEnd   []uint32 // by chunk: end of its terms in fwdTerm
	docs     []uint64 // rows of the docs section
	identity []uint64
	seen     map[uint64]struct{} // documents added
	total    int64
}

// newSegBuilder starts a segment file at path for vectors of dim
// components (0: no vectors) from a lexical embedder or not.
func newSegBuilder(path string, dim int, lexical bool) (*segBuilder, error) {
	w, err := createSections(path)
	if err != nil {
		return nil, err
	}
	b := &segBuilder{w: w, dim: dim, seen: make(map[uint64]struct{})}
	if dim > 0 {
		b.bits = codeBits(dim, lexical)
		b.stride = (dim + 63) / 64 * b.bits
		if b.bits <= 2 {
			b.signW = (dim + 63) / 64
		}
		b.zero = make([]float32, dim)
		w.begin(secVectors)
	}
	return b, nil
}

// len returns the number of chunks added.
func (b *segBuilder) len() int { return len(b.ids) }

// add appends a chunk. A document's chunks must come one after another,
// in chunk id order.
func (b *segBuilder) add(c *segChunk) error {
	n := len(b.ids)
	if n > 0 && c.doc == b.docs[len(b.docs)-docWords] && c.id <= b.ids[n-1] {
		return fmt.Errorf("segment: chunk %d after chunk %d", c.id, b.ids[n-1])
	}
	if c.vec != nil && len(c.vec) != b.dim {
		return fmt.Errorf("segment: vector of length %d, want %d: %w", len(c.vec), b.dim, ErrDimension)
	}
	if rows := len(b.docs) / docWords; rows == 0 || b.docs[docWords*(rows-1)] != c.doc {
		if _, seen := b.seen[c.doc]; seen {
			return fmt.Errorf("segment: chunks of document %d are not contiguous", c.doc)
		}
		b.seen[c.doc] = struct{}{}
		b.docs = append(b.docs, c.doc, c.owner, joinWord(uint32(n), 0),
			joinWord(uint32(len(b.identity)), uint32(len(c.identity))), 0)
		b.identity = append(b.identity, c.identity...)
	}
	row := len(b.docs)/docWords - 1
	b.docs[docWords*row+2] += 1 << 32 // count
	b.docs[docWords*row+4] += uint64(c.tokens)
	b.ids = append(b.ids, c.id)
	b.content = append(b.content, c.content)
	b.docOf = append(b.docOf, uint32(row))
	b.tokens = append(b.tokens, c.tokens)
	b.start, b.end, b.page = append(b.start, c.start), append(b.end, c.end), append(b.page, c.page)
	b.total += int64(c.tokens)
	for _, t := range c.terms {
		id, ok := b.dict.get(t.hash)
		if !ok {
			id = uint32(len(b.hashes))
			b.dict.put(t.hash, id)
			b.hashes = append(b.hashes, t.hash)
		}
		b.fwdTerm = append(b.fwdTerm, id)
		b.fwdFreq = append(b.fwdFreq, t.freq)
	}
	b.fwdEnd = append(b.fwdEnd, uint32(len(b.fwdTerm)))
	if b.dim == 0 {
		return nil
	}
	if n%64 == 0 {
		b.hasVec = append(b.hasVec, 0)
	}
	vec := c.vec
	if vec == nil {
		vec = b.zero
	} else {
		b.hasVec[n/64] |= 1 << (n % 64)
	}
	b.w.putF32s(vec)
	b.codes = append(b.codes, make([]uint64, b.stride)...)
	lo, delta, sum := encodeCode(b.codes[n*b.stride:], vec, b.bits)
	b.fac = append(b.fac, lo, delta, sum)
	if b.signW > 0 {
		b.signs = append(b.signs, make([]uint64, b.signW)...)
		encodeSigns(b.signs[n*b.signW:], vec)
	}
	return nil
}

// finish inverts the terms, writes every section and syncs the file.
func (b *segBuilder) finish() error {
	w := b.w
	if b.dim > 0 {
		for _, sec := range []struct {
			kind uint32
			v    []uint64
		}{{secHasVec, b.hasVec}, {secCodes, b.codes}, {secSigns, b.signs}} {
			w.begin(sec.kind)
			w.putU64s(sec.v)
		}
		w.begin(secFactors)
		w.putF32s(b.fac)
	}
	for _, sec := range []struct {
		kind uint32
		v    []uint64
	}{{secIDs, b.ids}, {secContent, b.content}, {secDocs, b.docs}, {secIdentity, b.identity}} {
		w.begin(sec.kind)
		w.putU64s(sec.v)
	}
	for _, sec := range []struct {
		kind uint32
		v    []uint32
	}{{secDocOf, b.docOf}, {secTokens, b.tokens}, {secStart, b.start}, {secEnd, b.end}, {secPage, b.page}} {
		w.begin(sec.kind)
		w.putU32s(sec.v)
	}
	b.writeTerms()
	w.begin(secInfo)
	w.putU64s([]uint64{infoChunks: uint64(len(b.ids)), infoDocs: uint64(len(b.docs) / docWords), infoTerms: uint64(len(b.hashes)),
		infoDim: uint64(b.dim), infoBits: uint64(b.bits), infoSignWords: uint64(b.signW), infoTermsVersion: termsVersion,
		infoTokens: uint64(b.total)})
	if err := w.finish(); err != nil {
		w.abort()
		return fmt.Errorf("write segment: %w", err)
	}
	return nil
}

// abort removes the unfinished file.
func (b *segBuilder) abort() { b.w.abort() }

// blockFirsts returns the blocks section of the chunks added.
func (b *segBuilder) blockFirsts() []uint32 {
	var out []uint32
	for row := 0; row < len(b.docs); row += docWords {
		first, count := splitWord(b.docs[row+2])
		out = appendBlocks(out, first, count)
	}
	return append(out, uint32(len(b.ids)))
}

// writeTerms writes the dictionary (terms sorted by hash), the posting
// lists and the forward lists.
func (b *segBuilder) writeTerms() {
	nt := len(b.hashes)
	order := make([]uint32, nt) // sorted position → builder id
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(x, y uint32) int {
		switch hx, hy := b.hashes[x], b.hashes[y]; {
		case hx < hy:
			return -1
		case hx > hy:
			return 1
		}
		return 0
	})
	rank := make([]uint32, nt) // builder id → sorted id
	sorted := make([]uint64, nt)
	for r, id := range order {
		rank[id] = uint32(r)
		sorted[r] = b.hashes[id]
	}
	for i, id := range b.fwdTerm {
		b.fwdTerm[i] = rank[id]
	}
	// Postings by counting sort: ordinals come out ascending per term.
	df := make([]uint32, nt)
	for _, t := range b.fwdTerm {
		df[t]++
	}
	at := make([]uint32, nt+1)
	for t := range nt {
		at[t+1] = at[t] + df[t]
	}
	type posting struct{ ord, tf uint32 }
	post := make([]posting, len(b.fwdTerm))
	cur := slices.Clone(at[:nt])
	lo := uint32(0)
	for ord, hi := range b.fwdEnd {
		for j := lo; j < hi; j++ {
			t := b.fwdTerm[j]
			post[cur[t]] = posting{uint32(ord), b.fwdFreq[j]}
			cur[t]++
		}
		lo = hi
	}
	blocks := b.blockFirsts()
	w := b.w
	w.begin(secPostings)
	off := make([]uint64, nt+1)
	blockOff := make([]uint64, nt+1)
	var buf, blockLists []byte
	for t := range nt {
		buf = buf[:0]
		last := uint32(0)
		for _, p := range post[at[t]:at[t+1]] {
			buf = appendUvarint(buf, uint64(p.ord-last))
			buf = appendUvarint(buf, uint64(p.tf))
			last = p.ord
		}
		w.Write(buf)
		off[t+1] = off[t] + uint64(len(buf))
		blockLists = appendBlockList(blockLists, buf, blocks, b.tokens)
		blockOff[t+1] = uint64(len(blockLists))
	}
	post = nil
	w.begin(secTermHash)
	w.putU64s(sorted)
	w.begin(secTermOff)
	w.putU64s(off)
	w.begin(secTermDF)
	w.putU32s(df)
	w.begin(secBlocks)
	w.putU32s(blocks)
	w.begin(secBlockPost)
	w.Write(blockLists)
	w.begin(secBlockOff)
	w.putU64s(blockOff)
	// Forward lists, terms ascending.
	w.begin(secForward)
	fwdOff := make([]uint64, len(b.fwdEnd)+1)
	type entry struct{ t, tf uint32 }
	var list []entry
	lo = 0
	for ord, hi := range b.fwdEnd {
		list = list[:0]
		for j := lo; j < hi; j++ {
			list = append(list, entry{b.fwdTerm[j], b.fwdFreq[j]})
		}
		slices.SortFunc(list, func(x, y entry) int { return int(x.t) - int(y.t) })
		buf = buf[:0]
		last := uint32(0)
		for _, e := range list {
			buf = appendUvarint(buf, uint64(e.t-last))
			buf = appendUvarint(buf, uint64(e.tf))
			last = e.t
		}
		w.Write(buf)
		fwdOff[ord+1] = fwdOff[ord] + uint64(len(buf))
		lo = hi
	}
	w.begin(secFwdOff)
	w.putU64s(fwdOff)
}

// segChunkOf prepares c for a segment builder: its terms (analysed from
// Text when it has none, or older ones and a text), hashed; the hash of
// its Terms; a unit copy of its vector (nil for none or a zero vector);
// the identity terms of its Title. buf is reused for the terms.
func (ix *Index) segChunkOf(c *Chunk, buf []termFreq) (segChunk, error) {
	t := c.Terms
	if t == nil || !t.Current() && c.Text != "" {
		t = ix.an.Analyze(c.Text)
	}
	terms, tokens, err := termFreqs(t, buf)
	if err != nil {
		return segChunk{}, fmt.Errorf("chunk %d: %w", c.ID, err)
	}
	sc := segChunk{id: c.ID, doc: c.DocumentID, owner: c.Owner, start: uint32(c.Start), end: uint32(c.End), page: uint32(c.Page),
		content: contentHash(t), tokens: tokens, terms: terms, identity: ix.identityHashes(c.Title)}
	if c.Vector != nil {
		sc.vec = unit(c.Vector)
	}
	return sc, nil
}

// writeSegment writes chunks — document by document, each document's in
// chunk id order, the first carrying its Title — to a new segment file at
// path.
func (ix *Index) writeSegment(path string, chunks []Chunk, dim int) error {
	_, lexical := ix.emb.(queryEmbedder)
	b, err := newSegBuilder(path, dim, lexical)
	if err != nil {
		return err
	}
	var buf []termFreq
	for i := range chunks {
		sc, err := ix.segChunkOf(&chunks[i], buf)
		if err == nil {
			err = b.add(&sc)
		}
		if err != nil {
			b.abort()
			return err
		}
		buf = sc.terms
	}
	return b.finish()
}
