package retrieval

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"runtime"
	"sync"
	"unsafe"
)

// Section files: the container of a segment (segment.go). A file is a
// run of sections — fixed-width little-endian arrays and byte streams,
// each starting at a multiple of 64 bytes so that it can be used in place
// from a memory mapping — then a table of contents, the checksums and a
// trailer:
//
//	section … section | toc | crcs | trailer
//	toc:     per section {kind u32, 0 u32, offset u64, length u64}
//	crcs:    CRC-32C of every 1 MiB block of every section, in toc order
//	trailer: magic "dcntseg\n", version u32, sections u32, toc offset u64,
//	         crcs offset u64, crc of toc and crcs u32, 0 u32 (40 bytes)
//
// Opening a file checks the trailer, the version and every block's
// checksum before anything is used: a truncated, bit-flipped or
// foreign-version file is refused whole (errSegment), never half used.

const (
	sectionMagic   = "dcntseg\n"
	sectionAlign   = 64
	sectionBlock   = 1 << 20
	trailerSize    = 40
	tocEntrySize   = 24
	maxSectionKind = 64
)

// errSegment is wrapped by every error about a damaged, truncated or
// foreign segment file.
var errSegment = errors.New("segment file damaged or of another version")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// littleEndianHost is whether typed views of little-endian bytes can be
// used in place. Persisted segments are only written and read on such
// hosts (amd64, arm64, …); elsewhere the index is rebuilt from the store.
var littleEndianHost = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// tocEntry locates one section.
type tocEntry struct {
	kind        uint32
	off, length uint64
}

// sectionWriter writes a section file. Errors are kept and returned by
// finish.
type sectionWriter struct {
	f     *os.File
	w     *bufio.Writer
	off   uint64
	toc   []tocEntry
	crcs  []uint32
	open  bool
	block uint32 // crc of the current block
	inBlk int    // bytes in the current block
	err   error
}

// createSections creates path (which must not exist) for writing.
func createSections(path string) (*sectionWriter, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	return &sectionWriter{f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

// begin starts a section of the given kind (at most one of each).
func (w *sectionWriter) begin(kind uint32) {
	if w.open {
		w.end()
	}
	if pad := (sectionAlign - w.off%sectionAlign) % sectionAlign; pad > 0 {
		w.raw(make([]byte, pad))
	}
	w.toc = append(w.toc, tocEntry{kind: kind, off: w.off})
	w.open, w.block, w.inBlk = true, 0, 0
}

// Write appends p to the open section.
func (w *sectionWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), sectionBlock-w.inBlk)
		w.block = crc32.Update(w.block, castagnoli, p[:k])
		w.inBlk += k
		if w.inBlk == sectionBlock {
			w.crcs = append(w.crcs, w.block)
			w.block, w.inBlk = 0, 0
		}
		w.raw(p[:k])
		p = p[k:]
	}
	return n, w.err
}

// raw writes p to the file.
func (w *sectionWriter) raw(p []byte) {
	if w.err != nil {
		return
	}
	_, w.err = w.w.Write(p)
	w.off += uint64(len(p))
}

// end closes the open section.
func (w *sectionWriter) end() {
	if !w.open {
		return
	}
	e := &w.toc[len(w.toc)-1]
	e.length = w.off - e.off
	if w.inBlk > 0 {
		w.crcs = append(w.crcs, w.block)
	}
	w.open = false
}

// finish writes the table of contents, checksums and trailer, and syncs
// and closes the file.
func (w *sectionWriter) finish() error {
	w.end()
	tocOff := w.off
	var tail []byte
	for _, e := range w.toc {
		tail = binary.LittleEndian.AppendUint32(tail, e.kind)
		tail = binary.LittleEndian.AppendUint32(tail, 0)
		tail = binary.LittleEndian.AppendUint64(tail, e.off)
		tail = binary.LittleEndian.AppendUint64(tail, e.length)
	}
	crcOff := tocOff + uint64(len(tail))
	for _, c := range w.crcs {
		tail = binary.LittleEndian.AppendUint32(tail, c)
	}
	sum := crc32.Checksum(tail, castagnoli)
	tail = append(tail, sectionMagic...)
	tail = binary.LittleEndian.AppendUint32(tail, segmentVersion)
	tail = binary.LittleEndian.AppendUint32(tail, uint32(len(w.toc)))
	tail = binary.LittleEndian.AppendUint64(tail, tocOff)
	tail = binary.LittleEndian.AppendUint64(tail, crcOff)
	tail = binary.LittleEndian.AppendUint32(tail, sum)
	tail = binary.LittleEndian.AppendUint32(tail, 0)
	w.raw(tail)
	if w.err == nil {
		w.err = w.w.Flush()
	}
	if w.err == nil {
		w.err = w.f.Sync()
	}
	if err := w.f.Close(); w.err == nil {
		w.err = err
	}
	return w.err
}

// abort closes and removes an unfinished file.
func (w *sectionWriter) abort() {
	w.f.Close()
	os.Remove(w.f.Name())
}

// putU64s, putU32s and putF32s write arrays in little-endian order (the
// host's: see littleEndianHost).
func (w *sectionWriter) putU64s(v []uint64) { w.Write(bytesOf(v)) }
func (w *sectionWriter) putU32s(v []uint32) { w.Write(bytesOf(v)) }
func (w *sectionWriter) putF32s(v []float32) {
	w.Write(bytesOf(v))
}

