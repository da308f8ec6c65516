package retrieval

import (
	"fmt"
	"slices"
	"sort"
)

// The parts of an Index: segments first (each a range of ordinals from
// its base), then the tail. Everything a search keeps of a chunk beyond
// the scan is read through chunkAt.

// chunkRef is what a search needs of one chunk.
type chunkRef struct {
	chunkMeta
	slot uint32 // its document's slot
	vec  []float32
}

// segmentOf returns the segment holding ordinal g, or nil for the tail.
func (ix *Index) segmentOf(g uint32) *segment {
	if g >= ix.tailBase {
		return nil
	}
	i := sort.Search(len(ix.segs), func(i int) bool { return ix.segs[i].base+uint32(ix.segs[i].n) > g })
	return ix.segs[i]
}

// chunkAt returns the chunk of ordinal g.
func (ix *Index) chunkAt(g uint32) chunkRef {
	s := ix.segmentOf(g)
	if s == nil {
		o := g - ix.tailBase
		return chunkRef{chunkMeta: ix.meta[o], slot: ix.of[o], vec: ix.vecs[o]}
	}
	o := g - s.base
	d := int(s.docOf[o])
	return chunkRef{chunkMeta: chunkMeta{id: s.ids[o], doc: s.docID(d), owner: s.docOwner(d), start: int(s.start[o]), end: int(s.end[o]),
		page: int(s.page[o]), content: s.content[o]}, slot: s.of[o], vec: s.vector(o)}
}

// chunkID returns the id of the chunk of ordinal g.
func (ix *Index) chunkID(g uint32) uint64 {
	if s := ix.segmentOf(g); s != nil {
		return s.ids[g-s.base]
	}
	return ix.meta[g-ix.tailBase].id
}

// live reports whether ordinal g is a live chunk.
func (ix *Index) live(g uint32) bool {
	if s := ix.segmentOf(g); s != nil {
		return !s.isDead(g - s.base)
	}
	return !ix.kw.isDead(g - ix.tailBase)
}

// vectorOf returns the unit vector of ordinal g, nil if none.
func (ix *Index) vectorOf(g uint32) []float32 {
	if s := ix.segmentOf(g); s != nil {
		return s.vector(g - s.base)
	}
	return ix.vecs[g-ix.tailBase]
}

// attach adds segment s after the other segments (the tail's ordinals
// move up), with the given ordinals dead. Its documents must not be in
// the index yet.
func (ix *Index) attach(s *segment, dead []uint32) error {
	if s.dim > 0 {
		if ix.dim != 0 && s.dim != ix.dim {
			return fmt.Errorf("segment %s: vectors of length %d, index has %d: %w", s.name, s.dim, ix.dim, ErrDimension)
		}
		if _, lexical := ix.emb.(queryEmbedder); s.bits != codeBits(s.dim, lexical) {
			return fmt.Errorf("segment %s: %d-bit codes: %w", s.name, s.bits, errSegment)
		}
	}
	for d := range s.nDocs {
		if ix.docs[s.docID(d)] != nil {
			return fmt.Errorf("segment %s: document %d is indexed twice: %w", s.name, s.docID(d), errSegment)
		}
	}
	for _, o := range dead {
		s.kill(o)
	}
	if s.dim > 0 {
		ix.dim = s.dim
	}
	s.base = ix.tailBase
	s.resetSlots()
	for d := range s.nDocs {
		first, count := s.docRange(d)
		var tokens int64
		live := false
		for o := first; o < first+count; o++ {
			if !s.isDead(o) {
				tokens += int64(s.docLen[o])
				live = true
			}
		}
		if !live {
			continue
		}
		e := &docEntry{owner: s.docOwner(d), seg: s, segLo: first, segHi: first + count}
		e.slot = ix.dt.alloc(s.docID(d), e.owner)
		ix.docs[s.docID(d)] = e
		ix.ids.add(e.slot, slices.Clone(s.docIdentity(d)))
		ix.dt.grow(e.slot, uint32(tokens))
		s.setSlot(first, count, e.slot)
	}
	s.ownerSpans(0) // computed before searches share it
	s.blockBase = ix.segBlocks
	ix.segs = append(ix.segs, s)
	ix.tailBase += uint32(s.n)
	ix.segBlocks += uint32(s.blocks())
	ix.segLive += s.live()
	ix.segTokens += s.tokens - s.deadTokens()
	ix.nLive += s.live()
	return nil
}

// deadTokens returns the tokens of the segment's dead chunks.
func (s *segment) deadTokens() int64 {
	var n int64
	for _, o := range s.deadOrdinals() {
		n += int64(s.docLen[o])
	}
	return n
}

// ownerSpans returns the ordinal ranges of the segment's documents of
// owner, adjacent ones joined (computed once).
func (s *segment) ownerSpans(owner uint64) []span {
	if s.owners == nil {
		s.owners = make(map[uint64][]span)
		for d := range s.nDocs {
			o := s.docOwner(d)
			first, count := s.docRange(d)
			out := s.owners[o]
			if k := len(out); k > 0 && out[k-1].hi == int32(first) {
				out[k-1].hi += int32(count)
				continue
			}
			s.owners[o] = append(out, span{int32(first), int32(first + count)})
		}
	}
	return s.owners[owner]
}

// vectorSources returns what a vector search of scopes scans: the tail's
// part of each scope's owner, and each segment's chunks of that owner
// (of the scope's documents only, when it names some).
func (ix *Index) vectorSources(scopes []scope) []*vecSource {
	var out []*vecSource
	for _, sc := range scopes {
		if p := ix.vec.parts[sc.owner]; p != nil && p.len() > 0 {
			src := tailSource(p, ix.tailBase)
			if len(sc.docs) > 0 {
				src.spans = p.docSpans(sc.docs)
			}
			if len(src.spans) > 0 {
				out = append(out, src)
			}
		}
		for _, s := range ix.segs {
			if s.dim == 0 {
				continue
			}
			var spans []span
			if len(sc.docs) == 0 {
				spans = s.ownerSpans(sc.owner)
			} else {
				for _, doc := range sc.docs {
					if d := ix.docs[doc]; d != nil && d.seg == s {
						spans = append(spans, span{int32(d.segLo), int32(d.segHi)})
					}
				}
			}
			if len(spans) > 0 {
				out = append(out, segmentSource(s, spans))
			}
		}
	}
	return out
}

// searchVectors returns the n chunks of scopes most similar to q.
func (ix *Index) searchVectors(q []float32, n int, scopes []scope) []vectorHit {
	srcs := ix.vectorSources(scopes)
	if len(srcs) == 0 || len(q) != srcs[0].dim {
		return nil
	}
	filtered := false
	for _, sc := range scopes {
		filtered = filtered || len(sc.docs) > 0
	}
	return searchVectors(q, n, srcs, filtered)
}
