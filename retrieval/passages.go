package retrieval

import (
	"cmp"
	"slices"
)

// Passages. The ranked chunks become the passages a search returns:
//
//   - A chunk with the same content as a better one (the same file in a
//     user's space and in the shared library, a repeated page) is left out.
//   - Chunks of one document that overlap, or follow one another across a
//     page break, are merged into one passage, up to MaxMerge chunks, at the
//     rank of the best: the chunk that states an answer is never hidden
//     behind the overlapping one that ranked higher, an answer that runs
//     onto the next page comes whole, and a stretch of text takes one
//     place. Chunks of different sections are never merged.
//   - Unless Query.Diversify asks for maximal marginal relevance, each
//     further passage of a document already in the results is demoted by
//     DocPenalty times the best score, so that near-ties go to other
//     documents while a document with clearly better passages keeps them.
//     The document the question names (its identity matches the question
//     better than any other's) is exempt: a question about "the Northwind
//     Standard plan" wants depth from that booklet, not its twin's
//     parallel page.

// adjacentGap is the most bytes between two chunks on consecutive pages
// that still follow one another (the page break).
const adjacentGap = 2

// passages merges the ranked candidates cs into passages (see above),
// keeping the order of their best chunks.
func passages(cs []candidate, maxMerge int) []candidate {
	out := cs[:0:0]
	seen := make(map[uint64]bool, len(cs))
	byDoc := make(map[uint64][]int)
	for _, c := range cs {
		if seen[c.content] {
			continue
		}
		seen[c.content] = true
		if i, ok := mergeable(out, byDoc[c.doc], c, maxMerge); ok {
			p := &out[i]
			p.parts = append(p.parts, part{c.id, c.start, c.end})
			slices.SortFunc(p.parts, func(a, b part) int { return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.id, b.id)) })
			p.start, p.end = min(p.start, c.start), max(p.end, c.end)
			p.firstPage, p.lastPage = min(p.firstPage, c.firstPage), max(p.lastPage, c.lastPage)
			continue
		}
		c.parts = []part{{c.id, c.start, c.end}}
		byDoc[c.doc] = append(byDoc[c.doc], len(out))
		out = append(out, c)
	}
	return out
}

// mergeable returns the passage among out[at...] that c overlaps or
// joins across a page break, if it has room for one more chunk.
func mergeable(out []candidate, at []int, c candidate, maxMerge int) (int, bool) {
	if c.start == c.end {
		return 0, false // no range: nothing to merge with
	}
	for _, i := range at {
		p := &out[i]
		if p.start == p.end || len(p.parts) >= maxMerge {
			continue
		}
		if c.start < p.end && p.start < c.end {
			return i, true // overlap
		}
		after := c.start >= p.end && c.start <= p.end+adjacentGap && c.firstPage == p.lastPage+1
		before := p.start >= c.end && p.start <= c.end+adjacentGap && p.firstPage == c.lastPage+1
		if c.firstPage > 0 && (after || before) {
			return i, true
		}
	}
	return 0, false
}

// diversify picks n passages from cs greedily by score minus penalty × the
// best score for every passage of the same document picked before — except
// for the document the question names: the one whose identity matches the
// question better than any other's.
func diversify(cs []candidate, n int, penalty float64) []candidate {
	if len(cs) < 2 || penalty <= 0 {
		return cs
	}
	named := namedDocument(cs)
	top := cs[0].score
	rest := slices.Clone(cs)
	out := make([]candidate, 0, len(cs))
	picked := map[uint64]int{}
	for len(out) < n && len(rest) > 0 {
		best, bestVal := 0, 0.0
		for i, c := range rest {
			v := c.score
			if c.doc != named {
				v -= penalty * top * float64(picked[c.doc])
			}
			if i == 0 || v > bestVal {
				best, bestVal = i, v
			}
		}
		out = append(out, rest[best])
		picked[rest[best].doc]++
		rest = slices.Delete(rest, best, best+1)
	}
	return append(out, rest...)
}

// namedDocument returns the document among cs whose identity matches the
// question with the most weight, if no other matches as much; else 0.
func namedDocument(cs []candidate) uint64 {
	var doc uint64
	best, second := 0.0, 0.0
	for _, c := range cs {
		switch {
		case c.doc == doc:
		case c.named > best:
			doc, best, second = c.doc, c.named, best
		case c.named > second:
			second = c.named
		}
	}
	if best > second {
		return doc
	}
	return 0
}
