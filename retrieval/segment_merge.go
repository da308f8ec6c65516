package retrieval

import "fmt"

// Merging segments. The live chunks of the inputs, input after input,
// become a new segment: their per-chunk arrays, vectors and codes are
// copied, the dictionaries are merged (all sorted by term hash, so one
// pass keeps the order and maps every input term id to its new id, terms
// no live chunk has left out), and each posting list is the inputs' lists
// for the term with dead postings dropped and ordinals renumbered. It
// streams: memory is a few bytes per chunk and per term, whatever the
// size of the inputs.

// mergeInput is a segment to merge with the state of its dead chunks when
// the merge began (a snapshot: chunks may die while it runs).
type mergeInput struct {
	s      *segment
	dead   []uint64          // bitset by ordinal
	deadDF map[uint32]uint32 // term → dead chunks having it
}

// snapshot returns s as a merge input. Call it under the Index's lock.
func (s *segment) snapshot() mergeInput {
	in := mergeInput{s: s, dead: append([]uint64(nil), s.dead...), deadDF: make(map[uint32]uint32, len(s.deadDF))}
	for t, n := range s.deadDF {
		in.deadDF[t] = n
	}
	return in
}

func (in *mergeInput) isDead(o uint32) bool { return in.dead[o>>6]&(1<<(o&63)) != 0 }

// noOrd marks a dropped chunk or term in a merge's maps.
const noOrd = ^uint32(0)

// mergeSegments writes the live chunks of ins into a new segment file at
// path and returns, for each input, the new ordinal of each of its
// ordinals (noOrd for the dead).
func mergeSegments(path string, ins []mergeInput) ([][]uint32, error) {
	s0 := ins[0].s
	for _, in := range ins[1:] {
		if in.s.dim != s0.dim || in.s.bits != s0.bits || in.s.signW != s0.signW {
			return nil, fmt.Errorf("merge: segments of different vectors: %w", errSegment)
		}
	}
	w, err := createSections(path)
	if err != nil {
		return nil, err
	}
	m := &merger{w: w, ins: ins, dim: s0.dim, bits: s0.bits, signW: s0.signW}
	m.plan()
	m.writeChunks()
	m.writeTerms()
	w.begin(secInfo)
	w.putU64s([]uint64{infoChunks: uint64(m.n), infoDocs: uint64(len(m.docs) / docWords), infoTerms: uint64(len(m.hashes)),
		infoDim: uint64(m.dim), infoBits: uint64(m.bits), infoSignWords: uint64(m.signW), infoTermsVersion: termsVersion,
		infoTokens: uint64(m.tokens)})
	if err := w.finish(); err != nil {
		w.abort()
		return nil, fmt.Errorf("write merged segment: %w", err)
	}
	return m.remap, nil
}

// merger is the state of one merge.
type merger struct {
	w                *sectionWriter
	ins              []mergeInput
	dim, bits, signW int
	n                int
	tokens           int64
	remap            [][]uint32 // by input: old ordinal → new
	termMap          [][]uint32 // by input: old term id → new
	hashes           []uint64   // new dictionary
	df               []uint32
	docs, identity   []uint64
	docOf            []uint32 // by new ordinal
	docLen           []uint32 // by new ordinal
}

