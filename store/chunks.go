package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	bolt "go.etcd.io/bbolt"
)

// TextHash is the key under which a passage's vector is kept: identical
// passages (in any document) share one vector, which makes the vectors
// bucket the embedding cache too.
func TextHash(text string) [16]byte {
	sum := sha256.Sum256([]byte(text))
	var h [16]byte
	copy(h[:], sum[:16])
	return h
}

// encodeChunk serialises a chunk: uvarint-prefixed fields. An OCR chunk
// ends with one more uvarint, its confidence in tenths plus one; records
// without it (all earlier ones) are not OCR.
func encodeChunk(c *Chunk) []byte {
	b := make([]byte, 0, 32+len(c.Text)+len(c.Terms))
	b = append(b, 1) // format version
	b = append(b, c.TextHash[:]...)
	b = binary.AppendUvarint(b, uint64(c.Start))
	b = binary.AppendUvarint(b, uint64(c.End))
	b = binary.AppendUvarint(b, uint64(c.Page))
	b = appendBytes(b, []byte(c.Text))
	b = binary.AppendUvarint(b, uint64(len(c.Headings)))
	for _, h := range c.Headings {
		b = appendBytes(b, []byte(h))
	}
	b = appendBytes(b, c.Terms)
	if c.OCR {
		b = binary.AppendUvarint(b, uint64(math.Round(min(max(c.OCRConfidence, 0), 100)*10))+1)
	}
	return b
}

func appendBytes(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

var errBadChunk = errors.New("damaged chunk record")

// chunkReader decodes the fields encodeChunk wrote, remembering the first error.
type chunkReader struct {
	b   []byte
	err error
}

func (r *chunkReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errBadChunk
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *chunkReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errBadChunk
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// decodeChunk decodes a chunk record; key holds its document id and index.
// The returned chunk copies everything it needs out of v.
func decodeChunk(key, v []byte) (Chunk, error) {
	if len(key) != 12 || len(v) < 17 || v[0] != 1 {
		return Chunk{}, errBadChunk
	}
	c := Chunk{DocumentID: btoi(key[:8]), Index: int(binary.BigEndian.Uint32(key[8:]))}
	copy(c.TextHash[:], v[1:17])
	r := chunkReader{b: v[17:]}
	c.Start, c.End, c.Page = int(r.uvarint()), int(r.uvarint()), int(r.uvarint())
	c.Text = string(r.bytes())
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		return Chunk{}, errBadChunk
	}
	for range n {
		c.Headings = append(c.Headings, string(r.bytes()))
	}
	if terms := r.bytes(); len(terms) > 0 {
		c.Terms = append([]byte(nil), terms...)
	}
	if len(r.b) > 0 {
		if v := r.uvarint(); v > 0 && v <= 1001 {
			c.OCR, c.OCRConfidence = true, float64(v-1)/10
		}
	}
	if r.err != nil {
		return Chunk{}, r.err
	}
	return c, nil
}

// decodeIndexChunk decodes what an index needs of a chunk record: ids,
// hash, offsets, page and the terms (aliasing v, not copied); the text
// only when there are no terms; never the headings.
func decodeIndexChunk(key, v []byte) (Chunk, []byte, error) {
	if len(key) != 12 || len(v) < 17 || v[0] != 1 {
		return Chunk{}, nil, errBadChunk
	}
	c := Chunk{DocumentID: btoi(key[:8]), Index: int(binary.BigEndian.Uint32(key[8:]))}
	copy(c.TextHash[:], v[1:17])
	r := chunkReader{b: v[17:]}
	c.Start, c.End, c.Page = int(r.uvarint()), int(r.uvarint()), int(r.uvarint())
	text := r.bytes()
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		return Chunk{}, nil, errBadChunk
	}
	for range n {
		r.bytes()
	}
	terms := r.bytes()
	if r.err != nil {
		return Chunk{}, nil, r.err
	}
	if len(terms) == 0 {
		c.Text = string(text)
	}
	return c, terms, nil
}

// Vector records are a 4-byte big-endian reference count followed by the
// vector as little-endian float32s.

func addVectorRef(vb *bolt.Bucket, hash [16]byte, vec []float32) error {
	raw := vb.Get(hash[:])
	if raw != nil {
		out := append([]byte(nil), raw...)
		binary.BigEndian.PutUint32(out, binary.BigEndian.Uint32(out)+1)
		return vb.Put(hash[:], out)
	}
	if len(vec) == 0 {
		return errors.New("no vector for a new passage")
	}
	return vb.Put(hash[:], encodeVector(1, vec))
}

