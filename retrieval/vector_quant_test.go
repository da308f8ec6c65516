package retrieval

import (
	"strconv"

	"context"
	chromem "github.com/philippgille/chromem-go"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// vectorSet makes unit vectors that look like a neural embedder's:
// clustered by topic around a shared direction (anisotropic, as real
// models are), so that near neighbours have cosines around 0.7 and
// unrelated pairs around 0.2.
type vectorSet struct {
	rng    *rand.Rand
	dim    int
	common []float32
	topics [][]float32
}

func newVectorSet(seed uint64, dim, topics int) *vectorSet {
	vs := &vectorSet{rng: rand.New(rand.NewPCG(seed, 3)), dim: dim}
	vs.common = vs.gauss(1)
	for range topics {
		vs.topics = append(vs.topics, vs.gauss(1))
	}
	return vs
}

// gauss returns a random unit vector scaled by w.
func (vs *vectorSet) gauss(w float32) []float32 {
	v := make([]float32, vs.dim)
	for i := range v {
		v[i] = float32(vs.rng.NormFloat64())
	}
	normalize(v)
	for i := range v {
		v[i] *= w
	}
	return v
}

// next returns a vector near a random topic.
func (vs *vectorSet) next() []float32 {
	t := vs.topics[vs.rng.IntN(len(vs.topics))]
	n := vs.gauss(0.8)
	v := make([]float32, vs.dim)
	for i := range v {
		v[i] = 0.45*vs.common[i] + 0.6*t[i] + n[i]
	}
	normalize(v)
	return v
}

// random returns an isotropic random unit vector (the hardest case for
// any approximate search: nothing is near anything).
func (vs *vectorSet) random() []float32 { return vs.gauss(1) }

// bruteForce returns the ids of the n vectors most similar to q.
func bruteForce(vecs [][]float32, q []float32, n int) []uint64 {
	hits := make([]vectorHit, len(vecs))
	for i, v := range vecs {
		hits[i] = vectorHit{id: uint64(i + 1), sim: dot(q, v)}
	}
	slices.SortFunc(hits, compareHits)
	ids := make([]uint64, 0, n)
	for _, h := range hits[:min(n, len(hits))] {
		ids = append(ids, h.id)
	}
	return ids
}

// partRecall returns the mean recall@n of the part's search against
// brute force over queries.
func partRecall(p *quantPart, vecs, queries [][]float32, n int) float64 {
	var sum float64
	for _, q := range queries {
		want := bruteForce(vecs, q, n)
		got := p.search(q, n, nil)
		found := 0
		for _, h := range got {
			if slices.Contains(want, h.id) {
				found++
			}
		}
		sum += float64(found) / float64(len(want))
	}
	return sum / float64(len(queries))
}

func buildPart(vecs [][]float32, lexical bool) *quantPart {
	p := newQuantPart(len(vecs[0]), lexical)
	for i, v := range vecs {
		p.add(uint64(i+1), uint64(i/10+1), v)
	}
	return p
}

// TestQuantExactWhenSmall: a part no larger than the re-scoring budget is
// searched exactly, with exact cosines.
func TestQuantExactWhenSmall(t *testing.T) {
	vs := newVectorSet(1, 64, 10)
	var vecs [][]float32
	for range 500 {
		vecs = append(vecs, vs.next())
	}
	p := buildPart(vecs, false)
	q := vs.next()
	got := p.search(q, 10, nil)
	want := bruteForce(vecs, q, 10)
	for i, h := range got {
		if h.id != want[i] || h.sim != dot(q, vecs[h.id-1]) {
			t.Fatalf("hit %d: %d (%v), want %d (%v)", i, h.id, h.sim, want[i], dot(q, vecs[want[i]-1]))
		}
	}
}

// TestQuantRecall measures recall@10 of the binary scan with exact
// re-scoring against brute force on vectors shaped like the built-in
// embedder's and like a neural model's; isotropic random vectors, the
// worst case, are reported too.
//
// The parts are small (10,000 vectors) to keep the test quick, so the
// re-scoring budget is cut to 2.5% of the part, about what it is at
// 100,000 vectors; PERF.md has the recall at full size.
func TestQuantRecall(t *testing.T) {
	const n = 10_000
	old := rescoreBudget
	rescoreBudget = func(int, int) int { return n / 40 }
	defer func() { rescoreBudget = old }()
	gen := newSynthCorpus(5, 30000)
	emb := NewBuiltin(0)
	texts := make([]string, n)
	for i := range texts {
		texts[i] = gen.text(1000)
	}
	builtin, err := emb.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	var bq [][]float32
	for range 40 {
		bq = append(bq, emb.embedQuery(gen.query(4), func(string) float64 { return 1 }))
	}
	cases := []struct {
		name     string
		vecs, qs [][]float32
		min      float64
	}{{name: "builtin", vecs: builtin, qs: bq, min: 0.97}}
	for _, dim := range []int{384, 768} {
		vs := newVectorSet(uint64(dim), dim, 200)
		c := struct {
			name     string
			vecs, qs [][]float32
			min      float64
		}{name: "clustered" + itoa(dim), min: 0.97}
		for range n {
			c.vecs = append(c.vecs, vs.next())
		}
		for range 50 {
			c.qs = append(c.qs, vs.next())
		}
		cases = append(cases, c)
		r := struct {
			name     string
			vecs, qs [][]float32
			min      float64
		}{name: "random" + itoa(dim), min: 0.9}
		for range n {
			r.vecs = append(r.vecs, vs.random())
		}
		for range 50 {
			r.qs = append(r.qs, vs.random())
		}
		cases = append(cases, r)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := partRecall(buildPart(c.vecs, c.name == "builtin"), c.vecs, c.qs, 10)
			t.Logf("recall@10 against exact over %d vectors: %.4f", len(c.vecs), r)
			if r < c.min {
				t.Errorf("recall@10 %.4f < %.2f", r, c.min)
			}
		})
	}
}

