package ingest

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  hello   world  ", "hello world"},
		{"a\r\nb\rc", "a\nb\nc"},
		{"one\n\n\n\n\ntwo", "one\n\ntwo"},
		{"line  \n   next", "line\nnext"},
		{"infor-\nmation", "information"},
		{"infor-\n  mation retrieval", "information retrieval"},
		{"well-\nKnown", "well-\nKnown"},
		{"2019-\n2020", "2019-\n2020"},
		{"para-\n\ngraph", "para-\n\ngraph"},
		{"soft\u00ad\nhyphen", "softhyphen"},
		{"in\u00advisible", "invisible"},
		{"nul\x00byte\x07bell", "nulbytebell"},
		{"tab\there\t\tend", "tab\there\tend"},
		{"page one\n\f\npage two", "page one\fpage two"},
		{"bad \xff\xfe utf8", "bad \ufffd utf8"},
		{"e\u0301", "\u00e9"}, // NFC
		{"\ufeffbom", "bom"},
		{"\ufb01nd the \ufb02ow", "find the flow"},
		{"non\u00a0breaking\u2003space", "non breaking space"},
		{"中文，不变。\n　　缩进保留", "中文，不变。\n　　缩进保留"},
		{"\n\n  \t ", ""},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeProperties(t *testing.T) {
	inputs := []string{"", "a", strings.Repeat("x \n\f\t\u00ad-\n", 50), "\xff\xfe\xfd", "\u0000\u0001\u001f\u007f\u0085"}
	for _, in := range inputs {
		out := Normalize(in)
		if !utf8.ValidString(out) {
			t.Errorf("Normalize(%q) is not UTF-8", in)
		}
		if Normalize(out) != out {
			t.Errorf("Normalize is not idempotent on %q: %q then %q", in, out, Normalize(out))
		}
		for _, r := range out {
			if r < ' ' && r != '\n' && r != '\t' && r != '\f' {
				t.Errorf("Normalize(%q) keeps control %U", in, r)
			}
		}
	}
}

func BenchmarkNormalize(b *testing.B) {
	text := strings.Repeat("The quick brown fox jumps over the lazy dog; infor-\nmation  retrieval   is fun.\n\n中文文本也要处理。\n", 2000)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Normalize(text)
	}
}