// bytesOf returns the memory of a slice of fixed-size numbers.
func bytesOf[T uint64 | uint32 | float32](v []T) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*int(unsafe.Sizeof(v[0])))
}

// viewOf returns b as a slice of T, in place. b must be aligned for T
// and a multiple of its size (sections are 64-byte aligned).
func viewOf[T uint64 | uint32 | float32](b []byte) []T {
	var zero T
	size := int(unsafe.Sizeof(zero))
	if len(b) < size {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(b)/size)
}

// sectionFile is an opened, verified section file.
type sectionFile struct {
	data    []byte
	release func() error
	secs    map[uint32][]byte
	sum     uint32 // the trailer's checksum of the toc and block checksums
}

// openSections opens and verifies a section file of this version, and
// maps it.
func openSections(path string) (*sectionFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	toc, err := readTOC(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := verifyBlocks(f, toc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	data, release, err := mapFile(f, int(st.Size()))
	if err != nil {
		return nil, err
	}
	sf := &sectionFile{data: data, release: release, secs: make(map[uint32][]byte, len(toc.entries)), sum: toc.sum}
	for _, e := range toc.entries {
		sf.secs[e.kind] = data[e.off : e.off+e.length : e.off+e.length]
	}
	return sf, nil
}

// close unmaps the file; nothing read from it may be used afterwards.
func (sf *sectionFile) close() error { return sf.release() }

// fileTOC is a parsed table of contents with the block checksums.
type fileTOC struct {
	entries []tocEntry
	crcs    []uint32
	sum     uint32
}

// readTOC reads and checks the trailer, table of contents and checksums.
func readTOC(f io.ReaderAt, size int64) (fileTOC, error) {
	var t fileTOC
	if size < trailerSize {
		return t, fmt.Errorf("%d bytes: %w", size, errSegment)
	}
	tr := make([]byte, trailerSize)
	if _, err := f.ReadAt(tr, size-trailerSize); err != nil {
		return t, err
	}
	le := binary.LittleEndian
	version, n := le.Uint32(tr[8:]), uint64(le.Uint32(tr[12:]))
	tocOff, crcOff, sum := le.Uint64(tr[16:]), le.Uint64(tr[24:]), le.Uint32(tr[32:])
	end := uint64(size - trailerSize)
	switch {
	case string(tr[:8]) != sectionMagic:
		return t, fmt.Errorf("no segment trailer: %w", errSegment)
	case version != segmentVersion:
		return t, fmt.Errorf("segment version %d, this docent reads %d: %w", version, segmentVersion, errSegment)
	case n > maxSectionKind || tocOff > end || crcOff != tocOff+n*tocEntrySize || crcOff > end || (end-crcOff)%4 != 0:
		return t, fmt.Errorf("bad table of contents: %w", errSegment)
	}
	tail := make([]byte, end-tocOff)
	if _, err := f.ReadAt(tail, int64(tocOff)); err != nil {
		return t, err
	}
	if crc32.Checksum(tail, castagnoli) != sum {
		return t, fmt.Errorf("table of contents checksum: %w", errSegment)
	}
	t.sum = sum
	var blocks uint64
	for i := range n {
		e := tail[i*tocEntrySize:]
		te := tocEntry{kind: le.Uint32(e), off: le.Uint64(e[8:]), length: le.Uint64(e[16:])}
		if te.off%sectionAlign != 0 || te.off > tocOff || te.length > tocOff-te.off {
			return t, fmt.Errorf("section %d out of bounds: %w", te.kind, errSegment)
		}
		t.entries = append(t.entries, te)
		blocks += (te.length + sectionBlock - 1) / sectionBlock
	}
	crcs := tail[n*tocEntrySize:]
	if uint64(len(crcs)) != 4*blocks {
		return t, fmt.Errorf("%d checksums for %d blocks: %w", len(crcs)/4, blocks, errSegment)
	}
	for i := 0; i < len(crcs); i += 4 {
		t.crcs = append(t.crcs, le.Uint32(crcs[i:]))
	}
	return t, nil
}

// verifyBlocks reads every block of every section (not through the
// mapping, so the pages do not count in the process's memory) and checks
// its checksum, on all CPUs.
func verifyBlocks(f io.ReaderAt, t fileTOC) error {
	type block struct {
		off uint64
		n   int
		crc uint32
	}
	var blocks []block
	for _, e := range t.entries {
		for at := uint64(0); at < e.length; at += sectionBlock {
			blocks = append(blocks, block{e.off + at, int(min(sectionBlock, e.length-at)), t.crcs[len(blocks)]})
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(blocks))
	errs := make([]error, max(workers, 1))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, sectionBlock)
			for i := w; i < len(blocks); i += workers {
				b := blocks[i]
				if _, err := f.ReadAt(buf[:b.n], int64(b.off)); err != nil {
					errs[w] = err
					return
				}
				if crc32.Checksum(buf[:b.n], castagnoli) != b.crc {
					errs[w] = fmt.Errorf("checksum of the block at %d: %w", b.off, errSegment)
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
