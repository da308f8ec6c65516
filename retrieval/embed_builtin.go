package retrieval

import (
	"context"
	"fmt"
	"math"
	"sync"
)

// BuiltinDim is the default dimension of the built-in embedder: 256
// float32 values, 1 KiB per chunk.
const BuiltinDim = 256

// Feature weights of the built-in embedder. A word's character n-grams
// share one weight budget (each gets builtinCharWeight/√count), so long
// words do not drown short ones. Word bigrams were tried and left out: in
// 256 dimensions their hashing noise cost more than they added (SciFact
// train split).
const (
	builtinWordWeight = 1.0
	builtinCharWeight = 1.0
	builtinMinGram    = 3
	builtinMaxGram    = 5
)

// Seeds that keep the feature families apart in the hash space.
const (
	seedWord uint64 = 0x9e3779b97f4a7c15
	seedChar uint64 = 0x165667b19e3779f9
)

// Builtin is the zero-configuration embedder: pure Go, offline,
// deterministic. A text is analysed like the BM25 index does it (stop
// words out, Snowball stems); its features are the stems and the
// character 3- to 5-grams of each word with boundary marks; each feature is hashed with a sign into Dim buckets
// (the "hashing trick"), weighted by 1+ln(tf), and the vector is
// L2-normalised. Document vectors use no corpus statistics, so they never
// change as the corpus grows; a query's features are weighted by the idf
// of their words in the index ("lnc.ltc" weighting, see the package doc).
type Builtin struct {
	dim    int
	an     *Analyzer
	p      builtinParams
	tables sync.Pool // *featureTable
}

// builtinParams are the feature weights (fixed; a field so tests can vary them).
type builtinParams struct {
	word, char       float64
	minGram, maxGram int
}

// NewBuiltin returns the built-in embedder with dim dimensions
// (BuiltinDim when dim <= 0).
func NewBuiltin(dim int) *Builtin {
	if dim <= 0 {
		dim = BuiltinDim
	}
	return &Builtin{dim: dim, an: NewAnalyzer(), p: builtinParams{
		word: builtinWordWeight, char: builtinCharWeight,
		minGram: builtinMinGram, maxGram: builtinMaxGram,
	}}
}

// ID returns "builtin/v2/<dim>". Version 2 follows the second analyser
// (letter/digit parts, Greek letter names, acronym plurals, see
// [Analyzer]): its vectors differ from version 1's for such words, so an
// index built by version 1 asks for `docent reindex`.
func (b *Builtin) ID() string { return fmt.Sprintf("builtin/v2/%d", b.dim) }

// Dim returns the vector dimension.
func (b *Builtin) Dim() int { return b.dim }

// Embed returns the document vectors of texts.
func (b *Builtin) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	ft := b.table()
	defer b.tables.Put(ft)
	for i, t := range texts {
		if i%64 == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("builtin embed: %w", ctx.Err())
		}
		out[i] = b.vector(ft, t, nil)
	}
	return out, nil
}

// embedQuery returns the vector of a query whose features are weighted by
// the idf of their words.
func (b *Builtin) embedQuery(text string, idf func(term string) float64) []float32 {
	ft := b.table()
	defer b.tables.Put(ft)
	return b.vector(ft, text, idf)
}

// table returns a feature table from the pool.
func (b *Builtin) table() *featureTable {
	if ft, ok := b.tables.Get().(*featureTable); ok {
		return ft
	}
	return &featureTable{}
}

// vector extracts the features of text into ft and projects them.
// weight, when not nil, scales the features of each term.
func (b *Builtin) vector(ft *featureTable, text string, weight func(term string) float64) []float32 {
	b.features(ft, text, weight)
	v := make([]float32, b.dim)
	ft.project(v)
	normalize(v)
	return v
}

// features fills ft with the weighted features of text.
func (b *Builtin) features(ft *featureTable, text string, weight func(term string) float64) {
	ft.reset()
	var bounds []int
	b.an.each(text, func(raw []byte, term string, kind tokenKind) {
		if term == "" {
			return
		}
		w := 1.0
		if weight != nil {
			w = weight(term)
		}
		ft.add(hashString(seedWord, term), b.p.word*w)
		if kind != tokenCJK {
			bounds = b.charGrams(ft, raw, w, bounds)
		}
	})
}

