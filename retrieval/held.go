package retrieval

import (
	"slices"
	"sync"

	"docent/store"
)

// A library that follows a shared store's change log (follow.go) also
// holds what its search results show of each indexed document: the
// document's title, file name and owner, and its chunks' text, headings,
// pages and offsets. A search on a replica then reads nothing from the
// database: the index finds the passages and the held text fills them
// in. The held documents change exactly where the index does (the
// snapshot Load reads, each change applied in log order, a reload), under
// the same lock, so they hold the same documents. It costs the text of
// every chunk in memory besides the index (about a kilobyte a chunk); a
// library with a store of its own reads passages from its store instead.

// heldDoc is what a following library holds of one indexed document.
type heldDoc struct {
	owner           uint64
	title, filename string
	chunks          []heldChunk // by Index
}

// heldChunk is what a search result shows of a chunk.
type heldChunk struct {
	index, start, end, page int
	text                    string
	headings                []string
}

// chunk returns c as a store.Chunk of document doc.
func (c *heldChunk) chunk(doc uint64) store.Chunk {
	return store.Chunk{DocumentID: doc, Index: c.index, Text: c.text, Start: c.start, End: c.end, Page: c.page, Headings: c.headings}
}

// held is the set of documents a following library holds, by id.
type held struct {
	mu   sync.RWMutex
	docs map[uint64]*heldDoc
}

// put holds d as document id, in place of what was held.
func (h *held) put(id uint64, d *heldDoc) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.docs == nil {
		h.docs = map[uint64]*heldDoc{}
	}
	h.docs[id] = d
}

// drop forgets document id.
func (h *held) drop(id uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.docs, id)
}

// replace takes the documents of fresh, which must not be used afterwards.
func (h *held) replace(fresh *held) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.docs = fresh.docs
}

// addIndexed holds the documents of cs, chunks of whole documents in
// chunk id order as a snapshot or a change gives them.
func (h *held) addIndexed(cs []store.IndexedChunk) {
	for i := 0; i < len(cs); {
		j := i + 1
		for j < len(cs) && cs[j].DocumentID == cs[i].DocumentID {
			j++
		}
		first := &cs[i]
		d := &heldDoc{owner: first.Owner, title: first.Title, filename: first.Filename}
		if was := h.get(first.DocumentID); was != nil { // a document may span two batches
			d.chunks = slices.Clip(was.chunks)
		}
		for k := i; k < j; k++ {
			d.chunks = append(d.chunks, heldOf(&cs[k].Chunk))
		}
		sortChunks(d.chunks)
		h.put(first.DocumentID, d)
		i = j
	}
}

// get returns the held document id, nil if none.
func (h *held) get(id uint64) *heldDoc {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.docs[id]
}

// heldOf returns what is held of chunk c.
func heldOf(c *store.Chunk) heldChunk {
	return heldChunk{index: c.Index, start: c.Start, end: c.End, page: c.Page, text: c.Text, headings: slices.Clip(c.Headings)}
}

// committedDoc returns what is held of doc once its chunks are committed.
func committedDoc(doc *store.Document, chunks []store.Chunk) *heldDoc {
	d := &heldDoc{owner: doc.Owner, title: doc.Title, filename: doc.Filename, chunks: make([]heldChunk, len(chunks))}
	for i := range chunks {
		d.chunks[i] = heldOf(&chunks[i])
	}
	sortChunks(d.chunks)
	return d
}

// sortChunks puts cs in index order, as lookup searches them.
func sortChunks(cs []heldChunk) {
	byIndex := func(a, b heldChunk) int { return a.index - b.index }
	if !slices.IsSortedFunc(cs, byIndex) {
		slices.SortFunc(cs, byIndex)
	}
}

// lookup returns the held chunks with the given ids (missing ones left
// out) and the held documents they belong to, as a search fills its
// results in.
func (h *held) lookup(ids []uint64) ([]store.Chunk, map[uint64]*store.Document) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	chunks := make([]store.Chunk, 0, len(ids))
	docs := map[uint64]*store.Document{}
	for _, id := range ids {
		doc, index := store.SplitChunkID(id)
		d := h.docs[doc]
		if d == nil {
			continue
		}
		i, ok := slices.BinarySearchFunc(d.chunks, index, func(c heldChunk, x int) int { return c.index - x })
		if !ok {
			continue
		}
		chunks = append(chunks, d.chunks[i].chunk(doc))
		if docs[doc] == nil {
			docs[doc] = &store.Document{ID: doc, Owner: d.owner, Title: d.title, Filename: d.filename, Status: store.StatusReady}
		}
	}
	return chunks, docs
}