// plan numbers the live chunks and documents and merges the dictionaries.
func (m *merger) plan() {
	for _, in := range m.ins {
		s := in.s
		remap := make([]uint32, s.n)
		for d := range s.nDocs {
			first, count := s.docRange(d)
			row := uint64(len(m.docs) / docWords)
			var live uint32
			var tokens int64
			for o := first; o < first+count; o++ {
				if in.isDead(o) {
					remap[o] = noOrd
					continue
				}
				remap[o] = uint32(m.n)
				m.docOf = append(m.docOf, uint32(row))
				m.docLen = append(m.docLen, s.docLen[o])
				m.n++
				live++
				tokens += int64(s.docLen[o])
			}
			if live == 0 {
				continue
			}
			id := s.docIdentity(d)
			m.docs = append(m.docs, s.docID(d), s.docOwner(d), joinWord(uint32(m.n)-live, live),
				joinWord(uint32(len(m.identity)), uint32(len(id))), uint64(tokens))
			m.identity = append(m.identity, id...)
			m.tokens += tokens
		}
		m.remap = append(m.remap, remap)
	}
	// Merge the sorted dictionaries, keeping terms some live chunk has.
	cur := make([]int, len(m.ins))
	for _, in := range m.ins {
		tm := make([]uint32, in.s.nTerms)
		for i := range tm {
			tm[i] = noOrd
		}
		m.termMap = append(m.termMap, tm)
	}
	for {
		h, any := uint64(0), false
		for i, in := range m.ins {
			if c := cur[i]; c < in.s.nTerms && (!any || in.s.termHash[c] < h) {
				h, any = in.s.termHash[c], true
			}
		}
		if !any {
			break
		}
		var df uint32
		for i, in := range m.ins {
			if c := cur[i]; c < in.s.nTerms && in.s.termHash[c] == h {
				if live := in.s.termDF[c] - in.deadDF[uint32(c)]; live > 0 {
					m.termMap[i][c] = uint32(len(m.hashes))
					df += live
				}
				cur[i]++
			}
		}
		if df > 0 {
			m.hashes = append(m.hashes, h)
			m.df = append(m.df, df)
		}
	}
}

// blockFirsts returns the blocks section of the merged segment.
func (m *merger) blockFirsts() []uint32 {
	var out []uint32
	for row := 0; row < len(m.docs); row += docWords {
		first, count := splitWord(m.docs[row+2])
		out = appendBlocks(out, first, count)
	}
	return append(out, uint32(m.n))
}

// eachRun calls fn with every run [lo, hi) of consecutive live chunks of
// the inputs, in new ordinal order.
func (m *merger) eachRun(fn func(in *mergeInput, lo, hi uint32)) {
	for i := range m.ins {
		in := &m.ins[i]
		for lo := uint32(0); lo < uint32(in.s.n); {
			if in.isDead(lo) {
				lo++
				continue
			}
			hi := lo + 1
			for hi < uint32(in.s.n) && !in.isDead(hi) {
				hi++
			}
			fn(in, lo, hi)
			lo = hi
		}
	}
}

// writeChunks writes the per-chunk sections, vectors and documents.
func (m *merger) writeChunks() {
	w := m.w
	if m.dim > 0 {
		stride := (m.dim + 63) / 64 * m.bits
		has := make([]uint64, (m.n+63)/64)
		n := 0
		w.begin(secVectors)
		m.eachRun(func(in *mergeInput, lo, hi uint32) {
			w.putF32s(in.s.vectors[int(lo)*m.dim : int(hi)*m.dim])
			for o := lo; o < hi; o, n = o+1, n+1 {
				if in.s.hasVec[o>>6]&(1<<(o&63)) != 0 {
					has[n>>6] |= 1 << (n & 63)
				}
			}
		})
		w.begin(secHasVec)
		w.putU64s(has)
		w.begin(secCodes)
		m.eachRun(func(in *mergeInput, lo, hi uint32) { w.putU64s(in.s.codes[int(lo)*stride : int(hi)*stride]) })
		w.begin(secSigns)
		m.eachRun(func(in *mergeInput, lo, hi uint32) { w.putU64s(in.s.signs[int(lo)*m.signW : int(hi)*m.signW]) })
		w.begin(secFactors)
		m.eachRun(func(in *mergeInput, lo, hi uint32) { w.putF32s(in.s.fac[3*lo : 3*hi]) })
	}
	for _, sec := range []struct {
		kind uint32
		of   func(s *segment) []uint64
	}{{secIDs, func(s *segment) []uint64 { return s.ids }}, {secContent, func(s *segment) []uint64 { return s.content }}} {
		w.begin(sec.kind)
		m.eachRun(func(in *mergeInput, lo, hi uint32) { w.putU64s(sec.of(in.s)[lo:hi]) })
	}
	for _, sec := range []struct {
		kind uint32
		of   func(s *segment) []uint32
	}{{secTokens, func(s *segment) []uint32 { return s.docLen }}, {secStart, func(s *segment) []uint32 { return s.start }},
		{secEnd, func(s *segment) []uint32 { return s.end }}, {secPage, func(s *segment) []uint32 { return s.page }}} {
		w.begin(sec.kind)
		m.eachRun(func(in *mergeInput, lo, hi uint32) { w.putU32s(sec.of(in.s)[lo:hi]) })
	}
	w.begin(secDocOf)
	w.putU32s(m.docOf)
	w.begin(secDocs)
	w.putU64s(m.docs)
	w.begin(secIdentity)
	w.putU64s(m.identity)
}