// charGrams adds the character n-grams of "<raw>" to ft, sharing the
// weight budget char×w. bounds is scratch for rune offsets.
func (b *Builtin) charGrams(ft *featureTable, raw []byte, w float64, bounds []int) []int {
	word := append(append(append(ft.word[:0], '<'), raw...), '>')
	ft.word = word
	bounds = bounds[:0]
	for i := range string(word) {
		bounds = append(bounds, i)
	}
	bounds = append(bounds, len(word))
	nr := len(bounds) - 1 // runes in "<raw>"
	count := 0
	for n := b.p.minGram; n <= b.p.maxGram; n++ {
		count += max(0, nr-n+1)
	}
	if count == 0 {
		return bounds
	}
	gw := b.p.char * w / math.Sqrt(float64(count))
	for n := b.p.minGram; n <= b.p.maxGram; n++ {
		seed := seedChar + uint64(n)
		for s := 0; s+n <= nr; s++ {
			ft.add(hashBytes(seed, word[bounds[s]:bounds[s+n]]), gw)
		}
	}
	return bounds
}

// hashBytes hashes b with FNV-1a from seed and mixes the result.
func hashBytes(seed uint64, b []byte) uint64 {
	h := seed ^ 0xcbf29ce484222325
	for _, c := range b {
		h = (h ^ uint64(c)) * 0x100000001b3
	}
	return mix64(h)
}

// hashString hashes s with FNV-1a from seed and mixes the result.
func hashString(seed uint64, s string) uint64 {
	h := seed ^ 0xcbf29ce484222325
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 0x100000001b3
	}
	return mix64(h)
}

// mix64 is the splitmix64 finaliser; it spreads FNV's weak low bits.
func mix64(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// featureTable accumulates weighted feature occurrences of one text in an
// open-addressing hash table keyed by feature hash. It is reused across
// texts: reset clears only the slots in use.
type featureTable struct {
	keys  []uint64 // 0 = empty slot
	count []float32
	sum   []float32
	used  []int32 // occupied slots, in insertion order
	word  []byte  // scratch for "<word>"
}

// reset empties the table, keeping its memory.
func (t *featureTable) reset() {
	if len(t.keys) == 0 {
		t.alloc(4096)
		return
	}
	for _, i := range t.used {
		t.keys[i], t.count[i], t.sum[i] = 0, 0, 0
	}
	t.used = t.used[:0]
}

// alloc replaces the table by an empty one with size slots.
func (t *featureTable) alloc(size int) {
	*t = featureTable{keys: make([]uint64, size), count: make([]float32, size), sum: make([]float32, size), used: t.used[:0], word: t.word}
}

// add records one occurrence of feature h with weight w.
func (t *featureTable) add(h uint64, w float64) {
	if h == 0 {
		h = 1
	}
	if 2*(len(t.used)+1) > len(t.keys) {
		t.grow()
	}
	mask := uint64(len(t.keys) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch t.keys[i] {
		case h:
			t.count[i]++
			t.sum[i] += float32(w)
			return
		case 0:
			t.keys[i], t.count[i], t.sum[i] = h, 1, float32(w)
			t.used = append(t.used, int32(i))
			return
		}
	}
}

// grow doubles the table.
func (t *featureTable) grow() {
	old := *t
	t.alloc(2 * len(old.keys))
	mask := uint64(len(t.keys) - 1)
	for _, j := range old.used {
		h := old.keys[j]
		i := h & mask
		for t.keys[i] != 0 {
			i = (i + 1) & mask
		}
		t.keys[i], t.count[i], t.sum[i] = h, old.count[j], old.sum[j]
		t.used = append(t.used, int32(i))
	}
}

// project adds every feature, weighted by its mean weight × (1+ln tf), to
// bucket h mod len(v) with the sign of h's top bit.
func (t *featureTable) project(v []float32) {
	d := uint64(len(v))
	pow2 := d&(d-1) == 0
	for _, i := range t.used {
		h, c := t.keys[i], t.count[i]
		w := float64(t.sum[i])
		if c > 1 {
			w = w / float64(c) * (1 + math.Log(float64(c)))
		}
		if h>>63 != 0 {
			w = -w
		}
		j := h >> 1
		if pow2 {
			j &= d - 1
		} else {
			j %= d
		}
		v[j] += float32(w)
	}
}
