package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"

	"docent/ingest"
	"docent/retrieval"
)

// embedder is the built-in embedder, or with --fake-dim a bag of fixed
// random word vectors.
func (c *benchCmd) embedder() retrieval.Embedder {
	if c.FakeDim > 0 {
		return newWordVectors(c.FakeDim)
	}
	return retrieval.NewBuiltin(0)
}

// wordVectors stands in for a neural embedder when measuring speed: each
// word has a fixed random unit vector and a text is the normalised sum of
// its words' vectors, so related passages are near each other as with a
// real model, at no model cost.
type wordVectors struct {
	dim   int
	mu    sync.Mutex
	words map[string][]float32
}

func newWordVectors(dim int) *wordVectors {
	return &wordVectors{dim: dim, words: map[string][]float32{}}
}

// ID names the embedder and its dimension.
func (w *wordVectors) ID() string { return fmt.Sprintf("bench-words/%d", w.dim) }

// Dim is the dimension of the vectors.
func (w *wordVectors) Dim() int { return w.dim }

// Embed returns, for each text, the normalised sum of its words' vectors.
func (w *wordVectors) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		v := make([]float64, w.dim)
		for _, word := range strings.FieldsFunc(strings.ToLower(t), func(r rune) bool { return r < 'a' || r > 'z' }) {
			for j, x := range w.word(word) {
				v[j] += float64(x)
			}
		}
		var ss float64
		for _, x := range v {
			ss += x * x
		}
		out[i] = make([]float32, w.dim)
		for j, x := range v {
			out[i][j] = float32(x / math.Sqrt(max(ss, 1e-12)))
		}
	}
	return out, nil
}

// word returns the fixed vector of one word.
func (w *wordVectors) word(s string) []float32 {
	w.mu.Lock()
	defer w.mu.Unlock()
	if v, ok := w.words[s]; ok {
		return v
	}
	sum := sha256.Sum256([]byte(s))
	rng := rand.New(rand.NewChaCha8(sum))
	v := make([]float32, w.dim)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	w.words[s] = v
	return v
}

// perDocument is the number of passages of a generated document.
const perDocument = 40

// benchCorpus writes English-like text: sentences of real words (a
// scientific vocabulary in order of frequency) drawn with Zipf
// frequencies, each document about one of 200 topics whose words it uses
// more often, joined by function words. Queries ask about a topic with a
// few of its words.
type benchCorpus struct {
	rng    *rand.Rand
	vocab  []string
	zipf   *rand.Zipf
	topics [][]string
	topic  int // of the last document
}

var functionWords = strings.Fields("the of and in to a is was with for that by on as are from at an which were this be or these its has have between")

func newBenchCorpus(seed uint64) *benchCorpus {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	vocab := strings.Fields(benchWords)
	c := &benchCorpus{rng: rng, vocab: vocab, zipf: rand.NewZipf(rng, 1.07, 2, uint64(len(vocab)-1))}
	for range 200 {
		t := make([]string, 40)
		for i := range t {
			t[i] = vocab[100+rng.IntN(len(vocab)-100)]
		}
		c.topics = append(c.topics, t)
	}
	return c
}

// sentence appends one sentence about topic t.
func (c *benchCorpus) sentence(b *strings.Builder, t []string) {
	n := 6 + c.rng.IntN(10)
	for i := range n {
		w := c.vocab[c.zipf.Uint64()]
		if c.rng.IntN(10) < 3 {
			w = t[c.rng.IntN(len(t))]
		}
		if i == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		} else {
			b.WriteByte(' ')
			if c.rng.IntN(10) < 4 {
				b.WriteString(functionWords[c.rng.IntN(len(functionWords))])
				b.WriteByte(' ')
			}
		}
		b.WriteString(w)
	}
	b.WriteString(". ")
}

// document returns the text of a document of about passages passages (a
// paragraph break every few sentences) and how many the chunker makes of it.
func (c *benchCorpus) document(ctx context.Context, passages int) (string, int, error) {
	c.topic = c.rng.IntN(len(c.topics))
	t := c.topics[c.topic]
	var b strings.Builder
	target := passages*(ingest.DefaultChunkSize-ingest.DefaultChunkOverlap) - ingest.DefaultChunkOverlap/2
	for s := 1; b.Len() < target; s++ {
		c.sentence(&b, t)
		if s%6 == 0 {
			b.WriteString("\n\n")
		}
	}
	text := b.String()
	x, err := ingest.Extract(ctx, ingest.Text, strings.NewReader(text), int64(len(text)), ingest.Limits{})
	if err != nil {
		return "", 0, err
	}
	return text, len(ingest.Split(x, ingest.ChunkOptions{})), nil
}

// queries returns n questions: a few words of one topic, sometimes with a
// common word or a question's function words.
func (c *benchCorpus) queries(n int) []string {
	out := make([]string, n)
	for i := range out {
		t := c.topics[c.rng.IntN(len(c.topics))]
		words := []string{}
		for range 2 + c.rng.IntN(3) {
			words = append(words, t[c.rng.IntN(len(t))])
		}
		if c.rng.IntN(2) == 0 {
			words = append(words, c.vocab[20+c.rng.IntN(500)])
		}
		q := strings.Join(words, " ")
		if c.rng.IntN(3) == 0 {
			q = "what is the role of " + q
		}
		out[i] = q
	}
	return out
}
