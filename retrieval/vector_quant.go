package retrieval

import (
	"cmp"
	"math"
	"math/bits"
	"runtime"
	"slices"
)

// quantPart is one owner's vectors in the tail laid out for a fast scan
// (vector_search.go): a code of each vector (bits bits per component, bit
// planes interleaved by word) with three factors, and for codes of two
// bits or fewer a sign code, in contiguous slices beside the chunk id,
// document, tail ordinal and float32 vector of each slot. A segment
// holds the same codes by ordinal in its file.
//
//	slot:   0             1             2      …
//	codes:  [bits·w words][bits·w words] …      w = ⌈dim/64⌉
//	fac:    lo δ Σ        lo δ Σ        …       v[i] ≈ lo + δ·level[i]
//	ids, docs, vecs, ords by slot; slots: chunk id → slot; byDoc: document → chunk ids
//
// Removal moves the last slot into the hole, so the layout stays dense.
// Nothing depends on the order slots were added in: the candidate set is
// the top of a total order (estimate, then chunk id), so an index rebuilt
// from the store returns exactly what the live one does.
type quantPart struct {
	dim, words int
	bits       int // code bits per component: 1, 2 or 4
	codes      []uint64
	signs      []uint64  // per slot, words words: bit i = v[i] > 0 (the Hamming pass)
	fac        []float32 // per slot: lo, delta, Σv (v[i] ≈ lo + delta·code[i])
	ids        []uint64
	docs       []uint64
	vecs       [][]float32
	ords       []uint32 // tail ordinal by slot
	slots      map[uint64]int32
	byDoc      map[uint64][]uint64
}

// codeBits is the code width for vectors of dim components from a
// lexical embedder (the built-in one: hashed features, heavy-tailed
// components) or a neural one. Lexical vectors need four bits: at two,
// recall@10 against exact search falls from 0.998 to 0.905 at the same
// re-scoring budget. Neural-like vectors (clustered, or isotropic random
// ones, the worst case) lose nothing at two bits up to 768 dimensions,
// which makes the scan twice as fast and lets the coarse pass (the top
// two planes of the query only) halve it again; at four bits the coarse
// pass would see only the code's top planes, which for the built-in
// embedder cut recall to 0.54, so four-bit parts scan in one pass.
// A test may set quantBits to force a width.
func codeBits(dim int, lexical bool) int {
	switch {
	case quantBits > 0:
		return quantBits
	case lexical:
		return 4
	case dim <= 768:
		return 2
	}
	return 1
}

// quantBits, when not zero, overrides codeBits (for measurements).
var quantBits = 0

// newQuantPart returns an empty part for vectors of dimension dim
// (lexical: from the built-in embedder).
func newQuantPart(dim int, lexical bool) *quantPart {
	return &quantPart{dim: dim, words: (dim + 63) / 64, bits: codeBits(dim, lexical), slots: make(map[uint64]int32), byDoc: make(map[uint64][]uint64)}
}

// stride is the number of code words per slot.
func (p *quantPart) stride() int { return p.words * p.bits }

// len returns the number of vectors held.
func (p *quantPart) len() int { return len(p.ids) }

// add stores (or replaces) the vector of one chunk. vec must be a unit
// vector of the part's dimension; it is kept by reference.
func (p *quantPart) add(id, doc uint64, vec []float32) {
	if _, ok := p.slots[id]; ok {
		p.remove(id)
	}
	p.slots[id] = int32(len(p.ids))
	p.ids = append(p.ids, id)
	p.docs = append(p.docs, doc)
	p.vecs = append(p.vecs, vec)
	p.ords = append(p.ords, uint32(len(p.ords)))
	p.codes = append(p.codes, make([]uint64, p.stride())...)
	lo, delta, sum := encodeCode(p.codes[len(p.codes)-p.stride():], vec, p.bits)
	p.fac = append(p.fac, lo, delta, sum)
	if w := p.signWords(); w > 0 {
		p.signs = append(p.signs, make([]uint64, w)...)
		encodeSigns(p.signs[len(p.signs)-w:], vec)
	}
	p.byDoc[doc] = append(p.byDoc[doc], id)
}

// encodeSigns sets bit i of sign when v[i] > 0.
func encodeSigns(sign []uint64, v []float32) {
	for i, x := range v {
		if x > 0 {
			sign[i>>6] |= 1 << (i & 63)
		}
	}
}

