package retrieval

import (
	"math"
	"slices"
	"testing"
)

func ids(cs []candidate) []uint64 {
	out := make([]uint64, len(cs))
	for i, c := range cs {
		out[i] = c.id
	}
	return out
}

func TestRRFOrder(t *testing.T) {
	cases := []struct {
		name   string
		cs     []candidate
		wk, wv float64
		want   []uint64
	}{
		{"both lists beat one list",
			[]candidate{{id: 1, kwRank: 1}, {id: 2, kwRank: 2, vecRank: 2}, {id: 3, vecRank: 1}},
			1, 1, []uint64{2, 1, 3}},
		{"equal sums tie-break on keyword rank",
			[]candidate{{id: 3, vecRank: 1}, {id: 1, kwRank: 1}},
			1, 1, []uint64{1, 3}},
		{"vector weight zero keeps BM25 order",
			[]candidate{{id: 1, kwRank: 2, vecRank: 1}, {id: 2, kwRank: 1, vecRank: 50}},
			1, 0, []uint64{2, 1}},
		{"heavier vector weight",
			[]candidate{{id: 1, kwRank: 1, vecRank: 30}, {id: 2, kwRank: 5, vecRank: 1}},
			1, 2, []uint64{2, 1}},
		{"deep in both loses to top of one",
			[]candidate{{id: 1, kwRank: 90, vecRank: 90}, {id: 2, kwRank: 1}},
			1, 1, []uint64{2, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cs := slices.Clone(tc.cs)
			rrf(cs, 60, tc.wk, tc.wv)
			if got := ids(cs); !slices.Equal(got, tc.want) {
				t.Errorf("order %v, want %v", got, tc.want)
			}
		})
	}
	cs := []candidate{{id: 1, kwRank: 1, vecRank: 3}}
	rrf(cs, 60, 1, 1)
	if want := 1.0/61 + 1.0/63; cs[0].score != want {
		t.Errorf("score %v, want %v", cs[0].score, want)
	}
}

func TestPassagesMergeOverlappingAndDropIdentical(t *testing.T) {
	cs := []candidate{
		{id: 1, doc: 1, start: 0, end: 100, content: 1, firstPage: 1, lastPage: 1},
		{id: 2, doc: 1, start: 80, end: 180, content: 2, firstPage: 1, lastPage: 1},  // overlaps 1: merged into it
		{id: 3, doc: 2, start: 80, end: 180, content: 3},                             // other document
		{id: 4, doc: 1, start: 181, end: 300, content: 4, firstPage: 2, lastPage: 2}, // follows 2 across a page break: merged, 1's passage is full
		{id: 5, doc: 1, start: 290, end: 400, content: 5, firstPage: 2, lastPage: 2}, // overlaps the full passage: a passage of its own
		{id: 6, doc: 3, content: 6},                       // no range
		{id: 7, doc: 3, content: 7},                       // no range: never merged
		{id: 8, doc: 4, start: 0, end: 100, content: 3},   // same content as 3 (another copy): dropped
		{id: 9, doc: 2, start: 181, end: 300, content: 9}, // follows 3 without a page break (another section): its own passage
	}
	got := passages(cs, 3)
	want := [][]uint64{{1, 2, 4}, {3}, {5}, {6}, {7}, {9}}
	if len(got) != len(want) {
		t.Fatalf("%d passages, want %d", len(got), len(want))
	}
	for i, p := range got {
		var ids []uint64
		for _, x := range p.parts {
			ids = append(ids, x.id)
		}
		if !slices.Equal(ids, want[i]) {
			t.Errorf("passage %d has chunks %v, want %v", i, ids, want[i])
		}
	}
	if got[0].start != 0 || got[0].end != 300 {
		t.Errorf("merged passage spans [%d,%d), want [0,300)", got[0].start, got[0].end)
	}
}

