package retrieval

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
)

var allModes = []Mode{ModeKeyword, ModeVector, ModeHybrid}

// addAll indexes chunks or fails the test.
func addAll(t testing.TB, ix *Index, chunks []Chunk) {
	t.Helper()
	for i := 0; i < len(chunks); i += 500 {
		if err := ix.Add(context.Background(), chunks[i:min(i+500, len(chunks))]); err != nil {
			t.Fatal(err)
		}
	}
}

// search runs q or fails the test.
func search(t testing.TB, ix *Index, q Query) []Hit {
	t.Helper()
	hits, err := ix.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

// TestFilterOwnDocumentsAmongMany: a user with 3 documents among 10,000
// chunks of other users still gets TopK results, all their own.
func TestFilterOwnDocumentsAmongMany(t *testing.T) {
	gen := newSynthCorpus(1, 5000)
	ix := NewIndex(nil, Options{})
	var chunks []Chunk
	id := uint64(1)
	for i := range 10000 {
		owner := uint64(100 + (i/4)%50)
		chunks = append(chunks, Chunk{ID: id, DocumentID: uint64(1000 + i/4), Owner: owner, Start: (i % 4) * 500, End: (i%4)*500 + 500, Text: gen.text(500)})
		id++
	}
	const user = 7
	for d := range 3 {
		for c := range 5 {
			// Gaps between the chunks, so that each is a passage of its own.
			chunks = append(chunks, Chunk{ID: id, DocumentID: uint64(1 + d), Owner: user, Start: c * 500, End: c*500 + 400, Text: gen.text(400)})
			id++
		}
	}
	addAll(t, ix, chunks)
	q := gen.vocab[0] + " " + gen.vocab[1] + " " + gen.vocab[2] // in nearly every chunk
	for _, mode := range allModes {
		t.Run(string(mode), func(t *testing.T) {
			hits := search(t, ix, Query{Text: q, TopK: 10, Mode: mode, Filter: Filter{Owners: []uint64{user, 0}}})
			if len(hits) != 10 {
				t.Fatalf("got %d hits, want 10", len(hits))
			}
			for _, h := range hits {
				if h.DocumentID < 1 || h.DocumentID > 3 {
					t.Errorf("hit from document %d, not the user's", h.DocumentID)
				}
			}
			hits = search(t, ix, Query{Text: q, TopK: 10, Mode: mode, Filter: Filter{Owners: []uint64{user}, DocumentIDs: []uint64{2, 1000}}})
			if len(hits) != 5 {
				t.Fatalf("DocumentIDs filter: got %d hits, want the 5 chunks of document 2", len(hits))
			}
			for _, h := range hits {
				if h.DocumentID != 2 {
					t.Errorf("DocumentIDs filter let document %d through", h.DocumentID)
				}
			}
		})
	}
}

// TestFilterGrantedDocuments: documents shared through workspaces join
// the user's own inside the search (TopK results still come), and a
// workspace's scope (Granted alone) sees nothing else.
func TestFilterGrantedDocuments(t *testing.T) {
	gen := newSynthCorpus(3, 5000)
	ix := NewIndex(nil, Options{})
	var chunks []Chunk
	id := uint64(1)
	for i := range 8000 { // 2,000 documents of 40 other users
		chunks = append(chunks, Chunk{ID: id, DocumentID: uint64(1000 + i/4), Owner: uint64(100 + (i/4)%40), Start: (i % 4) * 500, End: (i%4)*500 + 500, Text: gen.text(500)})
		id++
	}
	const user = 7
	for c := range 4 {
		chunks = append(chunks, Chunk{ID: id, DocumentID: 1, Owner: user, Start: c * 400, End: c*400 + 400, Text: gen.text(400)})
		id++
	}
	addAll(t, ix, chunks)
	granted := []uint64{1004, 1500} // owned by users 101 and 100, 4 chunks each
	q := gen.vocab[0] + " " + gen.vocab[1] + " " + gen.vocab[2]
	for _, mode := range allModes {
		t.Run(string(mode), func(t *testing.T) {
			check := func(f Filter, want int, allowed ...uint64) {
				t.Helper()
				hits := search(t, ix, Query{Text: q, TopK: 20, Mode: mode, Filter: f})
				if len(hits) != want {
					t.Fatalf("%+v: %d hits, want %d", f, len(hits), want)
				}
				for _, h := range hits {
					if !slices.Contains(allowed, h.DocumentID) {
						t.Errorf("%+v let document %d through", f, h.DocumentID)
					}
				}
			}
			check(Filter{Owners: []uint64{user, 0}, Granted: granted}, 12, 1, 1004, 1500)
			check(Filter{Owners: []uint64{user, 0}, Granted: granted, DocumentIDs: []uint64{1500, 1501}}, 4, 1500)
			check(Filter{Granted: granted}, 8, 1004, 1500)
			check(Filter{Granted: []uint64{1004, 424242}}, 4, 1004)
		})
	}
}

func TestZeroFilterSeesSharedLibraryOnly(t *testing.T) {
	ix := NewIndex(nil, Options{})
	addAll(t, ix, []Chunk{
		{ID: 1, DocumentID: 1, Owner: 0, Text: "shared notes about turbines"},
		{ID: 2, DocumentID: 2, Owner: 5, Text: "private notes about turbines"},
	})
	for _, mode := range allModes {
		hits := search(t, ix, Query{Text: "turbines notes", Mode: mode})
		if len(hits) != 1 || hits[0].DocumentID != 1 {
			t.Errorf("%s: zero filter returned %v, want only the shared document", mode, hits)
		}
	}
}

func TestDeleteThenSearch(t *testing.T) {
	gen := newSynthCorpus(2, 3000)
	ix := NewIndex(nil, Options{})
	var chunks []Chunk
	for i := range 3000 {
		chunks = append(chunks, Chunk{ID: uint64(i + 1), DocumentID: uint64(i/3 + 1), Text: gen.text(300)})
	}
	addAll(t, ix, chunks)
	q := chunks[0].Text[:80] // words of document 1
	for _, mode := range allModes {
		hits := search(t, ix, Query{Text: q, TopK: 5, Mode: mode})
		if !slices.ContainsFunc(hits, func(h Hit) bool { return h.DocumentID == 1 }) {
			t.Fatalf("%s: before delete, hits %v, want document 1 among them", mode, hits)
		}
	}
	ix.DeleteDocument(1)
	// Delete enough to force a compaction too.
	for d := uint64(2); d <= 600; d++ {
		ix.DeleteDocument(d)
	}
	if ix.kw.size() >= 3000 {
		t.Errorf("no compaction after deleting 60%% of chunks (%d ordinals, %d dead)", ix.kw.size(), ix.kw.nDead)
	}
	if ix.Len() != 3000-1800 || len(ix.ChunkIDs()) != 1200 {
		t.Errorf("Len %d, ChunkIDs %d; want 1200", ix.Len(), len(ix.ChunkIDs()))
	}
	for _, mode := range allModes {
		for _, text := range []string{q, chunks[5].Text[:60], chunks[2500].Text[:60]} {
			for _, h := range search(t, ix, Query{Text: text, TopK: 50, Mode: mode}) {
				if h.DocumentID <= 600 {
					t.Fatalf("%s: deleted document %d returned", mode, h.DocumentID)
				}
			}
		}
		hits := search(t, ix, Query{Text: chunks[2500].Text[:100], TopK: 5, Mode: mode})
		if !slices.ContainsFunc(hits, func(h Hit) bool { return h.ChunkID == 2501 }) {
			t.Errorf("%s: after compaction, chunk 2501 not found: %v", mode, hits)
		}
	}
}

func TestChineseQuestionFindsChinesePassage(t *testing.T) {
	ix := NewIndex(nil, Options{})
	addAll(t, ix, []Chunk{
		{ID: 1, DocumentID: 1, Text: "The turbine blades are inspected every six months."},
		{ID: 2, DocumentID: 2, Text: "机器学习是人工智能的一个分支，它使计算机能够从数据中学习。"},
		{ID: 3, DocumentID: 3, Text: "北京是中国的首都，也是一座历史悠久的城市。"},
		{ID: 4, DocumentID: 4, Text: "東京は日本の首都です。"},
	})
	cases := []struct {
		q    string
		want uint64
	}{
		{"什么是机器学习？", 2},
		{"中国的首都是哪里", 3},
		{"日本の首都はどこですか", 4},
	}
	for _, tc := range cases {
		for _, mode := range allModes {
			hits := search(t, ix, Query{Text: tc.q, TopK: 3, Mode: mode})
			if len(hits) == 0 || hits[0].DocumentID != tc.want {
				t.Errorf("%s %q: hits %v, want document %d first", mode, tc.q, hits, tc.want)
			}
		}
	}
}

// TestRebuildFromTermsAndVectors: an index rebuilt from persisted Terms
// and vectors, without text, answers exactly like the original.
func TestRebuildFromTermsAndVectors(t *testing.T) {
	gen := newSynthCorpus(3, 4000)
	emb := NewBuiltin(0)
	orig := NewIndex(emb, Options{})
	var chunks []Chunk
	for i := range 2000 {
		chunks = append(chunks, Chunk{ID: uint64(i + 1), DocumentID: uint64(i/2 + 1), Owner: uint64(i / 2 % 3), Start: i % 2 * 100, End: i%2*100 + 150, Text: gen.text(400)})
	}
	addAll(t, orig, chunks)
	stored := make([]Chunk, len(chunks))
	for i, c := range chunks {
		vec, err := emb.Embed(context.Background(), []string{c.Text})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := orig.Analyze(c.Text).MarshalBinary()
		var terms Terms
		if err := terms.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		c.Text, c.Terms, c.Vector = "", terms, vec[0]
		stored[i] = c
	}
	rebuilt := NewIndex(emb, Options{})
	addAll(t, rebuilt, stored)
	for i := range 20 {
		for _, mode := range allModes {
			q := Query{Text: gen.query(3), TopK: 10, Mode: mode, Filter: Filter{Owners: []uint64{uint64(i % 3), 0}}, Diversify: i%2 == 0}
			a, b := search(t, orig, q), search(t, rebuilt, q)
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("%s %q: original %v, rebuilt %v", mode, q.Text, a, b)
			}
		}
	}
}

