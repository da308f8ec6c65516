package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// testChunks makes n chunks with vectors of dimension 4.
func testChunks(prefix string, n int) ([]Chunk, map[[16]byte][]float32) {
	chunks := make([]Chunk, n)
	vecs := map[[16]byte][]float32{}
	for i := range chunks {
		text := fmt.Sprintf("%s passage %d", prefix, i)
		h := TextHash(text)
		chunks[i] = Chunk{Text: text, Start: i * 10, End: i*10 + 9, Page: i + 1,
			Headings: []string{"Intro", prefix}, Terms: []byte{byte(i), 7}, TextHash: h}
		vecs[h] = []float32{float32(i), 1, 2, 3}
	}
	return chunks, vecs
}

func TestChunkIDRoundTrip(t *testing.T) {
	for _, c := range []struct {
		doc uint64
		idx int
	}{{1, 0}, {42, 7}, {1 << 39, MaxChunks - 1}} {
		d, i := SplitChunkID(ChunkID(c.doc, c.idx))
		if d != c.doc || i != c.idx {
			t.Errorf("ChunkID(%d,%d) round trip gave %d,%d", c.doc, c.idx, d, i)
		}
	}
}

func FuzzDecodeChunk(f *testing.F) {
	c, _ := testChunks("seed", 1)
	f.Add(encodeChunk(&c[0]))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, raw []byte) {
		decodeChunk(chunkKey(1, 2), raw) // must not panic
	})
}