// encodeVector is the vector record of vec with refs references.
func encodeVector(refs uint32, vec []float32) []byte {
	out := make([]byte, 4+4*len(vec))
	binary.BigEndian.PutUint32(out, refs)
	for i, f := range vec {
		binary.LittleEndian.PutUint32(out[4+4*i:], math.Float32bits(f))
	}
	return out
}

func dropVectorRef(vb *bolt.Bucket, hash [16]byte) error {
	raw := vb.Get(hash[:])
	if raw == nil {
		return nil
	}
	n := binary.BigEndian.Uint32(raw)
	if n <= 1 {
		return vb.Delete(hash[:])
	}
	out := append([]byte(nil), raw...)
	binary.BigEndian.PutUint32(out, n-1)
	return vb.Put(hash[:], out)
}

// readVector returns a fresh copy of the vector stored under hash.
func readVector(vb *bolt.Bucket, hash [16]byte) ([]float32, error) {
	raw := vb.Get(hash[:])
	if len(raw) < 4 || (len(raw)-4)%4 != 0 {
		return nil, errors.New("vector missing or damaged")
	}
	vec := make([]float32, (len(raw)-4)/4)
	for i := range vec {
		vec[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4+4*i:]))
	}
	return vec, nil
}

// CachedVectors returns the stored vectors for those of hashes that have one:
// passages embedded before are never sent to the embedder again.
func (db *DB) CachedVectors(ctx context.Context, hashes [][16]byte) (map[[16]byte][]float32, error) {
	out := make(map[[16]byte][]float32)
	err := db.view(ctx, func(tx *bolt.Tx) error {
		vb := tx.Bucket(bucketVectors)
		for _, h := range hashes {
			if _, seen := out[h]; seen || vb.Get(h[:]) == nil {
				continue
			}
			vec, err := readVector(vb, h)
			if err != nil {
				return err
			}
			out[h] = vec
		}
		return nil
	})
	return out, err
}

// IndexInfo says which embedder built the stored vectors.
type IndexInfo struct {
	Embedder string `json:"embedder"`
	Dim      int    `json:"dim"`
}

var keyIndexInfo = []byte("index")

// IndexInfo returns the embedder that built the stored vectors (zero if none yet).
func (db *DB) IndexInfo(ctx context.Context) (IndexInfo, error) {
	var info IndexInfo
	err := db.view(ctx, func(tx *bolt.Tx) error {
		err := getJSON(tx.Bucket(bucketMeta), keyIndexInfo, &info)
		if isNotFound(err) {
			return nil
		}
		return err
	})
	return info, err
}

// SetIndexInfo records the embedder that builds the stored vectors.
func (db *DB) SetIndexInfo(ctx context.Context, info IndexInfo) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketMeta), keyIndexInfo, info)
	})
}

// Reembed replaces every stored vector with fn's, and records info, in one
// transaction: the index is never half old, half new (a crash or an
// embedder failure leaves the old vectors). fn receives the texts of a batch
// of distinct passages and returns their vectors in order; info.Dim, if 0,
// is taken from the first vector.
func (db *DB) Reembed(ctx context.Context, info IndexInfo, batch int, fn func(ctx context.Context, texts []string) ([][]float32, error), progress func(done, total int)) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		texts := map[[16]byte]string{}
		err := tx.Bucket(bucketChunks).ForEach(func(k, v []byte) error {
			c, err := decodeChunk(k, v)
			if err == nil {
				texts[c.TextHash] = c.Text
			}
			return err
		})
		if err != nil {
			return err
		}
		vb := tx.Bucket(bucketVectors)
		hashes := make([][16]byte, 0, len(texts))
		for h := range texts {
			hashes = append(hashes, h)
		}
		for lo := 0; lo < len(hashes); lo += batch {
			hi := min(lo+batch, len(hashes))
			in := make([]string, 0, hi-lo)
			for _, h := range hashes[lo:hi] {
				in = append(in, texts[h])
			}
			vecs, err := fn(ctx, in)
			if err != nil {
				return err
			}
			if len(vecs) != len(in) {
				return fmt.Errorf("embedder returned %d vectors for %d passages", len(vecs), len(in))
			}
			for i, h := range hashes[lo:hi] {
				if info.Dim == 0 {
					info.Dim = len(vecs[i])
				}
				if len(vecs[i]) != info.Dim {
					return fmt.Errorf("embedder returned vectors of dimension %d and %d", info.Dim, len(vecs[i]))
				}
				raw := vb.Get(h[:])
				refs := uint32(1)
				if len(raw) >= 4 {
					refs = binary.BigEndian.Uint32(raw)
				}
				if err := vb.Put(h[:], encodeVector(refs, vecs[i])); err != nil {
					return err
				}
			}
			if progress != nil {
				progress(hi, len(hashes))
			}
		}
		if err := logChange(tx, resetDoc); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketMeta), keyIndexInfo, info)
	})
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
