package retrieval

import (
	"errors"
	"maps"
	"testing"
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
		"empty":       {},
		"version":     append([]byte{9}, good[1:]...),
		"truncated":   good[:len(good)-1],
		"trailing":    append(append([]byte{}, good...), 0),
		"unsorted":    unsorted.finish(),
		"zero freq":   {termsVersion, 1, 0, 0, 1, 'a', 0},
		"token count": {termsVersion, 1, 5, 0, 1, 'a', 1},
	}
	for name, b := range cases {
		var tm Terms
		if err := tm.UnmarshalBinary(b); !errors.Is(err, ErrBadTerms) {
			t.Errorf("%s: err = %v, want ErrBadTerms", name, err)
		}
	}
	if _, err := Terms(nil).MarshalBinary(); err == nil {
		t.Error("marshalling nil Terms should fail")
	}
}
