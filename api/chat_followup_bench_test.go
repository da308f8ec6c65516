package api

import (
	"testing"
	"time"
)

// BenchmarkFirstTokenFollowUpsExtractive is the time to the first streamed
// token of extractive answers over 100k passages of Zipf text (10k with
// -short), in one conversation, so that every question after the first is
// resolved against the ones before it: short questions with no sign of
// dependence are searched twice, and "And …?" follow-ups carry the earlier
// terms.
func BenchmarkFirstTokenFollowUpsExtractive(b *testing.B) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	e := newTestEnvChat(b, Config{}, nil)
	queries := e.zipfLibrary(b, n)
	ann := e.register("ann")
	conv := e.conversation(ann.Token)
	var lat []time.Duration
	for i := 0; b.Loop(); i++ {
		q := queries[i%len(queries)] + "?"
		if i%3 == 1 {
			q = "And " + q[:len(q)/2] + "?" // an elliptical follow-up
		}
		d, err := e.firstDelta(b, ann.Token, conv, q)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, d)
	}
	reportLatency(b, lat)
}