// addBatch adds (or replaces) the vectors of items (distinct chunk ids),
// encoding them on all CPUs.
func (p *quantPart) addBatch(items []vectorItem) {
	for _, it := range items {
		p.remove(it.id)
	}
	first, st := len(p.ids), p.stride()
	p.codes = slices.Grow(p.codes, len(items)*st)[:(first+len(items))*st]
	clear(p.codes[first*st:])
	p.fac = slices.Grow(p.fac, 3*len(items))[:3*(first+len(items))]
	w := p.signWords()
	p.signs = slices.Grow(p.signs, len(items)*w)[:(first+len(items))*w]
	clear(p.signs[first*w:])
	workers := runtime.GOMAXPROCS(0)
	if len(items) < 256 {
		workers = 1
	}
	parallel(len(items), workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			s := first + i
			f := p.fac[3*s : 3*s+3]
			f[0], f[1], f[2] = encodeCode(p.codes[s*st:(s+1)*st], items[i].vec, p.bits)
			if w > 0 {
				encodeSigns(p.signs[s*w:(s+1)*w], items[i].vec)
			}
		}
	})
	p.ids = slices.Grow(p.ids, len(items))
	p.docs = slices.Grow(p.docs, len(items))
	p.vecs = slices.Grow(p.vecs, len(items))
	p.ords = slices.Grow(p.ords, len(items))
	for i, it := range items {
		p.slots[it.id] = int32(first + i)
		p.ids = append(p.ids, it.id)
		p.docs = append(p.docs, it.doc)
		p.vecs = append(p.vecs, it.vec)
		p.ords = append(p.ords, it.ord)
		p.byDoc[it.doc] = append(p.byDoc[it.doc], it.id)
	}
}

// encodeCode quantises v into code (bit planes interleaved by word:
// code[bits·w+k] holds bit k of components 64w…64w+63) and returns lo,
// delta and the sum of the levels, v[i] ≈ lo + delta·level[i]. One bit is
// the sign, scaled by the mean absolute component; two bits are four
// levels a standard deviation apart around the mean; four bits span
// [min, max] evenly.
func encodeCode(code []uint64, v []float32, bits int) (lo, delta, sum float32) {
	n := float64(len(v))
	var flo, fdelta float64
	switch bits {
	case 1:
		var l1 float64
		for _, x := range v {
			l1 += math.Abs(float64(x))
		}
		flo, fdelta = -l1/n, 2*l1/n
	case 2:
		var s, ss float64
		for _, x := range v {
			s += float64(x)
			ss += float64(x) * float64(x)
		}
		mean := s / n
		sd := math.Sqrt(max(ss/n-mean*mean, 0))
		flo, fdelta = mean-1.5*sd, sd
	default:
		mn, mx := minMax(v)
		flo, fdelta = float64(mn), (float64(mx)-float64(mn))/float64(int(1)<<bits-1)
	}
	var inv float32
	if fdelta > 0 {
		inv = float32(1 / fdelta)
	}
	lo32, top := float32(flo), float32(int(1)<<bits-1)
	var total uint64
	for w := 0; w*64 < len(v); w++ {
		var p [4]uint64 // the word's bit planes
		for j, x := range v[w*64 : min(len(v), w*64+64)] {
			var level uint64
			if bits == 1 {
				if x > 0 {
					level = 1
				}
			} else {
				// Plain comparisons (the min and max builtins order
				// NaNs, at a cost) and a conversion through int32 (one
				// instruction; to uint64 it is a branchy sequence).
				f := (x-lo32)*inv + 0.5
				if !(f > 0) {
					f = 0
				} else if f > top {
					f = top
				}
				level = uint64(int32(f))
			}
			total += level
			p[0] |= (level & 1) << j
			p[1] |= (level >> 1 & 1) << j
			p[2] |= (level >> 2 & 1) << j
			p[3] |= (level >> 3 & 1) << j
		}
		copy(code[bits*w:bits*w+bits], p[:bits])
	}
	return lo32, float32(fdelta), float32(total)
}

// minMax returns the smallest and largest component of a non-empty v
// (NaNs are not ordered: they never replace a bound).
func minMax(v []float32) (lo, hi float32) {
	lo, hi = v[0], v[0]
	for _, x := range v[1:] {
		if x < lo {
			lo = x
		}
		if x > hi {
			hi = x
		}
	}
	return lo, hi
}

