package retrieval

import (
	"context"
	"errors"
	"math"
)

// Embedder turns texts into vectors. Implementations must be safe for
// concurrent use.
type Embedder interface {
	// ID is a stable identifier of the model and its dimension, recorded
	// with the index so that a different embedder is detected at start-up
	// (for example "builtin/v2/256" or "ollama/nomic-embed-text").
	ID() string
	// Dim is the vector dimension, or 0 while it is unknown (remote models
	// report it after the first call).
	Dim() int
	// Embed returns one L2-normalised vector per text, in order.
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// queryEmbedder is implemented by embedders that weight the features of a
// query with statistics of the indexed corpus. idf returns the inverse
// document frequency of an index term (as produced by the Analyzer). The
// Index prefers it over Embed for query text.
type queryEmbedder interface {
	embedQuery(text string, idf func(term string) float64) []float32
}

// ErrDimension is returned when a vector does not have the dimension the
// index or embedder expects.
var ErrDimension = errors.New("retrieval: vector dimension mismatch")

// normalize scales v to unit L2 length in place (computed in float64) and
// reports whether v was non-zero. A zero vector is left as it is.
func normalize(v []float32) bool {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	if ss == 0 || math.IsNaN(ss) || math.IsInf(ss, 0) {
		return false
	}
	inv := 1 / math.Sqrt(ss)
	for i, x := range v {
		v[i] = float32(float64(x) * inv)
	}
	return true
}

// dot returns the inner product of two vectors of the same length (the
// cosine similarity when both are normalised).
func dot(a, b []float32) float32 {
	if len(a) != len(b) {
		return 0
	}
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}
