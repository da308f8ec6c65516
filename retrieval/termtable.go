package retrieval

// termTable maps 64-bit term hashes to term ids: open addressing with
// linear probing over a power-of-two table at most half full. The keys are
// already uniform hashes, so their low bits pick the slot and a lookup
// costs one cache line in the common case (a Go map hashes the key again
// and reads a control word before the slot: the dictionary lookups were a
// quarter of a start-up rebuild).
type termTable struct {
	slots []termSlot
	n     int
}

// termSlot is one entry; id is noID in an empty slot.
type termSlot struct {
	hash uint64
	id   uint32
}

// get returns the id of the term with hash h.
func (t *termTable) get(h uint64) (uint32, bool) {
	if len(t.slots) == 0 {
		return noID, false
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.id == noID {
			return noID, false
		}
		if s.hash == h {
			return s.id, true
		}
	}
}

// put sets the id of the term with hash h.
func (t *termTable) put(h uint64, id uint32) {
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.id == noID {
			*s = termSlot{h, id}
			t.n++
			return
		}
		if s.hash == h {
			s.id = id
			return
		}
	}
}

// len returns the number of terms.
func (t *termTable) len() int { return t.n }

// grow doubles the table (the first one has 1,024 slots).
func (t *termTable) grow() {
	old := t.slots
	t.slots = make([]termSlot, max(1024, 2*len(old)))
	for i := range t.slots {
		t.slots[i].id = noID
	}
	t.n = 0
	for _, s := range old {
		if s.id != noID {
			t.put(s.hash, s.id)
		}
	}
}

// all calls fn with every hash and id, in slot order.
func (t *termTable) all(fn func(h uint64, id uint32)) {
	for _, s := range t.slots {
		if s.id != noID {
			fn(s.hash, s.id)
		}
	}
}