// remove forgets chunk id; an unknown id does nothing.
func (p *quantPart) remove(id uint64) {
	if p == nil {
		return
	}
	s, ok := p.slots[id]
	if !ok {
		return
	}
	delete(p.slots, id)
	doc := p.docs[s]
	if ids := slices.DeleteFunc(p.byDoc[doc], func(x uint64) bool { return x == id }); len(ids) == 0 {
		delete(p.byDoc, doc)
	} else {
		p.byDoc[doc] = ids
	}
	last := int32(len(p.ids) - 1)
	if s != last {
		p.ids[s], p.docs[s], p.vecs[s], p.ords[s] = p.ids[last], p.docs[last], p.vecs[last], p.ords[last]
		copy(p.fac[3*s:3*s+3], p.fac[3*last:])
		st := p.stride()
		copy(p.codes[int(s)*st:int(s+1)*st], p.codes[int(last)*st:])
		w := p.signWords()
		copy(p.signs[int(s)*w:int(s+1)*w], p.signs[int(last)*w:])
		p.slots[p.ids[s]] = s
	}
	p.vecs[last] = nil
	p.ids, p.docs, p.vecs, p.ords, p.fac = p.ids[:last], p.docs[:last], p.vecs[:last], p.ords[:last], p.fac[:3*last]
	p.codes = p.codes[:int(last)*p.stride()]
	p.signs = p.signs[:int(last)*p.signWords()]
}

// signWords is the length of a slot's sign code: only parts of two bits or
// fewer per component run the Hamming pass that reads them.
func (p *quantPart) signWords() int {
	if p.bits <= 2 {
		return p.words
	}
	return 0
}

// compareHits orders hits by similarity, best first, then by chunk id.
func compareHits(a, b vectorHit) int {
	if c := cmp.Compare(b.sim, a.sim); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// quantQuery is a query vector quantised to 4 bits per component,
// q[i] ≈ lo + delta·u[i] with u[i] in 0..15, stored as four bit planes
// interleaved by word: planes[4w+k] holds bit k of u for components
// 64w…64w+63.
type quantQuery struct {
	planes    []uint64
	lo, delta float32
	signs     []uint64 // bit i = q[i] > 0
	mask      []uint64 // bit i = |q[i]| large enough to count in the Hamming pass
	// a is the part of the estimate that depends on the code's lo only:
	// dim·lo + delta·Σu.
	a float32
}

// newQuantQuery quantises q.
func newQuantQuery(q []float32, words int) *quantQuery {
	lo, hi := slices.Min(q), slices.Max(q)
	qq := &quantQuery{planes: make([]uint64, 4*words), lo: lo, signs: make([]uint64, words), mask: make([]uint64, words)}
	cut := maskCut(q)
	if hi > lo {
		qq.delta = (hi - lo) / 15
	}
	sumU := 0
	for i, x := range q {
		u := 0
		if qq.delta > 0 {
			u = min(15, int(math.Round(float64((x-lo)/qq.delta))))
		}
		sumU += u
		if x > 0 {
			qq.signs[i>>6] |= 1 << (i & 63)
		}
		if abs32(x) >= cut && x != 0 {
			qq.mask[i>>6] |= 1 << (i & 63)
		}
		for k := range 4 {
			if u&(1<<k) != 0 {
				qq.planes[4*(i>>6)+k] |= 1 << (i & 63)
			}
		}
	}
	qq.a = float32(len(q))*lo + qq.delta*float32(sumU)
	return qq
}

// The estimate of one code with factors (lo, delta, Σv) is ⟨q̃, ṽ⟩ =
// Σ (qlo + qδ·u)(lo + δ·v) = lo·(dim·qlo + qδ·Σu) + δ·(qlo·Σv + qδ·Σuv),
// where Σuv = Σ_jk 2^(j+k)·popcount(U_j ∧ V_k). uv1 computes Σuv for
// one-bit codes; scanRange writes the two- and four-bit kernels out.

func uv1(pl, code []uint64) (uv int) {
	for w, x := range code {
		k := pl[4*w : 4*w+4 : 4*w+4]
		uv += bits.OnesCount64(x&k[0]) + 2*bits.OnesCount64(x&k[1]) + 4*bits.OnesCount64(x&k[2]) + 8*bits.OnesCount64(x&k[3])
	}
	return uv
}

// maskCut returns the least |q[i]| that counts in the Hamming pass: the
// larger half of the query's components. Comparing signs where the query
// is near zero only adds noise: on isotropic random 384-dimension vectors
// recall@10 (10k vectors, a quarter kept) is 0.958 with every component,
// 0.988 with the larger half; on the built-in embedder's sparse queries
// 0.66 with every component, 0.92 with the non-zero ones, which is why
// four-bit (lexical) parts skip the pass.
func maskCut(q []float32) float32 {
	a := make([]float32, len(q))
	for i, x := range q {
		a[i] = abs32(x)
	}
	slices.Sort(a)
	return a[len(a)/2]
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }
