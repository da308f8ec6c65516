package retrieval

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// segmentCorpus returns chunks of docs documents (owners 0, 1 and 2,
// titles on each document's first chunk, overlapping ranges and pages),
// with vectors of the given kind: "builtin" (none given: the embedder's),
// or "neural" (clustered 96-dimension vectors given with each chunk).
func segmentCorpus(seed uint64, docs int, kind string) ([]Chunk, *vectorSet) {
	gen := newSynthCorpus(seed, 3000)
	var vs *vectorSet
	if kind == "neural" {
		vs = newVectorSet(seed, 96, 30)
	}
	var out []Chunk
	for d := range docs {
		n := 1 + (d*7)%9
		for i := range n {
			c := Chunk{ID: uint64(d+1)<<24 | uint64(i), DocumentID: uint64(d + 1), Owner: uint64(d % 3),
				Start: i * 400, End: i*400 + 500, Page: 1 + i/3, Text: gen.text(300 + 40*(i%5))}
			if i == 0 {
				c.Title = fmt.Sprintf("%s report %d", gen.vocab[40+d%50], d)
			}
			if i == 2 && d%5 == 0 {
				c.Text = out[len(out)-1].Text // identical content
			}
			if vs != nil {
				c.Vector = vs.next()
			}
			c.Terms = Analyze(c.Text)
			out = append(out, c)
		}
	}
	return out, vs
}

// buildSegment writes chunks to a new segment file in dir and opens it.
func buildSegment(t *testing.T, ix *Index, dir string, chunks []Chunk) *segment {
	t.Helper()
	path := filepath.Join(dir, fmt.Sprintf("seg-%d", chunks[0].ID))
	dim := 0
	if ix.dim > 0 {
		dim = ix.dim
	} else if v := chunks[0].Vector; v != nil {
		dim = len(v)
	} else {
		dim = ix.emb.Dim()
	}
	if err := ix.writeSegment(path, chunks, dim); err != nil {
		t.Fatal(err)
	}
	s, err := openSegment(path, filepath.Base(path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.close() })
	return s
}

// embedAll sets the built-in embedder's vector on chunks without one.
func embedAll(t *testing.T, chunks []Chunk) {
	t.Helper()
	emb := NewBuiltin(0)
	for i := range chunks {
		if chunks[i].Vector == nil {
			v, err := emb.Embed(context.Background(), []string{chunks[i].Text})
			if err != nil {
				t.Fatal(err)
			}
			chunks[i].Vector = v[0]
		}
	}
}

// sameSearches fails unless a and b answer every query alike in every
// mode and filter: same hits, order, scores, coverage and floor flags.
func sameSearches(t *testing.T, a, b *Index, queries []string, qvecs [][]float32) {
	t.Helper()
	filters := []Filter{{}, {Owners: []uint64{0, 1, 2}}, {Owners: []uint64{2}}, {Owners: []uint64{0, 1}, DocumentIDs: []uint64{1, 4, 7, 10, 13, 22, 31}},
		{Owners: []uint64{2, 0}, Granted: []uint64{1, 4, 5, 22, 31, 47}}, {Granted: []uint64{3, 4, 10, 31}},
		{Owners: []uint64{1}, Granted: []uint64{3, 6, 31}, DocumentIDs: []uint64{3, 4, 7, 31}}}
	for qi, text := range queries {
		for _, mode := range allModes {
			for fi, f := range filters {
				for _, variant := range []Query{{}, {Chunks: true}, {Diversify: true}} {
					q := variant
					q.Text, q.Mode, q.TopK, q.Filter = text, mode, 10, f
					if qvecs != nil {
						q.Vector = qvecs[qi]
					}
					ha, hb := search(t, a, q), search(t, b, q)
					if fmt.Sprint(ha) != fmt.Sprint(hb) {
						t.Fatalf("query %q, %s, filter %d, chunks %v, diversify %v:\nmemory   %v\nsegments %v", text, mode, fi, q.Chunks, q.Diversify, ha, hb)
					}
				}
			}
		}
	}
}

