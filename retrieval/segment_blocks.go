package retrieval

import "sort"

// Blocks of a segment, for keyword search that skips what cannot rank
// (keyword_pruned.go). A block is a run of at most maxBlock consecutive
// chunks of one document; the blocks section lists their first ordinals
// (then the number of chunks). Each term has a block list beside its
// posting list, one entry per block holding a posting of the term:
//
//	uvarint(block − previous block)  the first entry: the block itself
//	uvarint(sum of tf)               the block's share of the document's tf
//	uvarint(first − block's first)   ordinal of the block's first posting
//	uvarint(max tf)                  their highest term frequency
//	uvarint(min length)              their shortest chunk (tokens)
//	uvarint(bytes)                   the length of their stretch of the posting list
//
// So a search reads a common word's block list (one entry per document
// of up to maxBlock chunks) rather than its posting list: the sums give
// the whole-document scores, max tf and min length bound every chunk's
// BM25 term score whatever k1, b and the average length (tf/(tf+k1(1−b+b·len/avg))
// grows with tf and falls with len), and the stretch lets it score one
// block's chunks without decoding the postings before them.

// maxBlock is the most chunks of a block.
const maxBlock = 64

// blocksOK reports whether first lists increasing block starts from 0
// that end at n, each block of at most maxBlock chunks.
func blocksOK(first []uint32, n int) bool {
	if len(first) == 0 || first[0] != 0 || first[len(first)-1] != uint32(n) {
		return false
	}
	for i := 1; i < len(first); i++ {
		if first[i] <= first[i-1] || first[i]-first[i-1] > maxBlock {
			return false
		}
	}
	return true
}

// blocksInRows reports whether no block spans two documents.
func (s *segment) blocksInRows() bool {
	for b := range s.blocks() {
		if s.docOf[s.blockFirst[b]] != s.docOf[s.blockFirst[b+1]-1] {
			return false
		}
	}
	return true
}

// blocks returns the number of blocks.
func (s *segment) blocks() int { return len(s.blockFirst) - 1 }

// blockOf returns the block holding ordinal ord.
func (s *segment) blockOf(ord uint32) uint32 {
	return uint32(sort.Search(s.blocks(), func(b int) bool { return s.blockFirst[b+1] > ord }))
}

// blockSize returns the number of chunks of block b.
func (s *segment) blockSize(b uint32) uint32 { return s.blockFirst[b+1] - s.blockFirst[b] }

// resetSlots makes the document slots of every chunk and block 0.
func (s *segment) resetSlots() {
	s.of = make([]uint32, s.n)
	s.blockSlot = make([]uint32, s.blocks())
}

// setSlot sets the document slot of the chunks [first, first+count) — a
// whole document, so whole blocks — and of their blocks.
func (s *segment) setSlot(first, count, slot uint32) {
	for o := first; o < first+count; o++ {
		s.of[o] = slot
	}
	for b := s.blockOf(first); b < uint32(s.blocks()) && s.blockFirst[b] < first+count; b++ {
		s.blockSlot[b] = slot
	}
}

// appendBlocks appends the first ordinals of the blocks of a document
// whose chunks are the ordinals [first, first+count).
func appendBlocks(dst []uint32, first, count uint32) []uint32 {
	for at := uint32(0); at < count; at += maxBlock {
		dst = append(dst, first+at)
	}
	return dst
}

// blockEntry is one entry of a block list.
type blockEntry struct {
	block         uint32
	tfSum         uint32
	first         uint32 // ordinal of the first posting
	maxTF, minLen uint32
	off, end      int // the postings' stretch of the posting list
}

// appendBlockList appends the block list of the posting list list, whose
// chunks have the lengths docLen, to dst; blockFirst is the segment's
// blocks section.
func appendBlockList(dst, list []byte, blockFirst, docLen []uint32) []byte {
	var e blockEntry
	open, prev, blk := false, uint32(0), uint32(0)
	flush := func(end int) {
		if !open {
			return
		}
		dst = appendUvarint(dst, uint64(e.block-prev))
		for _, v := range []uint32{e.tfSum, e.first - blockFirst[e.block], e.maxTF, e.minLen} {
			dst = appendUvarint(dst, uint64(v))
		}
		dst = appendUvarint(dst, uint64(end-e.off))
		prev, open = e.block, false
	}
	ord := uint32(0)
	for i := 0; i < len(list); {
		at := i
		d, k := uvarint(list[i:])
		i += k
		tf, k := uvarint(list[i:])
		i += k
		ord += uint32(d)
		for blockFirst[blk+1] <= ord {
			blk++
		}
		if open && e.block != blk {
			flush(at)
		}
		if !open {
			e = blockEntry{block: blk, first: ord, minLen: docLen[ord], off: at}
			open = true
		}
		e.tfSum += uint32(tf)
		e.maxTF = max(e.maxTF, uint32(tf))
		e.minLen = min(e.minLen, docLen[ord])
	}
	flush(len(list))
	return dst
}

// blockCursor reads the block list of one term of a segment.
type blockCursor struct {
	s     *segment
	data  []byte
	i     int
	e     blockEntry
	block uint32
	off   int // start of the next stretch in s.postings
}

// blockList returns a cursor on the block list of term t.
func (s *segment) blockList(t int) blockCursor {
	return blockCursor{s: s, data: s.blockPost[s.blockOff[t]:s.blockOff[t+1]], off: int(s.termOff[t])}
}

// next reads the next entry into c.e (offsets into s.postings); it
// returns false at the end.
func (c *blockCursor) next() bool {
	data, i := c.data, c.i
	if i >= len(data) {
		return false
	}
	var v [6]uint32
	for j := range v {
		if b := data[i]; b < 0x80 {
			v[j] = uint32(b)
			i++
			continue
		}
		x, k := uvarint(data[i:])
		v[j] = uint32(x)
		i += k
	}
	c.i = i
	c.block += v[0]
	c.e = blockEntry{block: c.block, tfSum: v[1], first: c.s.blockFirst[c.block] + v[2], maxTF: v[3], minLen: v[4],
		off: c.off, end: c.off + int(v[5])}
	c.off = c.e.end
	return true
}

// eachPosting calls fn with the ordinal and tf of every posting of
// entry e, dead ones included.
func (s *segment) eachPosting(e *blockEntry, fn func(ord, tf uint32)) {
	data := s.postings[e.off:e.end]
	_, i := uvarint(data) // the first delta is from the previous block's last posting
	ord := e.first
	for {
		tf, k := uvarint(data[i:])
		i += k
		fn(ord, uint32(tf))
		if i >= len(data) {
			return
		}
		d, k := uvarint(data[i:])
		i += k
		ord += uint32(d)
	}
}
