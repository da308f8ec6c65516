package retrieval

// tailVectors holds the tail's vectors for search: one quantPart per
// owner (owner partitioning: a user's search looks only at their own
// chunks and the shared library's), laid out for a fast scan (see
// vector_quant.go). Segments hold the same codes in their files. Calls
// are serialised by the Index lock: add, remove and renumber under its
// write lock, searches under its read lock.
type tailVectors struct {
	parts   map[uint64]*quantPart
	lexical bool // vectors come from the built-in embedder (see codeBits)
}

// vectorItem is one chunk's vector with the keys search filters on.
type vectorItem struct {
	id, doc uint64
	ord     uint32 // tail ordinal
	vec     []float32
}

// vectorHit is one search result: a chunk's ordinal in the Index, its id
// and its cosine similarity.
type vectorHit struct {
	ord uint32
	id  uint64
	sim float32
}

// scope is a part of the index a search may look at: the chunks of one
// owner, restricted to some documents when docs is not empty.
type scope struct {
	owner uint64
	docs  []uint64
}

// newTailVectors returns an empty set; lexical says the vectors come from
// the built-in embedder.
func newTailVectors(lexical bool) *tailVectors {
	return &tailVectors{parts: make(map[uint64]*quantPart), lexical: lexical}
}

// add stores unit vectors of one owner's chunks (kept by reference).
func (t *tailVectors) add(owner uint64, items []vectorItem) {
	if len(items) == 0 {
		return
	}
	part := t.parts[owner]
	if part == nil {
		part = newQuantPart(len(items[0].vec), t.lexical)
		t.parts[owner] = part
	}
	part.addBatch(items)
}

// remove forgets chunks of one owner.
func (t *tailVectors) remove(owner uint64, ids []uint64) {
	part := t.parts[owner]
	for _, id := range ids {
		part.remove(id)
	}
}

// renumber maps every tail ordinal o to remap[o] (after a compaction).
func (t *tailVectors) renumber(remap []uint32) {
	for _, p := range t.parts {
		for i, o := range p.ords {
			p.ords[i] = remap[o]
		}
	}
}
