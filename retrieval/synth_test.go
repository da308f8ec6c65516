package retrieval

import (
	"math/rand/v2"
	"strings"
)

// synthCorpus makes realistic-looking text: a vocabulary of pronounceable
// words drawn with Zipf frequencies (s ≈ 1.07, like English), so term
// statistics resemble real chunks rather than random letters.
type synthCorpus struct {
	vocab []string
	zipf  *rand.Zipf
	rng   *rand.Rand
}

// newSynthCorpus returns a generator over a vocabulary of n words.
func newSynthCorpus(seed uint64, n int) *synthCorpus {
	rng := rand.New(rand.NewPCG(seed, 7))
	syll := []string{"ka", "lo", "mi", "tra", "ven", "dor", "sil", "pa", "ne", "qui", "ron", "tel", "as", "bri", "cu", "fen", "gal", "hor", "ist", "jun"}
	seen := make(map[string]bool, n)
	vocab := make([]string, 0, n)
	for len(vocab) < n {
		var b strings.Builder
		for range 1 + rng.IntN(4) {
			b.WriteString(syll[rng.IntN(len(syll))])
		}
		if w := b.String(); !seen[w] && !isStopWord(w) {
			seen[w] = true
			vocab = append(vocab, w)
		}
	}
	return &synthCorpus{vocab: vocab, zipf: rand.NewZipf(rng, 1.07, 2, uint64(n-1)), rng: rng}
}

// text returns about chars characters of sentences.
func (c *synthCorpus) text(chars int) string {
	var b strings.Builder
	for b.Len() < chars {
		n := 8 + c.rng.IntN(12)
		for i := range n {
			w := c.vocab[c.zipf.Uint64()]
			if i == 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			}
			b.WriteString(w)
			if i < n-1 {
				b.WriteByte(' ')
			}
		}
		b.WriteString(". ")
	}
	return b.String()
}

// query returns a question of n words from the middle of the frequency
// range.
func (c *synthCorpus) query(n int) string {
	words := make([]string, n)
	for i := range words {
		words[i] = c.vocab[20+c.rng.IntN(min(2000, len(c.vocab)-20))]
	}
	return strings.Join(words, " ")
}
