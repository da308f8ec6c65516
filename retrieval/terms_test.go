package retrieval

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"testing"

	"docent/store"
)

func TestTermsRoundTrip(t *testing.T) {
	for _, text := range []string{"", "the", "alpha alpha beta gamma alphabet alphanumeric", "机器学习 v1.2 COVID-19"} {
		terms := Analyze(text)
		b, err := terms.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var back Terms
		if err := back.UnmarshalBinary(b); err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if !maps.Equal(back.Map(), terms.Map()) || back.Tokens() != terms.Tokens() {
			t.Errorf("%q: round trip %v, want %v", text, back.Map(), terms.Map())
		}
	}
}

func TestTermsRejectsBadBytes(t *testing.T) {
	good := Analyze("alpha beta beta")
	var unsorted termsEncoder
	unsorted.add("b", 1)
	unsorted.add("a", 1)
	cases := map[string][]byte{
		"empty":     {},
		"version":   append([]byte{9}, good[1:]...),
		"truncated": good[:len(good)-1],
		"trailing":  append(append([]byte{}, good...), 0),
		"unsorted":  unsorted.finish(),
		// per term: shared prefix, suffix length, suffix, frequency
		"repeated":    {termsVersion, 2, 2, 0, 2, 'a', 'b', 1, 2, 0, 1},
		"prefix back": {termsVersion, 2, 2, 0, 2, 'a', 'b', 1, 1, 1, 'a', 1},
		"prefix over": {termsVersion, 2, 2, 0, 1, 'a', 1, 2, 1, 'b', 1},
		"zero freq":   {termsVersion, 1, 0, 0, 1, 'a', 0},
		"token count": {termsVersion, 1, 5, 0, 1, 'a', 1},
	}
	for name, b := range cases {
		var tm Terms
		if err := tm.UnmarshalBinary(b); !errors.Is(err, ErrBadTerms) {
			t.Errorf("%s: err = %v, want ErrBadTerms", name, err)
		}
	}
	var ok Terms // "ab" then "abc" and "b": sorted, sharing prefixes
	if err := ok.UnmarshalBinary([]byte{termsVersion, 3, 3, 0, 2, 'a', 'b', 1, 2, 1, 'c', 1, 0, 1, 'b', 1}); err != nil {
		t.Errorf("sorted terms with shared prefixes rejected: %v", err)
	}
	if got := ok.Map(); len(got) != 3 || got["abc"] != 1 || got["b"] != 1 {
		t.Errorf("decoded %v, want ab abc b", got)
	}
	if _, err := Terms(nil).MarshalBinary(); err == nil {
		t.Error("marshalling nil Terms should fail")
	}
}

// TestOldTermsReanalysed: Terms of the first analyser stay readable, and
// the Index analyses a chunk again when its Terms are old and its text is
// given (as a start-up rebuild from the store does).
func TestOldTermsReanalysed(t *testing.T) {
	cur := Analyze("IL6 levels")
	if !cur.Current() {
		t.Fatal("fresh Terms are not Current")
	}
	old := append(Terms{oldTermsVersion}, cur[1:]...)
	var back Terms
	if err := back.UnmarshalBinary(old); err != nil || back.Current() {
		t.Fatalf("version 1 Terms: err = %v, Current = %v; want readable, not current", err, back.Current())
	}
	// Version 1 had no letter/digit split: pretend the stored terms are
	// just "il6" and "level".
	var enc termsEncoder
	enc.add("il6", 1)
	enc.add("level", 1)
	v1 := enc.finish()
	v1[0] = oldTermsVersion
	ix := NewIndex(nil, Options{})
	addAll(t, ix, []Chunk{
		{ID: 1, DocumentID: 1, Terms: v1, Text: "IL6 levels"},
		{ID: 2, DocumentID: 2, Terms: v1},
	})
	hits := search(t, ix, Query{Text: "IL 6", Mode: ModeKeyword})
	if len(hits) != 1 || hits[0].ChunkID != 1 {
		t.Errorf("IL 6: hits %v, want chunk 1 only (re-analysed)", hits)
	}
	if hits := search(t, ix, Query{Text: "il6", Mode: ModeKeyword}); len(hits) != 2 {
		t.Errorf("il6: %d hits, want 2 (old terms without text still indexed)", len(hits))
	}
}

// TestLoadReanalysesOldTerms: a store written by the first analyser
// (version 1 Terms) is loaded with its chunks analysed again from their
// text, so that questions and documents are analysed alike.
func TestLoadReanalysesOldTerms(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir(), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	emb := NewBuiltin(0)
	texts := []string{"IL6 levels rise after surgery", "Blade cooling in gas turbines"}
	var enc termsEncoder
	enc.add("il6", 1) // what the first analyser made of "IL6"
	enc.add("level", 1)
	enc.add("rise", 1)
	enc.add("surgeri", 1)
	v1 := enc.finish()
	v1[0] = oldTermsVersion
	for i, text := range texts {
		d := store.Document{Owner: 0, Filename: "d.txt", SHA256: fmt.Sprintf("%064x", i+1)}
		if _, _, err := db.CreateDocument(ctx, &d); err != nil {
			t.Fatal(err)
		}
		c := store.Chunk{Text: text, End: len(text), TextHash: store.TextHash(text), Terms: Analyze(text)}
		if i == 0 {
			c.Terms = v1
		}
		vecs, _ := emb.Embed(ctx, []string{text})
		if err := db.Commit(ctx, &d, []store.Chunk{c}, map[[16]byte][]float32{c.TextHash: vecs[0]}); err != nil {
			t.Fatal(err)
		}
	}
	lib := NewLibrary(db, emb, LibraryOptions{})
	if n, err := lib.Load(ctx); err != nil || n != 2 {
		t.Fatalf("Load = %d, %v", n, err)
	}
	hits, err := lib.Index().Search(ctx, Query{Text: "IL 6", Mode: ModeKeyword})
	if err != nil || len(hits) != 1 {
		t.Fatalf("IL 6 after loading old terms: %v %v, want the re-analysed chunk", hits, err)
	}
	if lib.Index().Len() != 2 {
		t.Errorf("Len = %d, want 2", lib.Index().Len())
	}
	if diffs, err := lib.Verify(ctx, []string{"IL 6 levels", "gas turbines"}); err != nil || len(diffs) != 0 {
		t.Errorf("Verify after re-analysis: %v %v", diffs, err)
	}
}