// eachList calls fn with every term's merged posting list — the inputs'
// lists with dead postings dropped and ordinals renumbered — in term
// order, built in *buf.
func (m *merger) eachList(fn func(t int, list []byte), buf *[]byte) {
	cur := make([]int, len(m.ins))
	for t := range m.hashes {
		b := (*buf)[:0]
		last := uint32(0)
		for i, in := range m.ins {
			tm := m.termMap[i]
			for cur[i] < len(tm) && (tm[cur[i]] == noOrd || tm[cur[i]] < uint32(t)) {
				cur[i]++
			}
			if cur[i] == len(tm) || tm[cur[i]] != uint32(t) {
				continue
			}
			data := in.s.list(cur[i])
			ord := uint32(0)
			for j := 0; j < len(data); {
				d, k := uvarint(data[j:])
				j += k
				tf, k := uvarint(data[j:])
				j += k
				ord += uint32(d)
				if n := m.remap[i][ord]; n != noOrd {
					b = appendUvarint(b, uint64(n-last))
					b = appendUvarint(b, tf)
					last = n
				}
			}
		}
		*buf = b
		fn(t, b)
	}
}

// writeTerms writes the dictionary, the merged posting lists with their
// block lists and the renumbered forward lists.
func (m *merger) writeTerms() {
	w := m.w
	off := make([]uint64, len(m.hashes)+1)
	blockOff := make([]uint64, len(m.hashes)+1)
	blocks := m.blockFirsts()
	// Two passes over the merged lists, so that neither the postings nor
	// the block lists are held whole: the block lists first, then the
	// postings.
	var buf, entries []byte
	w.begin(secBlockPost)
	m.eachList(func(t int, list []byte) {
		entries = appendBlockList(entries[:0], list, blocks, m.docLen)
		w.Write(entries)
		blockOff[t+1] = blockOff[t] + uint64(len(entries))
	}, &buf)
	w.begin(secPostings)
	m.eachList(func(t int, list []byte) {
		w.Write(list)
		off[t+1] = off[t] + uint64(len(list))
	}, &buf)
	w.begin(secTermHash)
	w.putU64s(m.hashes)
	w.begin(secTermOff)
	w.putU64s(off)
	w.begin(secTermDF)
	w.putU32s(m.df)
	w.begin(secBlocks)
	w.putU32s(blocks)
	w.begin(secBlockOff)
	w.putU64s(blockOff)
	w.begin(secForward)
	fwdOff := make([]uint64, 1, m.n+1)
	for i := range m.ins {
		in := &m.ins[i]
		tm := m.termMap[i]
		for o := range uint32(in.s.n) {
			if in.isDead(o) {
				continue
			}
			buf = buf[:0]
			last := uint32(0)
			in.s.eachTerm(o, func(t, tf uint32) {
				n := tm[t] // terms keep their order: both dictionaries are sorted by hash
				buf = appendUvarint(buf, uint64(n-last))
				buf = appendUvarint(buf, uint64(tf))
				last = n
			})
			w.Write(buf)
			fwdOff = append(fwdOff, fwdOff[len(fwdOff)-1]+uint64(len(buf)))
		}
	}
	w.begin(secFwdOff)
	w.putU64s(fwdOff)
}
