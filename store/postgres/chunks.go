package postgres

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/jackc/pgx/v5"

	"docent/store"
)

// chunkColumns are the columns COPY writes, in order.
var chunkColumns = []string{"document_id", "idx", "text_hash", "start_offset", "end_offset", "page", "text", "headings", "terms", "ocr_tenths"}

// putChunks writes the chunks of document docID with COPY and adds a
// reference to each passage's vector (inserting the new ones).
func putChunks(ctx context.Context, tx pgx.Tx, docID uint64, chunks []store.Chunk, vectors map[[16]byte][]float32) error {
	uses := map[[16]byte]int32{}
	rows := make([][]any, len(chunks))
	for i := range chunks {
		c := &chunks[i]
		c.DocumentID, c.Index = docID, i
		uses[c.TextHash]++
		rows[i] = chunkValues(c)
	}
	if err := addVectorRefs(ctx, tx, uses, vectors); err != nil {
		return err
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"chunks"}, chunkColumns, pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("write chunks: %w", err)
	}
	return nil
}

// chunkValues are the values of c's row, in chunkColumns' order.
func chunkValues(c *store.Chunk) []any {
	headings := c.Headings
	if headings == nil {
		headings = []string{}
	}
	var terms []byte
	if len(c.Terms) > 0 {
		terms = c.Terms
	}
	var ocr *int16
	if c.OCR {
		t := int16(math.Round(min(max(c.OCRConfidence, 0), 100) * 10))
		ocr = &t
	}
	return []any{int64(c.DocumentID), int32(c.Index), c.TextHash[:], int32(c.Start), int32(c.End), int32(c.Page), c.Text, headings, terms, ocr}
}

// sortedHashes returns the keys of uses in byte order (rows are locked in
// that order, so two transactions never deadlock on shared vectors).
func sortedHashes(uses map[[16]byte]int32) [][16]byte {
	hs := make([][16]byte, 0, len(uses))
	for h := range uses {
		hs = append(hs, h)
	}
	sort.Slice(hs, func(i, j int) bool { return bytes.Compare(hs[i][:], hs[j][:]) < 0 })
	return hs
}

// addVectorRefs adds n references to each passage's vector, inserting
// those not stored yet from vectors; a new passage without a vector fails.
func addVectorRefs(ctx context.Context, tx pgx.Tx, uses map[[16]byte]int32, vectors map[[16]byte][]float32) error {
	if len(uses) == 0 {
		return nil
	}
	var hashes, vecs [][]byte
	var counts []int32
	var missing [][]byte
	for _, h := range sortedHashes(uses) {
		hashes = append(hashes, h[:])
		counts = append(counts, uses[h])
		v := vectors[h]
		if len(v) == 0 {
			missing = append(missing, h[:])
		}
		vecs = append(vecs, encodeVector(v))
	}
	_, err := tx.Exec(ctx, `INSERT INTO vectors (hash, refs, vec)
		SELECT h, n, v FROM unnest($1::bytea[], $2::int[], $3::bytea[]) AS t (h, n, v) ORDER BY h
		ON CONFLICT (hash) DO UPDATE SET refs = vectors.refs + excluded.refs`, hashes, counts, vecs)
	if err != nil {
		return fmt.Errorf("write vectors: %w", err)
	}
	if len(missing) > 0 {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM vectors WHERE hash = ANY($1) AND length(vec) = 0`, missing).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return errors.New("no vector for a new passage")
		}
	}
	return nil
}

// encodeVector is a vector as little-endian float32s.
func encodeVector(v []float32) []byte {
	out := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(f))
	}
	return out
}

// decodeVector is the inverse of encodeVector.
func decodeVector(raw []byte) ([]float32, error) {
	if len(raw) == 0 || len(raw)%4 != 0 {
		return nil, errors.New("vector missing or damaged")
	}
	v := make([]float32, len(raw)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return v, nil
}

// deleteChunks removes the chunks of document id and their vector
// references, returning the chunks' stored terms in chunk order.
func deleteChunks(ctx context.Context, tx pgx.Tx, id uint64) ([][]byte, error) {
	rows, err := tx.Query(ctx, `WITH gone AS (DELETE FROM chunks WHERE document_id = $1 RETURNING idx, text_hash, terms)
		SELECT text_hash, terms FROM gone ORDER BY idx`, id)
	if err != nil {
		return nil, err
	}
	uses := map[[16]byte]int32{}
	var terms [][]byte
	var h, t []byte
	_, err = pgx.ForEachRow(rows, []any{&h, &t}, func() error {
		uses[[16]byte(h)]++
		terms = append(terms, bytes.Clone(t))
		return nil
	})
	if err != nil || len(uses) == 0 {
		return terms, err
	}
	var hashes [][]byte
	var counts []int32
	for _, h := range sortedHashes(uses) {
		hashes = append(hashes, h[:])
		counts = append(counts, uses[h])
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM vectors WHERE hash = ANY($1) ORDER BY hash FOR UPDATE`, hashes); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE vectors v SET refs = v.refs - t.n
		FROM unnest($1::bytea[], $2::int[]) AS t (h, n) WHERE v.hash = t.h`, hashes, counts); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM vectors WHERE hash = ANY($1) AND refs <= 0`, hashes); err != nil {
		return nil, err
	}
	return terms, nil
}