func TestAddReplacesAndValidates(t *testing.T) {
	ix := NewIndex(nil, Options{})
	addAll(t, ix, []Chunk{{ID: 1, DocumentID: 1, Owner: 3, Text: "old words about pumps"}})
	addAll(t, ix, []Chunk{{ID: 1, DocumentID: 1, Owner: 3, Text: "new words about valves"}})
	if ix.Len() != 1 {
		t.Errorf("Len = %d after replacing, want 1", ix.Len())
	}
	f := Filter{Owners: []uint64{3}}
	for _, mode := range allModes {
		if hits := search(t, ix, Query{Text: "pumps", Mode: mode, Filter: f}); mode == ModeKeyword && len(hits) != 0 {
			t.Errorf("old text still found: %v", hits)
		}
		if hits := search(t, ix, Query{Text: "valves", Mode: mode, Filter: f}); len(hits) != 1 {
			t.Errorf("%s: new text not found: %v", mode, hits)
		}
	}
	err := ix.Add(context.Background(), []Chunk{{ID: 2, DocumentID: 1, Owner: 4, Text: "x"}})
	if !errors.Is(err, ErrOwnerMismatch) {
		t.Errorf("owner change: err = %v, want ErrOwnerMismatch", err)
	}
	err = ix.Add(context.Background(), []Chunk{{ID: 3, DocumentID: 9, Text: "x", Vector: []float32{1, 2, 3}}})
	if !errors.Is(err, ErrDimension) {
		t.Errorf("wrong dimension: err = %v, want ErrDimension", err)
	}
	err = ix.Add(context.Background(), []Chunk{{ID: 4, DocumentID: 9, Terms: Terms{1, 2}}})
	if !errors.Is(err, ErrBadTerms) {
		t.Errorf("bad terms: err = %v, want ErrBadTerms", err)
	}
	if _, err := ix.Search(context.Background(), Query{Text: "x", Mode: "fuzzy"}); !errors.Is(err, ErrMode) {
		t.Errorf("bad mode: err = %v, want ErrMode", err)
	}
	if ix.Len() != 1 {
		t.Errorf("failed adds changed the index: Len = %d", ix.Len())
	}
}