func TestDiversifyDemotesRepeatedDocuments(t *testing.T) {
	cs := []candidate{
		{id: 1, doc: 1, score: 1}, {id: 2, doc: 1, score: 0.95}, {id: 3, doc: 1, score: 0.5},
		{id: 4, doc: 2, score: 0.9}, {id: 5, doc: 3, score: 0.3},
	}
	// With a penalty of 0.1 × the best score, 2 (0.95 − 0.1) falls behind
	// the other document's 4 (0.9); 3 (0.5 − 0.2) ties with 5 and, being
	// ranked first, stays first.
	if got, want := ids(diversify(cs, 5, 0.1)), []uint64{1, 4, 2, 3, 5}; !slices.Equal(got, want) {
		t.Errorf("diversify: %v, want %v", got, want)
	}
	if got, want := ids(diversify(cs, 5, 0.01)), []uint64{1, 2, 4, 3, 5}; !slices.Equal(got, want) {
		t.Errorf("a small penalty keeps a clearly better document's passages: %v, want %v", got, want)
	}
}

func TestDiversifySparesTheNamedDocument(t *testing.T) {
	cs := []candidate{
		{id: 1, doc: 1, score: 1, named: 2}, {id: 2, doc: 1, score: 0.95, named: 2},
		{id: 3, doc: 2, score: 0.9, named: 1}, {id: 4, doc: 2, score: 0.85, named: 1},
	}
	// Document 1's identity matches the question best: its passages keep
	// their places; document 2's second passage is still demoted.
	if got, want := ids(diversify(cs, 4, 0.2)), []uint64{1, 2, 3, 4}; !slices.Equal(got, want) {
		t.Errorf("diversify: %v, want %v", got, want)
	}
	cs[2].named, cs[3].named = 2, 2 // a tie names no document
	if got, want := ids(diversify(cs, 4, 0.2)), []uint64{1, 3, 2, 4}; !slices.Equal(got, want) {
		t.Errorf("diversify with a tie: %v, want %v", got, want)
	}
}

func TestMMRDemotesNearDuplicates(t *testing.T) {
	a := []float32{1, 0, 0}
	b := []float32{0.99, 0.141, 0}
	c := []float32{0, 1, 0}
	cs := []candidate{{id: 1, score: 1, vec: a}, {id: 2, score: 0.95, vec: b}, {id: 3, score: 0.9, vec: c}}
	if got, want := ids(mmr(cs, 3, 0.5)), []uint64{1, 3, 2}; !slices.Equal(got, want) {
		t.Errorf("mmr λ=0.5 order %v, want %v", got, want)
	}
	if got, want := ids(mmr(cs, 3, 1)), []uint64{1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("mmr λ=1 order %v, want relevance order %v", got, want)
	}
}

func TestBelowFloor(t *testing.T) {
	cases := []struct {
		c    candidate
		want bool
	}{
		{candidate{coverage: 0.5}, false},
		{candidate{coverage: 0.1}, true},
		{candidate{coverage: 0.1, hasCos: true, cos: 0.9}, false},
		{candidate{coverage: 0.1, hasCos: true, cos: 0.1}, true},
	}
	for _, tc := range cases {
		if got := belowFloor(tc.c, 0.4, 0.5); got != tc.want {
			t.Errorf("belowFloor(%+v) = %v, want %v", tc.c, got, tc.want)
		}
	}
}

func TestFuseScores(t *testing.T) {
	cs := []candidate{
		{id: 1, kwScore: 10, cos: 0.1, hasCos: true}, // 1 + 0.25
		{id: 2, kwScore: 8, cos: 0.4, hasCos: true},  // 0.8 + 1
		{id: 3, kwScore: 9},                          // 0.9, no vector
		{id: 4, kwScore: 5, cos: -0.2, hasCos: true}, // 0.5 − 0.5
	}
	fuseScores(cs, 1)
	if got := ids(cs); !slices.Equal(got, []uint64{2, 1, 3, 4}) {
		t.Errorf("order %v, want [2 1 3 4]", got)
	}
	if math.Abs(cs[0].score-1.8) > 1e-9 || math.Abs(cs[3].score) > 1e-9 {
		t.Errorf("scores %v", cs)
	}
	fuseScores(cs, 0)
	if got := ids(cs); !slices.Equal(got, []uint64{1, 3, 2, 4}) {
		t.Errorf("weight 0: order %v, want BM25 order [1 3 2 4]", got)
	}
}