// chunkRow scans the columns of chunkSelect into a store.Chunk.
type chunkRow struct {
	doc                   int64
	idx, start, end, page int32
	hash                  []byte
	text                  string
	headings              []string
	terms                 []byte
	ocr                   *int16
}

const chunkSelect = `SELECT document_id, idx, text_hash, start_offset, end_offset, page, text, headings, terms, ocr_tenths FROM chunks`

func (r *chunkRow) dest() []any {
	return []any{&r.doc, &r.idx, &r.hash, &r.start, &r.end, &r.page, &r.text, &r.headings, &r.terms, &r.ocr}
}

func (r *chunkRow) chunk() store.Chunk {
	c := store.Chunk{DocumentID: uint64(r.doc), Index: int(r.idx), Text: r.text, Start: int(r.start), End: int(r.end), Page: int(r.page)}
	copy(c.TextHash[:], r.hash)
	if len(r.headings) > 0 {
		c.Headings = append([]string(nil), r.headings...)
	}
	if len(r.terms) > 0 {
		c.Terms = bytes.Clone(r.terms)
	}
	if r.ocr != nil {
		c.OCR, c.OCRConfidence = true, float64(*r.ocr)/10
	}
	return c
}

// Chunks returns the chunks of document id in order, without vectors.
func (db *DB) Chunks(ctx context.Context, id uint64) ([]store.Chunk, error) {
	rows, err := db.pool.Query(ctx, chunkSelect+` WHERE document_id = $1 ORDER BY idx`, id)
	if err != nil {
		return nil, err
	}
	var r chunkRow
	var out []store.Chunk
	_, err = pgx.ForEachRow(rows, r.dest(), func() error { out = append(out, r.chunk()); return nil })
	return out, err
}

// ChunkPage returns at most limit chunks of document id from index skip
// on, in order, reading only those.
func (db *DB) ChunkPage(ctx context.Context, id uint64, skip, limit int) ([]store.Chunk, error) {
	if skip < 0 || skip >= store.MaxChunks || limit <= 0 {
		return nil, nil
	}
	rows, err := db.pool.Query(ctx, chunkSelect+` WHERE document_id = $1 AND idx >= $2 ORDER BY idx LIMIT $3`, id, skip, limit)
	if err != nil {
		return nil, err
	}
	var r chunkRow
	out := make([]store.Chunk, 0, min(limit, 1024))
	_, err = pgx.ForEachRow(rows, r.dest(), func() error { out = append(out, r.chunk()); return nil })
	return out, err
}

// ChunksByID returns the chunks with the given ids, in the same order;
// a missing chunk (deleted meanwhile) is left out.
func (db *DB) ChunksByID(ctx context.Context, ids []uint64) ([]store.Chunk, error) {
	if len(ids) == 0 {
		return []store.Chunk{}, nil
	}
	docs, idxs := make([]int64, len(ids)), make([]int32, len(ids))
	for i, id := range ids {
		d, x := store.SplitChunkID(id)
		docs[i], idxs[i] = int64(d), int32(x)
	}
	rows, err := db.pool.Query(ctx, chunkSelect+` c JOIN unnest($1::bigint[], $2::int[]) WITH ORDINALITY AS w (d, x, n)
		ON c.document_id = w.d AND c.idx = w.x ORDER BY w.n`, docs, idxs)
	if err != nil {
		return nil, err
	}
	var r chunkRow
	out := make([]store.Chunk, 0, len(ids))
	_, err = pgx.ForEachRow(rows, r.dest(), func() error { out = append(out, r.chunk()); return nil })
	return out, err
}

