package ingest

import "testing"

func TestCSV(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"comma", "name,city,age\nAda,London,36\nAlan,,41\n", "name: Ada; city: London; age: 36\nname: Alan; age: 41"},
		{"semicolon", "a;b\n1;2\n", "a: 1; b: 2"},
		{"tab", "a\tb\n1\t2\n", "a: 1; b: 2"},
		{"ragged", "a,b\n1\n1,2,3\n", "a: 1\na: 1; b: 2; column 3: 3"},
		{"quoted", "q,n\n\"hello, world\",\"multi\nline\"\n", "q: hello, world; n: multi line"},
		{"lazy quotes", "a,b\nsay \"hi\",x\n", "a: say \"hi\"; b: x"},
		{"header only", "just,a,header\n", "just; a; header"},
		{"empty header cell", ",b\n1,2\n", "column 1: 1; b: 2"},
		{"crlf", "a,b\r\n1,2\r\n", "a: 1; b: 2"},
	}
	for _, tt := range tests {
		x, err := extractBytes(t, CSV, []byte(tt.in))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if x.Text != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, x.Text, tt.want)
		}
	}
}
