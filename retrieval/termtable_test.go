package retrieval

import "testing"

func TestTermTable(t *testing.T) {
	var tab termTable
	if _, ok := tab.get(42); ok {
		t.Fatal("empty table found a term")
	}
	// Hashes sharing their low bits probe past each other; 0 is a valid hash.
	var hashes []uint64
	for i := range uint64(5000) {
		hashes = append(hashes, i<<20, i*0x9e3779b97f4a7c15+1)
	}
	for i, h := range hashes {
		tab.put(h, uint32(i))
	}
	tab.put(hashes[7], 7000) // an update, not a new term
	if tab.len() != len(hashes) {
		t.Fatalf("len %d, want %d", tab.len(), len(hashes))
	}
	for i, h := range hashes {
		want := uint32(i)
		if i == 7 {
			want = 7000
		}
		if id, ok := tab.get(h); !ok || id != want {
			t.Fatalf("get(%#x) = %d %v, want %d", h, id, ok, want)
		}
		if _, ok := tab.get(h + 1<<19); ok && h&(1<<19) == 0 && i%2 == 0 {
			t.Fatalf("get found the absent hash %#x", h+1<<19)
		}
	}
	seen := 0
	tab.all(func(h uint64, id uint32) { seen++ })
	if seen != len(hashes) {
		t.Errorf("all visited %d, want %d", seen, len(hashes))
	}
}