// ForEachChunk calls fn for every chunk of every ready document, in chunk
// id order, from one snapshot.
func (db *DB) ForEachChunk(ctx context.Context, fn func(*store.IndexedChunk) error) error {
	return db.readTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT c.document_id, c.idx, c.text_hash, c.start_offset, c.end_offset, c.page, c.text,
			c.headings, c.terms, c.ocr_tenths, d.owner, d.change_seq, d.data->>'title', d.data->>'filename', v.vec
			FROM chunks c JOIN documents d ON d.id = c.document_id JOIN vectors v ON v.hash = c.text_hash
			WHERE d.status = 'ready' ORDER BY c.document_id, c.idx`)
		if err != nil {
			return err
		}
		var r chunkRow
		var owner, changeSeq int64
		var title, filename *string
		var vec []byte
		var ic store.IndexedChunk
		_, err = pgx.ForEachRow(rows, append(r.dest(), &owner, &changeSeq, &title, &filename, &vec), func() error {
			v, err := decodeVector(vec)
			if err != nil {
				return fmt.Errorf("chunk %d of document %d: %w", r.idx, r.doc, err)
			}
			ic = store.IndexedChunk{Chunk: r.chunk(), Owner: uint64(owner), Title: deref(title), Filename: deref(filename), Vector: v,
				Seq: uint64(changeSeq)}
			return fn(&ic)
		})
		return err
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// IndexChunks calls fn with batches of up to size chunks of every ready
// document, in chunk id order, read from one snapshot: the fast path of a
// start-up rebuild. A chunk's text is read only when it has no stored
// terms, headings are never read. fn owns what it is given.
func (db *DB) IndexChunks(ctx context.Context, size int, fn func([]store.IndexedChunk) error) error {
	_, err := db.indexChunks(ctx, size, 0, false, fn)
	return err
}

// indexChunks is IndexChunks of one document (doc > 0) or all, returning
// the last change sequence number the snapshot holds; full reads every
// chunk's text and headings too (what a replica holds besides its index).
func (db *DB) indexChunks(ctx context.Context, size int, doc uint64, full bool, fn func([]store.IndexedChunk) error) (seq uint64, err error) {
	size = max(size, 1)
	text := `CASE WHEN c.terms IS NULL THEN c.text ELSE '' END, NULL::text[]`
	if full {
		text = `c.text, c.headings`
	}
	query := `SELECT c.document_id, c.idx, c.text_hash, c.start_offset, c.end_offset, c.page,
		` + text + `, c.terms, d.owner, d.change_seq, d.data->>'title', d.data->>'filename', v.vec
		FROM chunks c JOIN documents d ON d.id = c.document_id JOIN vectors v ON v.hash = c.text_hash
		WHERE d.status = 'ready'`
	err = db.readTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM changes`).Scan(&seq); err != nil {
			return err
		}
		var rows pgx.Rows
		var err error
		if doc == 0 {
			rows, err = tx.Query(ctx, query+` ORDER BY c.document_id, c.idx`)
		} else { // one document: its own plan, through the chunks' key
			rows, err = tx.Query(ctx, query+` AND c.document_id = $1 AND d.id = $1 ORDER BY c.idx`, int64(doc))
		}
		if err != nil {
			return err
		}
		var (
			docID, owner, changeSeq int64
			idx, start, end, page   int32
			hash, terms, vec        []byte
			text                    string
			headings                []string
			title, filename         *string
		)
		batch := make([]store.IndexedChunk, 0, size)
		_, err = pgx.ForEachRow(rows, []any{&docID, &idx, &hash, &start, &end, &page, &text, &headings, &terms, &owner, &changeSeq, &title, &filename, &vec}, func() error {
			v, err := decodeVector(vec)
			if err != nil {
				return fmt.Errorf("chunk %d of document %d: %w", idx, docID, err)
			}
			c := store.Chunk{DocumentID: uint64(docID), Index: int(idx), Text: text, Start: int(start), End: int(end), Page: int(page)}
			if len(headings) > 0 {
				c.Headings = slices.Clone(headings)
			}
			copy(c.TextHash[:], hash)
			if len(terms) > 0 {
				c.Terms = bytes.Clone(terms)
			}
			batch = append(batch, store.IndexedChunk{Chunk: c, Owner: uint64(owner), Title: deref(title), Filename: deref(filename), Vector: v, Seq: uint64(changeSeq)})
			if len(batch) == size {
				err = fn(batch)
				batch = make([]store.IndexedChunk, 0, size)
			}
			return err
		})
		if err == nil && len(batch) > 0 {
			err = fn(batch)
		}
		return err
	})
	return seq, err
}

