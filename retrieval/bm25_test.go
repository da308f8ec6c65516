package retrieval

import (
	"hash/maphash"
	"math"
	"testing"
)

// TestBM25Scores checks scores against values computed by hand (Lucene
// idf, k1=1.2, b=0.75) for the tiny corpus below; stems are appl, banana,
// cherri, durian.
func TestBM25Scores(t *testing.T) {
	docs := []string{"apple banana", "apple apple cherry", "cherry durian"}
	cases := []struct {
		query string
		want  []float64
	}{
		{"apple", []float64{0.499176, 0.598186, 0}},
		{"cherry", []float64{0, 0.420817, 0.499176}},
		{"apple cherry", []float64{0.499176, 1.019004, 0.499176}},
		{"durian banana", []float64{1.041708, 0, 1.041708}},
		{"apples!", []float64{0.499176, 0.598186, 0}},
		{"kiwi", []float64{0, 0, 0}},
	}
	x := newBM25(1.2, 0.75)
	a := NewAnalyzer()
	for _, d := range docs {
		x.add(a.Analyze(d))
	}
	for _, tc := range cases {
		var s scratch
		x.search(x.resolve(a.Analyze(tc.query), qtfOnce), x.b, func(uint32) bool { return true }, &s, nil)
		for ord, want := range tc.want {
			if got := float64(s.acc[ord]); math.Abs(got-want) > 1e-5 {
				t.Errorf("%q doc %d: score %.6f, want %.6f", tc.query, ord, got, want)
			}
		}
	}
}

func TestBM25FilterInsideAndTop(t *testing.T) {
	x := newBM25(DefaultK1, DefaultB)
	a := NewAnalyzer()
	for _, d := range []string{"red fox", "red red fox", "blue fox", "red"} {
		x.add(a.Analyze(d))
	}
	var s scratch
	x.search(x.resolve(a.Analyze("red fox"), qtfOnce), x.b, func(ord uint32) bool { return ord != 1 }, &s, nil)
	top := s.top(10, nil)
	if len(top) != 3 || top[0].ord != 0 {
		t.Fatalf("top = %v, want doc 0 first, doc 1 filtered out", top)
	}
	for _, c := range top {
		if c.ord == 1 {
			t.Errorf("filtered ordinal 1 was scored")
		}
	}
	s.reset()
	for i, v := range s.acc {
		if v != 0 || s.mask[i] != 0 {
			t.Fatalf("reset left ordinal %d non-zero", i)
		}
	}
}

func TestBM25Compact(t *testing.T) {
	x := newBM25(DefaultK1, DefaultB)
	a := NewAnalyzer()
	for _, d := range []string{"alpha", "beta", "alpha beta", "gamma"} {
		x.add(a.Analyze(d))
	}
	x.remove(0, nil)
	x.remove(3, nil)
	x.compact([]uint32{0, 0, 1, 0})
	if x.size() != 2 || x.live() != 2 {
		t.Fatalf("size %d live %d, want 2 2", x.size(), x.live())
	}
	if _, ok := x.dict.get(maphash.String(x.seed, "gamma")); ok {
		t.Error("term of a dropped chunk kept in the dictionary")
	}
	var s scratch
	x.search(x.resolve(a.Analyze("alpha"), qtfOnce), x.b, func(uint32) bool { return true }, &s, nil)
	if top := s.top(10, nil); len(top) != 1 || top[0].ord != 1 {
		t.Errorf("alpha after compaction = %v, want only ordinal 1", top)
	}
}

// TestBM25DeleteWithTermsScoresLikeARebuild: a chunk removed with its terms
// leaves the scores an index built without it would give, before any
// compaction.
func TestBM25DeleteWithTermsScoresLikeARebuild(t *testing.T) {
	a := NewAnalyzer()
	docs := []string{"alpha beta", "alpha gamma delta", "beta beta gamma", "alpha"}
	live := newBM25(DefaultK1, DefaultB)
	for _, d := range docs {
		live.add(a.Analyze(d))
	}
	live.remove(1, a.Analyze(docs[1]))
	fresh := newBM25(DefaultK1, DefaultB)
	for i, d := range docs {
		if i != 1 {
			fresh.add(a.Analyze(d))
		}
	}
	for _, q := range []string{"alpha", "gamma beta", "delta"} {
		var ls, fs scratch
		live.search(live.resolve(a.Analyze(q), qtfOnce), live.b, func(o uint32) bool { return !live.dead[o] }, &ls, nil)
		fresh.search(fresh.resolve(a.Analyze(q), qtfOnce), fresh.b, func(uint32) bool { return true }, &fs, nil)
		lt, ft := ls.top(10, nil), fs.top(10, nil)
		if len(lt) != len(ft) {
			t.Fatalf("%q: %d hits live, %d rebuilt", q, len(lt), len(ft))
		}
		for i := range lt {
			if lt[i].score != ft[i].score {
				t.Errorf("%q hit %d: score %v live, %v rebuilt", q, i, lt[i].score, ft[i].score)
			}
		}
	}
}

// TestBM25TiesGoToTheLowerChunkID: the order chunks were added in does not
// decide between equal scores.
func TestBM25TiesGoToTheLowerChunkID(t *testing.T) {
	a := NewAnalyzer()
	x := newBM25(DefaultK1, DefaultB)
	for range 3 {
		x.add(a.Analyze("identical passage"))
	}
	ids := []uint64{30, 10, 20} // chunk ids of ordinals 0, 1, 2
	var s scratch
	x.search(x.resolve(a.Analyze("identical"), qtfOnce), x.b, func(uint32) bool { return true }, &s, nil)
	top := s.top(2, func(o uint32) uint64 { return ids[o] })
	if len(top) != 2 || top[0].key != 10 || top[1].key != 20 {
		t.Errorf("tied top 2 = %+v, want chunk ids 10 then 20", top)
	}
}