// TestPassagesInSearch: overlapping and adjacent chunks of a document come
// back as one passage (the best chunk first in ChunkID, all of them in
// Chunks, in document order), and a chunk with the same content as a
// better one (a second copy of the document) is not returned again.
func TestPassagesInSearch(t *testing.T) {
	ix := NewIndex(nil, Options{})
	text := "the compressor surge margin depends on blade loading"
	addAll(t, ix, []Chunk{
		{ID: 1, DocumentID: 1, Start: 0, End: 100, Page: 1, Text: text},
		{ID: 2, DocumentID: 1, Start: 50, End: 150, Page: 1, Text: text + " in the turbine"},
		{ID: 3, DocumentID: 1, Start: 151, End: 250, Page: 2, Text: "blade loading and surge"}, // after a page break
		{ID: 4, DocumentID: 2, Start: 0, End: 100, Page: 1, Text: text},
		{ID: 5, DocumentID: 1, Start: 900, End: 1000, Page: 9, Text: "surge margin far away in the document"},
	})
	for _, mode := range allModes {
		hits := search(t, ix, Query{Text: "compressor surge margin blade loading", TopK: 10, Mode: mode})
		if len(hits) != 2 {
			t.Fatalf("%s: got %+v, want 2 passages", mode, hits)
		}
		if !slices.Equal(hits[0].Chunks, []uint64{1, 2, 3}) || !slices.Contains([]uint64{1, 2}, hits[0].ChunkID) {
			t.Errorf("%s: first passage %d with chunks %v, want chunks [1 2 3] led by 1 or 2", mode, hits[0].ChunkID, hits[0].Chunks)
		}
		if hits[1].ChunkID != 5 || !slices.Equal(hits[1].Chunks, []uint64{5}) {
			t.Errorf("%s: second passage %d %v, want chunk 5 alone", mode, hits[1].ChunkID, hits[1].Chunks)
		}
		raw := search(t, ix, Query{Text: "compressor surge margin blade loading", TopK: 10, Mode: mode, Chunks: true})
		if len(raw) != 5 {
			t.Errorf("%s: Chunks gives %d hits, want all 5 chunks", mode, len(raw))
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	gen := newSynthCorpus(4, 2000)
	ix := NewIndex(nil, Options{})
	texts, queries := make([]string, 200), make([]string, 200)
	for i := range texts {
		texts[i], queries[i] = gen.text(200), gen.query(2)
	}
	done := make(chan error)
	for w := range 4 {
		go func() {
			var err error
			for i := range 50 {
				id := uint64(w*1000 + i + 1)
				if err = ix.Add(context.Background(), []Chunk{{ID: id, DocumentID: id, Text: texts[w*50+i]}}); err != nil {
					break
				}
				if _, err = ix.Search(context.Background(), Query{Text: queries[w*50+i]}); err != nil {
					break
				}
				if i%10 == 0 {
					ix.DeleteDocument(id)
				}
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if ix.Len() != 4*45 {
		t.Errorf("Len = %d, want %d", ix.Len(), 4*45)
	}
}

func ExampleIndex_Search() {
	ix := NewIndex(nil, Options{})
	_ = ix.Add(context.Background(), []Chunk{
		{ID: 1, DocumentID: 1, Text: "Pumps move fluids by mechanical action."},
		{ID: 2, DocumentID: 2, Text: "Valves control the flow of fluids."},
	})
	hits, _ := ix.Search(context.Background(), Query{Text: "how do valves control flow?", TopK: 1})
	fmt.Println(hits[0].DocumentID)
	// Output: 2
}

func TestRelevanceFloor(t *testing.T) {
	ix := NewIndex(nil, Options{})
	addAll(t, ix, []Chunk{
		{ID: 1, DocumentID: 1, Text: "The compressor blades are inspected for fatigue cracks every six months."},
		{ID: 2, DocumentID: 2, Text: "Invoices are paid within thirty days of receipt."},
	})
	cases := []struct {
		q         string
		wantBelow bool
	}{
		{"how often are compressor blades inspected for cracks", false},
		{"when are invoices paid", false},
		{"what is the capital of Mongolia and its population", true},
	}
	for _, tc := range cases {
		for _, mode := range allModes {
			hits := search(t, ix, Query{Text: tc.q, TopK: 1, Mode: mode})
			if len(hits) == 0 {
				if !tc.wantBelow {
					t.Errorf("%s %q: no hit", mode, tc.q)
				}
				continue
			}
			if hits[0].BelowFloor != tc.wantBelow {
				t.Errorf("%s %q: BelowFloor = %v (coverage %.2f, cosine %.2f), want %v", mode, tc.q, hits[0].BelowFloor, hits[0].Coverage, hits[0].Cosine, tc.wantBelow)
			}
		}
	}
	off := NewIndex(nil, Options{FloorCoverage: -1})
	addAll(t, off, []Chunk{{ID: 1, DocumentID: 1, Text: "alpha beta"}})
	if hits := search(t, off, Query{Text: "alpha gamma delta epsilon zeta", Mode: ModeVector}); len(hits) == 0 || hits[0].BelowFloor {
		t.Errorf("disabled floor flagged %v", hits)
	}
}