// CachedVectors returns the stored vectors for those of hashes that have one.
func (db *DB) CachedVectors(ctx context.Context, hashes [][16]byte) (map[[16]byte][]float32, error) {
	out := make(map[[16]byte][]float32)
	if len(hashes) == 0 {
		return out, nil
	}
	keys := make([][]byte, len(hashes))
	for i := range hashes {
		keys[i] = hashes[i][:]
	}
	rows, err := db.pool.Query(ctx, `SELECT hash, vec FROM vectors WHERE hash = ANY($1)`, keys)
	if err != nil {
		return nil, err
	}
	var h, raw []byte
	_, err = pgx.ForEachRow(rows, []any{&h, &raw}, func() error {
		v, err := decodeVector(raw)
		if err != nil {
			return err
		}
		out[[16]byte(h)] = v
		return nil
	})
	return out, err
}

const keyIndexInfo = "index"

// IndexInfo returns the embedder that built the stored vectors (zero if none yet).
func (db *DB) IndexInfo(ctx context.Context) (store.IndexInfo, error) {
	var info store.IndexInfo
	var raw []byte
	err := db.pool.QueryRow(ctx, `SELECT value FROM meta WHERE key = $1`, keyIndexInfo).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return info, nil
	}
	if err == nil {
		err = json.Unmarshal(raw, &info)
	}
	return info, err
}

// SetIndexInfo records the embedder that builds the stored vectors.
func (db *DB) SetIndexInfo(ctx context.Context, info store.IndexInfo) error {
	raw, err := json.Marshal(info)
	if err != nil {
		return err
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, keyIndexInfo, raw)
	return err
}

// Reembed replaces every stored vector with fn's, and records info, in one
// transaction: the index is never half old, half new. fn receives the
// texts of a batch of distinct passages and returns their vectors in
// order; info.Dim, if 0, is taken from the first vector. Replicas rebuild
// their indexes when they see it in the change log.
func (db *DB) Reembed(ctx context.Context, info store.IndexInfo, batch int, fn func(ctx context.Context, texts []string) ([][]float32, error), progress func(done, total int)) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		// Commits wait until the new vectors are in: none of them adds a
		// passage embedded the old way meanwhile.
		if _, err := tx.Exec(ctx, `LOCK TABLE chunks, vectors IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT DISTINCT ON (text_hash) text_hash, text FROM chunks ORDER BY text_hash`)
		if err != nil {
			return err
		}
		var hashes [][]byte
		var texts []string
		var h []byte
		var text string
		if _, err := pgx.ForEachRow(rows, []any{&h, &text}, func() error {
			hashes, texts = append(hashes, bytes.Clone(h)), append(texts, text)
			return nil
		}); err != nil {
			return err
		}
		for lo := 0; lo < len(hashes); lo += batch {
			hi := min(lo+batch, len(hashes))
			vecs, err := fn(ctx, texts[lo:hi])
			if err != nil {
				return err
			}
			if len(vecs) != hi-lo {
				return fmt.Errorf("embedder returned %d vectors for %d passages", len(vecs), hi-lo)
			}
			enc := make([][]byte, len(vecs))
			for i, v := range vecs {
				if info.Dim == 0 {
					info.Dim = len(v)
				}
				if len(v) != info.Dim {
					return fmt.Errorf("embedder returned vectors of dimension %d and %d", info.Dim, len(v))
				}
				enc[i] = encodeVector(v)
			}
			if _, err := tx.Exec(ctx, `UPDATE vectors v SET vec = t.vec FROM unnest($1::bytea[], $2::bytea[]) AS t (h, vec) WHERE v.hash = t.h`,
				hashes[lo:hi], enc); err != nil {
				return err
			}
			if progress != nil {
				progress(hi, len(hashes))
			}
		}
		raw, err := json.Marshal(info)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, keyIndexInfo, raw); err != nil {
			return err
		}
		var log changeLog
		log.reload()
		return log.write(ctx, tx)
	})
}
