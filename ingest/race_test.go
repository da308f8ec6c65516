//go:build race

package ingest

// raceEnabled is true when the tests run under the race detector, which
// makes the PDF quality test (pure CPU, no concurrency) ten times slower.
const raceEnabled = true