// TestSegmentsAnswerLikeMemory: an index whose chunks sit partly in
// segment files and partly in its tail — with documents deleted and
// replaced in both — returns exactly what an index built in memory from
// the same chunks returns, in every mode, for built-in and neural vectors.
func TestSegmentsAnswerLikeMemory(t *testing.T) {
	for _, kind := range []string{"builtin", "neural"} {
		t.Run(kind, func(t *testing.T) {
			chunks, vs := segmentCorpus(3, 300, kind)
			var emb Embedder
			if kind == "neural" {
				emb = givenVectors{dim: 96}
			} else {
				embedAll(t, chunks)
			}
			mem := NewIndex(emb, Options{})
			seg := NewIndex(emb, Options{})
			addAll(t, mem, chunks)
			dir := t.TempDir()
			cut1, cut2 := len(chunks)/3, 2*len(chunks)/3
			for chunks[cut1].DocumentID == chunks[cut1-1].DocumentID {
				cut1++
			}
			for chunks[cut2].DocumentID == chunks[cut2-1].DocumentID {
				cut2++
			}
			for _, part := range [][]Chunk{chunks[:cut1], chunks[cut1:cut2]} {
				if err := seg.attach(buildSegment(t, seg, dir, part), nil); err != nil {
					t.Fatal(err)
				}
			}
			addAll(t, seg, chunks[cut2:])
			if mem.Len() != seg.Len() {
				t.Fatalf("%d chunks in memory, %d with segments", mem.Len(), seg.Len())
			}
			// Deletions in both parts, with terms as the Library gives them.
			terms := map[uint64][]Terms{}
			for _, c := range chunks {
				terms[c.DocumentID] = append(terms[c.DocumentID], c.Terms)
			}
			for _, d := range []uint64{2, 50, 120, 199, 250, 290} {
				mem.DeleteDocument(d, terms[d]...)
				seg.DeleteDocument(d, terms[d]...)
			}
			// A document committed again: deleted, then added with new text.
			var again []Chunk
			for _, c := range chunks {
				if c.DocumentID == 31 {
					c.Text += " revised"
					c.Terms, c.Vector = Analyze(c.Text), nil
					if vs != nil {
						c.Vector = vs.next()
					}
					again = append(again, c)
				}
			}
			for _, ix := range []*Index{mem, seg} {
				ix.DeleteDocument(31, terms[31]...)
				addAll(t, ix, again)
			}
			if !slices.Equal(mem.ChunkIDs(), seg.ChunkIDs()) {
				t.Fatal("different chunk ids")
			}
			gen := newSynthCorpus(3, 3000)
			var queries []string
			var qvecs [][]float32
			for i := range 12 {
				q := gen.query(2 + i%4)
				if i%4 == 3 {
					q += " report"
				}
				queries = append(queries, q)
				if vs != nil {
					qvecs = append(qvecs, vs.next())
				}
			}
			sameSearches(t, mem, seg, queries, qvecs)
		})
	}
}

// TestSegmentFileDamageIsDetected: a truncated, bit-flipped or
// foreign-version segment file is refused when opened, never used.
func TestSegmentFileDamageIsDetected(t *testing.T) {
	chunks, _ := segmentCorpus(4, 40, "builtin")
	embedAll(t, chunks)
	ix := NewIndex(nil, Options{})
	dir := t.TempDir()
	path := filepath.Join(dir, "seg")
	if err := ix.writeSegment(path, chunks, BuiltinDim); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := openSegment(path, "seg"); err != nil {
		t.Fatalf("a good segment: %v", err)
	} else {
		s.close()
	}
	damage := map[string]func([]byte) []byte{
		"truncated":        func(b []byte) []byte { return b[:len(b)-100] },
		"cut in half":      func(b []byte) []byte { return b[:len(b)/2] },
		"empty":            func([]byte) []byte { return nil },
		"bit in postings":  func(b []byte) []byte { b[len(b)/3] ^= 0x10; return b },
		"bit in vectors":   func(b []byte) []byte { b[100] ^= 1; return b },
		"bit in toc":       func(b []byte) []byte { b[len(b)-trailerSize-5] ^= 4; return b },
		"another version":  func(b []byte) []byte { b[len(b)-trailerSize+8]++; return b },
		"appended garbage": func(b []byte) []byte { return append(b, 1, 2, 3) },
	}
	for name, fn := range damage {
		t.Run(name, func(t *testing.T) {
			bad := filepath.Join(dir, name)
			if err := os.WriteFile(bad, fn(slices.Clone(good)), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := openSegment(bad, name)
			if err == nil {
				s.close()
				t.Fatal("a damaged segment was opened")
			}
			if !errors.Is(err, errSegment) {
				t.Errorf("error %v does not say the segment is damaged", err)
			}
		})
	}
}
