package retrieval

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

// A document larger than addBatch is taken in a batch at a time: the
// index answers as if its chunks came in small Adds, and a damaged Terms
// in a late batch leaves the index as it was.
func TestLargeAddIsTakenInBatches(t *testing.T) {
	gen := newSynthCorpus(5, 3000)
	emb := NewBuiltin(0)
	var chunks []Chunk
	for i := range 2*addBatch + 300 {
		chunks = append(chunks, Chunk{ID: uint64(i + 1), DocumentID: uint64(i/900 + 1), Owner: uint64(i / 900 % 2),
			Start: i * 100, End: i*100 + 150, Text: gen.text(60)})
	}
	for i := range chunks {
		v, err := emb.Embed(context.Background(), []string{chunks[i].Text})
		if err != nil {
			t.Fatal(err)
		}
		chunks[i].Vector = v[0]
	}
	large, small := NewIndex(emb, Options{}), NewIndex(emb, Options{})
	if err := large.Add(context.Background(), chunks); err != nil {
		t.Fatal(err)
	}
	addAll(t, small, chunks)
	if large.Len() != len(chunks) {
		t.Fatalf("Len = %d, want %d", large.Len(), len(chunks))
	}
	for i := range 30 {
		for _, mode := range allModes {
			q := Query{Text: gen.query(3), TopK: 10, Mode: mode, Filter: Filter{Owners: []uint64{uint64(i % 2)}}}
			if a, b := search(t, large, q), search(t, small, q); !reflect.DeepEqual(a, b) {
				t.Fatalf("%s %q: one Add %v, small Adds %v", mode, q.Text, a, b)
			}
		}
	}

	damaged := make([]Chunk, len(chunks))
	copy(damaged, chunks)
	for i := range damaged {
		damaged[i].ID += 100_000
		damaged[i].DocumentID += 100
	}
	damaged[len(damaged)-1].Text, damaged[len(damaged)-1].Terms = "", Terms{1, 2}
	if err := large.Add(context.Background(), damaged); !errors.Is(err, ErrBadTerms) {
		t.Fatalf("damaged terms in the last batch: %v", err)
	}
	if large.Len() != len(chunks) {
		t.Errorf("a failed Add changed the index: Len = %d, want %d", large.Len(), len(chunks))
	}
}
