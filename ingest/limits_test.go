package ingest

import "time"

// hangLimit bounds how long a hostile input may take in the tests that feed
// one: it detects a hang or a runaway (an unbounded loop, decompressing a
// whole bomb), not speed, so it is generous enough for -race on a busy
// machine. Speed is measured by the benchmarks.
const hangLimit = 30 * time.Second
