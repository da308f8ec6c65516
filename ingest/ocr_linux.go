package ingest

import "golang.org/x/sys/unix"

// limitMemory caps the address space of a started subprocess. It is set
// right after the process starts, before it has read its input, so the
// image and the models it loads count against it.
func limitMemory(pid int, bytes int64) {
	lim := unix.Rlimit{Cur: uint64(bytes), Max: uint64(bytes)}
	unix.Prlimit(pid, unix.RLIMIT_AS, &lim, nil)
}
