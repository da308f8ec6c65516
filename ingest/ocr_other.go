//go:build !linux

package ingest

// limitMemory does nothing where prlimit is not available: the page
// timeout still bounds the subprocess.
func limitMemory(pid int, bytes int64) {}
