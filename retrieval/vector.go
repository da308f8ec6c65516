package retrieval

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	chromem "github.com/philippgille/chromem-go"
)

// vectorIndex is the nearest-neighbour part of the Index, kept behind a
// small interface so that a quantised or graph index can replace the
// brute-force chromem-go search. Calls are serialised by the Index lock:
// add and remove under its write lock, search and vector under its read
// lock (concurrently with each other). The Index keeps its own reference
// to each vector (the same memory chromem holds) for feedback, cosines
// and MMR.
type vectorIndex interface {
	// add stores unit vectors of one owner's chunks.
	add(ctx context.Context, owner uint64, items []vectorItem) error
	// remove forgets chunks of one owner.
	remove(ctx context.Context, owner uint64, ids []uint64) error
	// search returns up to n chunks within scopes, most similar first.
	search(ctx context.Context, q []float32, n int, scopes []scope) ([]vectorHit, error)
}

// vectorItem is one chunk's vector with the keys search filters on.
type vectorItem struct {
	id, doc uint64
	vec     []float32
}

// vectorHit is one search result: a chunk id and its cosine similarity.
type vectorHit struct {
	id  uint64
	sim float32
}

// scope is a part of the index a search may look at: the chunks of one
// owner, restricted to some documents when docs is not empty.
type scope struct {
	owner uint64
	docs  []uint64
}

// chromemIndex implements vectorIndex with chromem-go as the store: one
// in-memory collection per owner (owner partitioning, so a user's search
// looks only at their own chunks and the shared library's), the document
// id in each chunk's metadata, chunk ids as decimal strings. Searches go
// through a quantPart per owner laid beside each collection, which holds
// binary codes of the same vectors (and references to the very float32
// slices chromem holds) and re-scores its candidates exactly: chromem's
// own QueryEmbedding is an exhaustive scan (40 ms at 100k vectors of 384
// dimensions), the binary scan with exact re-scoring a few milliseconds.
// searchExact keeps chromem's scan as the reference.
type chromemIndex struct {
	db      *chromem.DB
	cols    map[uint64]*chromem.Collection
	parts   map[uint64]*quantPart
	lexical bool // vectors come from the built-in embedder (see codeBits)
}

// errNoEmbedding is returned by the collections' embedding function: the
// Index always passes vectors, so chromem must never embed text itself.
var errNoEmbedding = errors.New("retrieval: chromem asked to embed text; vectors are always supplied")

// docKey is the chromem metadata key holding a chunk's document id.
const docKey = "d"

// newChromemIndex returns an empty in-memory chromem-go index; lexical
// says its vectors come from the built-in embedder.
func newChromemIndex(lexical bool) *chromemIndex {
	return &chromemIndex{db: chromem.NewDB(), cols: make(map[uint64]*chromem.Collection), parts: make(map[uint64]*quantPart), lexical: lexical}
}

// collection returns the owner's collection, creating it when create is set.
func (c *chromemIndex) collection(owner uint64, create bool) (*chromem.Collection, error) {
	if col, ok := c.cols[owner]; ok || !create {
		return col, nil
	}
	noEmbed := func(context.Context, string) ([]float32, error) { return nil, errNoEmbedding }
	col, err := c.db.CreateCollection("owner-"+strconv.FormatUint(owner, 10), nil, noEmbed)
	if err != nil {
		return nil, fmt.Errorf("create vector collection for owner %d: %w", owner, err)
	}
	c.cols[owner] = col
	return col, nil
}

// add stores the items in the owner's collection.
func (c *chromemIndex) add(ctx context.Context, owner uint64, items []vectorItem) error {
	col, err := c.collection(owner, true)
	if err != nil {
		return err
	}
	part := c.parts[owner]
	if part == nil && len(items) > 0 {
		part = newQuantPart(len(items[0].vec), c.lexical)
		c.parts[owner] = part
	}
	// chromem adds one document at a time; the codes are encoded meanwhile.
	encoded := make(chan struct{})
	go func() {
		part.addBatch(items)
		close(encoded)
	}()
	defer func() { <-encoded }()
	for _, it := range items {
		doc := chromem.Document{
			ID:        strconv.FormatUint(it.id, 10),
			Metadata:  map[string]string{docKey: strconv.FormatUint(it.doc, 10)},
			Embedding: it.vec,
		}
		if err := col.AddDocument(ctx, doc); err != nil {
			return fmt.Errorf("add chunk %d to vector index: %w", it.id, err)
		}
	}
	return nil
}

// remove deletes chunks by id. It never passes a `where` map: chromem
// deletes every document when given a non-nil empty one.
func (c *chromemIndex) remove(ctx context.Context, owner uint64, ids []uint64) error {
	col, _ := c.collection(owner, false)
	if col == nil || len(ids) == 0 {
		return nil
	}
	keys := make([]string, len(ids))
	part := c.parts[owner]
	for i, id := range ids {
		keys[i] = strconv.FormatUint(id, 10)
		part.remove(id)
	}
	if err := col.Delete(ctx, nil, nil, keys...); err != nil {
		return fmt.Errorf("delete %d chunks from vector index: %w", len(ids), err)
	}
	return nil
}

// search scans each scope's quantised part and merges the results.
func (c *chromemIndex) search(_ context.Context, q []float32, n int, scopes []scope) ([]vectorHit, error) {
	var hits []vectorHit
	for _, sc := range scopes {
		if part := c.parts[sc.owner]; part != nil {
			hits = part.search(q, n, sc.docs, hits)
		}
	}
	slices.SortFunc(hits, compareHits)
	return hits[:min(n, len(hits))], nil
}

// searchExact is search by chromem-go's exhaustive scan: each scope's
// collection (once per document when the scope names documents).
func (c *chromemIndex) searchExact(ctx context.Context, q []float32, n int, scopes []scope) ([]vectorHit, error) {
	var hits []vectorHit
	for _, sc := range scopes {
		col, _ := c.collection(sc.owner, false)
		if col == nil {
			continue
		}
		k := min(n, col.Count()) // chromem errors when asked for more than it holds
		if k <= 0 {
			continue
		}
		wheres := []map[string]string{nil}
		if len(sc.docs) > 0 {
			wheres = wheres[:0]
			for _, d := range sc.docs {
				wheres = append(wheres, map[string]string{docKey: strconv.FormatUint(d, 10)})
			}
		}
		for _, where := range wheres {
			res, err := col.QueryEmbedding(ctx, q, k, where, nil)
			if err != nil {
				return nil, fmt.Errorf("vector search: %w", err)
			}
			for _, r := range res {
				id, err := strconv.ParseUint(r.ID, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("vector search: bad chunk id %q: %w", r.ID, err)
				}
				hits = append(hits, vectorHit{id: id, sim: r.Similarity})
			}
		}
	}
	slices.SortFunc(hits, compareHits)
	return hits[:min(n, len(hits))], nil
}
