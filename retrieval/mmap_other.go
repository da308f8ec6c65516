//go:build !unix

package retrieval

import (
	"io"
	"os"
)

// mapFile reads the first size bytes of f into memory (no memory mapping
// on this system: segments then cost their size in memory).
func mapFile(f *os.File, size int) (data []byte, release func() error, err error) {
	data = make([]byte, size)
	if _, err := io.ReadFull(io.NewSectionReader(f, 0, int64(size)), data); err != nil {
		return nil, nil, err
	}
	return data, func() error { return nil }, nil
}
