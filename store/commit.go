package store

import (
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// stageBytes is about how many bytes of chunk records one transaction of
// a large document's Commit writes. bbolt keeps every record a
// transaction writes in memory until it commits, and then as many bytes
// again of dirty pages: a 1 MiB upload of 4,000 small passages (10 MiB
// of records) written at once held 20–30 MiB, and the Go heap doubled
// that before collecting.
const stageBytes = 1 << 20

// errCommitted means a staged document became ready meanwhile: something
// else committed it.
var errCommitted = errors.New("document was committed meanwhile")

// Commit stores a document's chunks and their vectors and marks it ready.
// A crash leaves the document either fully indexed or not at all, and no
// reader sees some of its chunks. vectors maps each chunk's TextHash to
// its vector; a hash already stored (an identical passage elsewhere) may
// be absent. If d.Replaces is non-zero, that document is deleted in the
// transaction that makes d ready (a changed file replacing its old
// version). Commit fails with ErrNotFound if the document was deleted
// while it was being processed, and with a *QuotaError when the chunks
// would pass the quota in d.Limit.
//
// The chunk records of a document that is not ready yet (so no reader
// looks at its chunks) are written in transactions of about stageBytes
// each, to bound memory: all but the last batch are staged, and the last
// transaction writes the rest, adds every chunk's vector reference and
// marks the document ready. Staged records hold no vector reference, so
// staging touches only the end of the chunk bucket. A staged document is
// noted in the staged_documents bucket until then; a crash in between
// leaves the note, and the next Open removes the staged records (the
// pipeline then processes the document again). A ready document
// committed again (a re-index) is replaced in one transaction, since
// readers see it.
func (db *DB) Commit(ctx context.Context, d *Document, chunks []Chunk, vectors map[[16]byte][]float32) error {
	if len(chunks) >= MaxChunks {
		return fmt.Errorf("document has %d chunks, more than %d", len(chunks), MaxChunks)
	}
	staged, err := db.stage(ctx, d, chunks)
	if err != nil {
		return err
	}
	err = db.update(ctx, func(tx *bolt.Tx) error {
		var stored Document
		if err := getJSON(tx.Bucket(bucketDocs), itob(d.ID), &stored); err != nil {
			return fmt.Errorf("document %d: %w", d.ID, err)
		}
		if staged > 0 && (stored.Status == StatusReady || !isStaged(tx, d.ID)) {
			return errCommitted
		}
		if err := admitChunks(tx, d, len(chunks)); err != nil {
			return err
		}
		if d.Replaces != 0 && d.Replaces != d.ID {
			if err := moveMemberships(tx, d.Replaces, d.ID); err != nil {
				return err
			}
			if err := deleteDocument(tx, d.Replaces); err != nil && !isNotFound(err) {
				return err
			}
		}
		if staged == 0 {
			if err := deleteChunks(tx, d.ID); err != nil { // a document committed again
				return err
			}
		}
		if err := unnoteStaged(tx, d.ID); err != nil { // its staged records get their references now
			return err
		}
		if err := putChunks(tx, d.ID, chunks, staged, vectors); err != nil {
			return err
		}
		d.Status, d.Error, d.Chunks, d.Replaces = StatusReady, "", len(chunks), 0
		d.CreatedAt, d.UpdatedAt = stored.CreatedAt, db.now()
		return putDocument(tx, d, &stored)
	})
	if err != nil && staged > 0 {
		if uerr := db.unstage(context.WithoutCancel(ctx), d.ID); uerr != nil {
			err = errors.Join(err, uerr)
		}
	}
	return err
}

// stage writes the chunk records of a large document that is not ready
// yet in transactions of about stageBytes, all but the last batch, and
// returns how many it wrote: 0 when the document is small or ready. The
// first transaction notes the document as staged and drops chunks left
// from an earlier attempt.
func (db *DB) stage(ctx context.Context, d *Document, chunks []Chunk) (int, error) {
	from := 0
	for {
		end := batchEnd(chunks, from)
		if end == len(chunks) {
			return from, nil
		}
		err := db.update(ctx, func(tx *bolt.Tx) error {
			var stored Document
			if err := getJSON(tx.Bucket(bucketDocs), itob(d.ID), &stored); err != nil {
				return fmt.Errorf("document %d: %w", d.ID, err)
			}
			if stored.Status == StatusReady {
				return errCommitted
			}
			if from == 0 {
				if err := deleteChunks(tx, d.ID); err != nil {
					return err
				}
				if err := tx.Bucket(bucketStaged).Put(itob(d.ID), []byte{1}); err != nil {
					return err
				}
			} else if !isStaged(tx, d.ID) {
				return fmt.Errorf("document %d: staged chunks were removed meanwhile", d.ID)
			}
			return putRecords(tx, d.ID, chunks[from:end], from)
		})
		switch {
		case from == 0 && errors.Is(err, errCommitted):
			return 0, nil // readers see it: replaced in one transaction
		case err != nil && from > 0:
			return 0, errors.Join(err, db.unstage(context.WithoutCancel(ctx), d.ID))
		case err != nil:
			return 0, err
		}
		from = end
	}
}

// batchEnd returns where the transaction that writes chunks from index
// from on stops: after about stageBytes of records, or at the end.
func batchEnd(chunks []Chunk, from int) int {
	n := 0
	for i := from; i < len(chunks); i++ {
		c := &chunks[i]
		n += 32 + len(c.Text) + len(c.Terms)
		for _, h := range c.Headings {
			n += len(h)
		}
		if n >= stageBytes {
			return i + 1
		}
	}
	return len(chunks)
}

// isStaged reports whether document id is noted as staged: its chunk
// records hold no vector reference yet.
func isStaged(tx *bolt.Tx, id uint64) bool {
	b := tx.Bucket(bucketStaged)
	return b != nil && b.Get(itob(id)) != nil
}

// unnoteStaged drops the note that document id is staged.
func unnoteStaged(tx *bolt.Tx, id uint64) error {
	b := tx.Bucket(bucketStaged)
	if b == nil { // before the migration that creates it (migrations run in order)
		return nil
	}
	return b.Delete(itob(id))
}

// unstage removes the staged records of document id and its note.
func (db *DB) unstage(ctx context.Context, id uint64) error {
	err := db.update(ctx, func(tx *bolt.Tx) error {
		if !isStaged(tx, id) {
			return nil
		}
		if err := deleteChunks(tx, id); err != nil {
			return err
		}
		return unnoteStaged(tx, id)
	})
	if err != nil {
		return fmt.Errorf("remove staged chunks of document %d: %w", id, err)
	}
	return nil
}

// recoverStaged removes the records of documents whose staged Commit a
// crash interrupted. It runs when the store opens, before anything else
// can write: no Commit is in flight then.
func (db *DB) recoverStaged(ctx context.Context) error {
	var ids []uint64
	if err := db.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketStaged).ForEach(func(k, _ []byte) error {
			ids = append(ids, btoi(k))
			return nil
		})
	}); err != nil {
		return err
	}
	for _, id := range ids {
		if err := db.unstage(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// putChunks writes chunks[from:] of document docID, and a reference to
// the vector of every chunk.
func putChunks(tx *bolt.Tx, docID uint64, chunks []Chunk, from int, vectors map[[16]byte][]float32) error {
	vb := tx.Bucket(bucketVectors)
	fillPages(vb)
	for i := range chunks {
		if err := addVectorRef(vb, chunks[i].TextHash, vectors[chunks[i].TextHash]); err != nil {
			return fmt.Errorf("chunk %d: %w", i, err)
		}
	}
	return putRecords(tx, docID, chunks[from:], from)
}

// putRecords writes chunks, the first of which has index first, as
// records of document docID.
func putRecords(tx *bolt.Tx, docID uint64, chunks []Chunk, first int) error {
	cb := tx.Bucket(bucketChunks)
	fillPages(cb)
	for i := range chunks {
		c := &chunks[i]
		c.DocumentID, c.Index = docID, first+i
		if err := cb.Put(chunkKey(docID, first+i), encodeChunk(c)); err != nil {
			return err
		}
	}
	return nil
}

// fillPages lets a transaction that writes many records into buckets
// fill their pages before splitting them (bbolt's default stops at half
// a page). Chunk keys only grow (document id, then index), and a
// document's vectors are written together, so new pages would otherwise
// stay half empty: with vector records of about 1 KiB, two to a 4 KiB
// page. Fuller pages make the store smaller and a commit's dirty pages
// fewer.
func fillPages(buckets ...*bolt.Bucket) {
	for _, b := range buckets {
		b.FillPercent = 0.9
	}
}

func chunkKey(docID uint64, index int) []byte {
	k := make([]byte, 12)
	copy(k, itob(docID))
	k[8], k[9], k[10], k[11] = byte(index>>24), byte(index>>16), byte(index>>8), byte(index)
	return k
}
