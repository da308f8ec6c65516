package retrieval

import (
	"cmp"
	"math"
	"slices"
)

// candidate is one chunk considered by a search, with what each ranked
// list said about it.
type candidate struct {
	ord        uint32
	id, doc    uint64
	owner      uint64
	start, end int
	// firstPage and lastPage are the pages the passage spans (0 without).
	firstPage, lastPage int
	kwRank              int     // 1-based rank in the BM25 list, 0 if absent
	kwScore             float64 // BM25 score
	vecRank             int     // 1-based rank in the vector list, 0 if absent
	cos                 float64 // cosine with the query vector, when hasCos
	hasCos              bool
	coverage            float64 // idf-weighted fraction of the query terms it contains
	score               float64 // the final ranking score
	vec                 []float32
	content             uint64  // hash of the chunk's terms: equal for identical passages
	named               float64 // weight of the question terms its document's identity has
	slot                uint32  // its document's slot
	// parts lists the chunks of the passage this candidate heads (itself
	// and the overlapping or adjacent chunks merged into it), by start.
	parts []part
}

// part is one chunk of a passage.
type part struct {
	id         uint64
	start, end int
}

// rrf sets each candidate's score to its weighted reciprocal rank fusion
// score, Σ w/(k+rank) over the lists it appears in, and sorts best first.
func rrf(cs []candidate, k, wKeyword, wVector float64) {
	for i := range cs {
		c := &cs[i]
		c.score = 0
		if c.kwRank > 0 {
			c.score += wKeyword / (k + float64(c.kwRank))
		}
		if c.vecRank > 0 {
			c.score += wVector / (k + float64(c.vecRank))
		}
	}
	sortCandidates(cs)
}

// fuseScores sets each candidate's score to its BM25 score over the best
// BM25 score plus wVector times its cosine over the best cosine (CombSUM
// of max-normalised scores), and sorts best first. Unlike rank fusion it
// keeps how far apart the candidates are in each list.
func fuseScores(cs []candidate, wVector float64) {
	var maxKw, maxCos float64
	for _, c := range cs {
		maxKw = max(maxKw, c.kwScore)
		if c.hasCos {
			maxCos = max(maxCos, c.cos)
		}
	}
	for i := range cs {
		c := &cs[i]
		c.score = 0
		if maxKw > 0 {
			c.score = c.kwScore / maxKw
		}
		if c.hasCos && maxCos > 0 {
			c.score += wVector * c.cos / maxCos
		}
	}
	sortCandidates(cs)
}

// rerankVector sets the vector rank of every candidate (with a known
// cosine) to its rank by cosine among all candidates, so that chunks found
// only by BM25 get a vector rank too.
func rerankVector(cs []candidate) {
	idx := make([]int, 0, len(cs))
	for i, c := range cs {
		if c.hasCos {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if c := cmp.Compare(cs[b].cos, cs[a].cos); c != 0 {
			return c
		}
		return cmp.Compare(cs[a].id, cs[b].id)
	})
	for r, i := range idx {
		cs[i].vecRank = r + 1
	}
}

// sortCandidates orders candidates by score, best first; ties go to the
// better keyword rank, then the better vector rank, then the lower chunk id.
func sortCandidates(cs []candidate) {
	rank := func(r int) int {
		if r == 0 {
			return math.MaxInt
		}
		return r
	}
	slices.SortStableFunc(cs, func(a, b candidate) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		if c := cmp.Compare(rank(a.kwRank), rank(b.kwRank)); c != 0 {
			return c
		}
		if c := cmp.Compare(rank(a.vecRank), rank(b.vecRank)); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
}

// mmr reorders the first n picks of cs by maximal marginal relevance:
// each step takes the candidate maximising
// λ·relevance − (1−λ)·max cosine to the already picked ones, where
// relevance is the score scaled to [0,1] over cs. Candidates without a
// vector count as dissimilar to everything.
func mmr(cs []candidate, n int, lambda float64) []candidate {
	if len(cs) < 2 || n < 2 {
		return cs
	}
	lo, hi := cs[0].score, cs[0].score
	for _, c := range cs {
		lo, hi = min(lo, c.score), max(hi, c.score)
	}
	rel := func(c candidate) float64 {
		if hi == lo {
			return 1
		}
		return (c.score - lo) / (hi - lo)
	}
	rest := slices.Clone(cs)
	out := make([]candidate, 0, len(cs))
	maxSim := make([]float64, len(rest))
	for len(out) < n && len(rest) > 0 {
		best, bestVal := 0, math.Inf(-1)
		for i, c := range rest {
			if v := lambda*rel(c) - (1-lambda)*maxSim[i]; v > bestVal {
				best, bestVal = i, v
			}
		}
		pick := rest[best]
		out = append(out, pick)
		rest = slices.Delete(rest, best, best+1)
		maxSim = slices.Delete(maxSim, best, best+1)
		for i, c := range rest {
			if pick.vec != nil && c.vec != nil {
				maxSim[i] = max(maxSim[i], float64(dot(pick.vec, c.vec)))
			}
		}
	}
	return append(out, rest...)
}

// belowFloor reports whether a candidate is too weak to answer the query:
// it contains too small an idf-weighted share of the query terms and,
// when its cosine is known, is not similar enough either.
func belowFloor(c candidate, minCoverage, minCosine float64) bool {
	if c.coverage >= minCoverage {
		return false
	}
	return !(c.hasCos && minCosine > 0 && c.cos >= minCosine)
}
