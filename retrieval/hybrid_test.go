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

func TestDedupeOverlapping(t *testing.T) {
	cs := []candidate{
		{id: 1, doc: 1, start: 0, end: 100},
		{id: 2, doc: 1, start: 80, end: 180},   // overlaps 1
		{id: 3, doc: 2, start: 80, end: 180},   // other document
		{id: 4, doc: 1, start: 100, end: 200},  // touches 1, overlaps 2 (dropped) only
		{id: 5, doc: 1, start: 150, end: 160},  // inside 4
		{id: 6, doc: 3},                        // no range
		{id: 7, doc: 3},                        // no range: never a duplicate
		{id: 8, doc: 1, start: 0, end: 1000},   // covers everything kept
		{id: 9, doc: 2, start: 179, end: 1000}, // overlaps 3 by one byte
	}
	if got, want := ids(dedupe(cs)), []uint64{1, 3, 4, 6, 7}; !slices.Equal(got, want) {
		t.Errorf("dedupe kept %v, want %v", got, want)
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
