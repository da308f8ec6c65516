package retrieval

import (
	"fmt"
	"slices"
)

// Changing the Index's segments while it serves: a flush adopts a new
// segment built from the store, taking over the documents the tail
// holds; a merge replaces segments by their merge. Both run under the
// write lock and change nothing a search returns.

// tailDocs returns the documents with chunks in the tail, sorted.
func (ix *Index) tailDocs() []uint64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var out []uint64
	for id, d := range ix.docs {
		if len(d.ords) > 0 {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// changeCount returns the number of deletions in segments so far.
func (ix *Index) changeCount() uint64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.changes
}

// dimension returns the index's vector dimension, or the embedder's
// before the first vector.
func (ix *Index) dimension() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.dim > 0 {
		return ix.dim
	}
	return ix.emb.Dim()
}

// tailLen returns the number of live chunks in the tail.
func (ix *Index) tailLen() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.kw.live()
}

// adopt adds segment s, built from the store: each document of s whose
// live chunks in the index are exactly its chunks in s (it did not change
// since s was read, as changed tells) moves from the tail (and any older
// segment) to s; every other document's chunks in s are dead. The
// document keeps its slot, statistics do not change, and neither does
// any search's result.
func (ix *Index) adopt(s *segment, changed func(doc uint64) bool) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := ix.checkSegment(s); err != nil {
		return err
	}
	s.resetSlots()
	var ids []uint64
	for row := range s.nDocs {
		doc := s.docID(row)
		first, count := s.docRange(row)
		d := ix.docs[doc]
		if d != nil && !changed(doc) {
			ids = ix.appendChunkIDs(ids[:0], d)
			slices.Sort(ids)
			if slices.Equal(ids, s.ids[first:first+count]) && d.owner == s.docOwner(row) {
				ix.move(d, s, first, count)
				continue
			}
		}
		for o := first; o < first+count; o++ {
			s.kill(o)
		}
	}
	ix.insert(s)
	ix.maybeCompact()
	return nil
}

// move hands document d's chunks over to ordinals [first, first+count)
// of s, which holds the same chunks.
func (ix *Index) move(d *docEntry, s *segment, first, count uint32) {
	var moved []uint64
	for _, ord := range d.ords {
		o := first + uint32(slices.Index(s.ids[first:first+count], ix.meta[ord].id))
		var hashes []uint64
		s.eachTerm(o, func(t, _ uint32) { hashes = append(hashes, s.termHash[t]) })
		ix.kw.removeMoved(ord, hashes)
		ix.vecs[ord] = nil
		moved = append(moved, ix.meta[ord].id)
	}
	ix.vec.remove(d.owner, moved)
	if old := d.seg; old != nil {
		for o := d.segLo; o < d.segHi; o++ {
			if tokens, ok := old.kill(o); ok {
				ix.segLive--
				ix.segTokens -= int64(tokens)
			}
		}
	}
	d.ords, d.seg, d.segLo, d.segHi = nil, s, first, first+count
	s.setSlot(first, count, d.slot)
	for o := first; o < first+count; o++ {
		ix.segLive++
		ix.segTokens += int64(s.docLen[o])
	}
}

// checkSegment verifies that s fits the index's vectors.
func (ix *Index) checkSegment(s *segment) error {
	if s.dim == 0 {
		return nil
	}
	if ix.dim != 0 && s.dim != ix.dim {
		return fmt.Errorf("segment %s: vectors of length %d, index has %d: %w", s.name, s.dim, ix.dim, ErrDimension)
	}
	if _, lexical := ix.emb.(queryEmbedder); s.bits != codeBits(s.dim, lexical) {
		return fmt.Errorf("segment %s: %d-bit codes: %w", s.name, s.bits, errSegment)
	}
	ix.dim = s.dim
	return nil
}

// insert appends s to the segments, before the tail.
func (ix *Index) insert(s *segment) {
	s.ownerSpans(0)
	ix.segs = append(ix.segs, s)
	ix.rebase()
}

// rebase numbers the parts' ordinals after the segments changed.
func (ix *Index) rebase() {
	base, blocks := uint32(0), uint32(0)
	for _, s := range ix.segs {
		s.base, s.blockBase = base, blocks
		base += uint32(s.n)
		blocks += uint32(s.blocks())
	}
	ix.tailBase, ix.segBlocks = base, blocks
}

// replace puts out, the merge of ins (remap: each input ordinal's
// ordinal in out), in their place: chunks that died while the merge ran
// die in out too, and documents now point into out.
func (ix *Index) replace(ins []*segment, out *segment, remap [][]uint32) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := ix.checkSegment(out); err != nil {
		return err
	}
	out.resetSlots()
	for i, in := range ins {
		for o, n := range remap[i] {
			if n != noOrd && in.isDead(uint32(o)) {
				out.kill(n)
			}
		}
	}
	for row := range out.nDocs {
		first, count := out.docRange(row)
		d := ix.docs[out.docID(row)]
		if d == nil || !slices.Contains(ins, d.seg) {
			for o := first; o < first+count; o++ { // dead already: deleted or moved meanwhile
				out.kill(o)
			}
			continue
		}
		d.seg, d.segLo, d.segHi = out, first, first+count
		out.setSlot(first, count, d.slot)
	}
	at := slices.Index(ix.segs, ins[0])
	segs := slices.DeleteFunc(slices.Clone(ix.segs), func(s *segment) bool { return slices.Contains(ins, s) })
	ix.segs = slices.Insert(segs, min(at, len(segs)), out)
	out.ownerSpans(0)
	ix.rebase()
	return nil
}

// deadLists returns each segment's dead ordinals.
func (ix *Index) deadLists() map[*segment][]uint32 {
	out := make(map[*segment][]uint32, len(ix.segs))
	for _, s := range ix.segs {
		out[s] = s.deadOrdinals()
	}
	return out
}