func itoa(n int) string {
	return string(rune('0'+n/100)) + string(rune('0'+n/10%10)) + string(rune('0'+n%10))
}

// TestQuantRemoveIsOrderFree: after removals (which move slots), a part
// answers exactly like one built from the remaining vectors in another
// order.
func TestQuantRemoveIsOrderFree(t *testing.T) {
	vs := newVectorSet(2, 128, 50)
	var vecs [][]float32
	for range 8000 {
		vecs = append(vecs, vs.next())
	}
	live := buildPart(vecs, false)
	fresh := newQuantPart(128, false)
	for i := len(vecs) - 1; i >= 0; i-- {
		id := uint64(i + 1)
		if id%3 == 0 {
			live.remove(id)
			continue
		}
		fresh.add(id, uint64(i/10+1), vecs[i])
	}
	if live.len() != fresh.len() {
		t.Fatalf("len %d vs %d", live.len(), fresh.len())
	}
	for range 20 {
		q := vs.next()
		a, b := live.search(q, 50, nil), fresh.search(q, 50, nil)
		if !slices.EqualFunc(a, b, func(x, y vectorHit) bool { return x.id == y.id && x.sim == y.sim }) {
			t.Fatalf("live and rebuilt parts differ:\n%v\n%v", a, b)
		}
		for _, h := range a {
			if h.id%3 == 0 {
				t.Fatalf("removed chunk %d found", h.id)
			}
		}
	}
}

// TestQuantDocuments: a documents filter returns only those documents'
// chunks, exactly ranked.
func TestQuantDocuments(t *testing.T) {
	vs := newVectorSet(3, 96, 20)
	var vecs [][]float32
	for range 5000 {
		vecs = append(vecs, vs.next())
	}
	p := buildPart(vecs, false)
	q := vs.next()
	got := p.search(q, 5, []uint64{7, 300})
	if len(got) != 5 {
		t.Fatalf("%d hits", len(got))
	}
	for i, h := range got {
		if d := (h.id-1)/10 + 1; d != 7 && d != 300 {
			t.Fatalf("chunk %d of document %d", h.id, d)
		}
		if i > 0 && got[i-1].sim < h.sim {
			t.Fatal("not sorted")
		}
		if math.Abs(float64(h.sim-dot(q, vecs[h.id-1]))) > 0 {
			t.Fatal("similarity not exact")
		}
	}
	if hits := p.search(q, 5, []uint64{999999}); len(hits) != 0 {
		t.Fatalf("unknown document gave %d hits", len(hits))
	}
}

// TestQuantMatchesChromem: the index's vector search agrees with
// chromem-go's exhaustive scan over owner scopes and documents filters.
func TestQuantMatchesChromem(t *testing.T) {
	vs := newVectorSet(9, 128, 40)
	ctx := context.Background()
	ix := NewIndex(givenVectors{dim: 128}, Options{})
	cols := map[uint64]*chromem.Collection{}
	for owner := range uint64(3) {
		col, err := chromem.NewDB().CreateCollection("c", nil, func(context.Context, string) ([]float32, error) { return nil, nil })
		if err != nil {
			t.Fatal(err)
		}
		cols[owner] = col
		var chunks []Chunk
		for i := range 3000 {
			c := Chunk{ID: owner*100000 + uint64(i) + 1, DocumentID: owner*1000 + uint64(i/30) + 1, Owner: owner, Text: "x", Vector: vs.next()}
			chunks = append(chunks, c)
			doc := chromem.Document{ID: strconv.FormatUint(c.ID, 10), Embedding: c.Vector, Metadata: map[string]string{"d": strconv.FormatUint(c.DocumentID, 10)}}
			if err := col.AddDocument(ctx, doc); err != nil {
				t.Fatal(err)
			}
		}
		if err := ix.Add(ctx, chunks); err != nil {
			t.Fatal(err)
		}
	}
	scopes := [][]scope{
		{{owner: 0}, {owner: 2}},
		{{owner: 1, docs: []uint64{1005, 1050, 1099}}},
		{{owner: 0, docs: []uint64{3}}, {owner: 2}},
	}
	agree, total := 0, 0
	for i := range 30 {
		q := vs.next()
		sc := scopes[i%len(scopes)]
		got := ix.searchVectors(q, 10, sc)
		var want []vectorHit
		for _, s := range sc {
			wheres := []map[string]string{nil}
			if len(s.docs) > 0 {
				wheres = wheres[:0]
				for _, d := range s.docs {
					wheres = append(wheres, map[string]string{"d": strconv.FormatUint(d, 10)})
				}
			}
			for _, where := range wheres {
				res, err := cols[s.owner].QueryEmbedding(ctx, q, 10, where, nil)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range res {
					id, _ := strconv.ParseUint(r.ID, 10, 64)
					want = append(want, vectorHit{id: id, sim: r.Similarity})
				}
			}
		}
		slices.SortFunc(want, compareHits)
		want = want[:min(10, len(want))]
		if len(got) != len(want) {
			t.Fatalf("query %d: %d hits, chromem %d", i, len(got), len(want))
		}
		for _, h := range want {
			total++
			if slices.ContainsFunc(got, func(g vectorHit) bool { return g.id == h.id }) {
				agree++
			}
		}
	}
	if agree < total*99/100 {
		t.Errorf("%d of %d of chromem-go's hits found", agree, total)
	}
}
