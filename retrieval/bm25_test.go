package retrieval

import (
	"context"
	"math"
	"testing"
)

// bm25Index indexes each text as a one-chunk document (chunk and document
// id i+1) with only BM25 scoring: no document evidence, no identity.
func bm25Index(t *testing.T, k1, b float64, texts ...string) *Index {
	t.Helper()
	ix := NewIndex(nil, Options{K1: k1, B: b, DocWeight: -1, TitleWeight: -1})
	chunks := make([]Chunk, len(texts))
	for i, text := range texts {
		chunks[i] = Chunk{ID: uint64(i + 1), DocumentID: uint64(i + 1), Text: text}
	}
	if err := ix.Add(context.Background(), chunks); err != nil {
		t.Fatal(err)
	}
	return ix
}

// keywordScores returns the keyword score of every matching chunk by id,
// and the ids in rank order.
func keywordScores(t *testing.T, ix *Index, q string, filter Filter) (map[uint64]float64, []uint64) {
	t.Helper()
	hits, err := ix.Search(context.Background(), Query{Text: q, Mode: ModeKeyword, TopK: 1000, Chunks: true, Filter: filter})
	if err != nil {
		t.Fatal(err)
	}
	scores := make(map[uint64]float64, len(hits))
	var order []uint64
	for _, h := range hits {
		scores[h.ChunkID] = h.Score
		order = append(order, h.ChunkID)
	}
	return scores, order
}

// TestBM25Scores checks scores against values computed by hand (Lucene
// idf, k1=1.2, b=0.75) for the tiny corpus below; stems are appl, banana,
// cherri, durian.
func TestBM25Scores(t *testing.T) {
	ix := bm25Index(t, 1.2, 0.75, "apple banana", "apple apple cherry", "cherry durian")
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
	for _, tc := range cases {
		got, _ := keywordScores(t, ix, tc.query, Filter{})
		for i, want := range tc.want {
			if g := got[uint64(i+1)]; math.Abs(g-want) > 1e-5 {
				t.Errorf("%q doc %d: score %.6f, want %.6f", tc.query, i, g, want)
			}
		}
	}
}

// TestBM25FilterInsideAndTop: a filtered-out chunk is never scored, and
// the rest come best first.
func TestBM25FilterInsideAndTop(t *testing.T) {
	ix := bm25Index(t, DefaultK1, DefaultB, "red fox", "red red fox", "blue fox", "red")
	scores, order := keywordScores(t, ix, "red fox", Filter{DocumentIDs: []uint64{1, 3, 4}})
	if len(order) != 3 || order[0] != 1 {
		t.Fatalf("ranking %v, want document 1 first and document 2 filtered out", order)
	}
	if _, ok := scores[2]; ok {
		t.Errorf("filtered chunk 2 was scored")
	}
	s := ix.scratch()
	for i, v := range s.acc {
		if v != 0 || s.mask[i] != 0 {
			t.Fatalf("the scratch came back with ordinal %d non-zero", i)
		}
	}
}

func TestBM25Compact(t *testing.T) {
	ix := bm25Index(t, DefaultK1, DefaultB, "alpha", "beta", "alpha beta", "gamma")
	ix.DeleteDocument(1)
	ix.DeleteDocument(4)
	ix.mu.Lock()
	ix.compact()
	ix.mu.Unlock()
	if ix.kw.size() != 2 || ix.kw.live() != 2 {
		t.Fatalf("size %d live %d, want 2 2", ix.kw.size(), ix.kw.live())
	}
	if _, ok := ix.kw.dict.get(termHashString("gamma")); ok {
		t.Error("term of a dropped chunk kept in the dictionary")
	}
	if _, order := keywordScores(t, ix, "alpha", Filter{}); len(order) != 1 || order[0] != 3 {
		t.Errorf("alpha after compaction = %v, want only chunk 3", order)
	}
}

// TestBM25DeleteWithTermsScoresLikeARebuild: a chunk removed with its terms
// leaves the scores an index built without it would give, before any
// compaction.
func TestBM25DeleteWithTermsScoresLikeARebuild(t *testing.T) {
	docs := []string{"alpha beta", "alpha gamma delta", "beta beta gamma", "alpha"}
	live := bm25Index(t, DefaultK1, DefaultB, docs...)
	live.DeleteDocument(2, Analyze(docs[1]))
	fresh := bm25Index(t, DefaultK1, DefaultB, docs[0], "", docs[2], docs[3])
	fresh.DeleteDocument(2, Analyze(""))
	for _, q := range []string{"alpha", "gamma beta", "delta"} {
		ls, lo := keywordScores(t, live, q, Filter{})
		fs, fo := keywordScores(t, fresh, q, Filter{})
		if len(lo) != len(fo) {
			t.Fatalf("%q: %d hits live, %d rebuilt", q, len(lo), len(fo))
		}
		for i, id := range lo {
			if id != fo[i] || ls[id] != fs[id] {
				t.Errorf("%q hit %d: chunk %d score %v live, chunk %d score %v rebuilt", q, i, id, ls[id], fo[i], fs[fo[i]])
			}
		}
	}
}

// TestBM25TiesGoToTheLowerChunkID: the order chunks were added in does not
// decide between equal scores.
func TestBM25TiesGoToTheLowerChunkID(t *testing.T) {
	ix := NewIndex(nil, Options{})
	var chunks []Chunk
	for _, id := range []uint64{30, 10, 20} {
		chunks = append(chunks, Chunk{ID: id, DocumentID: id, Text: "identical passage"})
	}
	if err := ix.Add(context.Background(), chunks); err != nil {
		t.Fatal(err)
	}
	hits, err := ix.Search(context.Background(), Query{Text: "identical", Mode: ModeKeyword, TopK: 2, Chunks: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 2 || hits[0].ChunkID != 10 || hits[1].ChunkID != 20 {
		t.Errorf("tied top 2 = %+v, want chunk ids 10 then 20", hits)
	}
}
