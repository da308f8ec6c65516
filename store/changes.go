package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// The index change log. A persisted search index (retrieval's segment
// files) is a copy of what IndexChunks returns at some moment; the log
// says what changed since, so that a restart re-reads only those
// documents instead of the whole store. Every transaction that changes
// what IndexChunks would return appends one entry per document it
// changes (a commit, a deletion, a status change to or from ready);
// changes the log cannot describe document by document (re-embedding,
// a repair) append a reset entry, after which a persisted index is
// rebuilt whole.
//
//	index_changes  seq → document id (0: reset) | random tag
//
// seq comes from the bucket's sequence and only grows. The tag tells
// this store's history from another one's: a backup restored over the
// data directory, or another data directory's index, may hold entries
// with the same numbers, but not with the same tags.
//
// The log belongs to this backend alone and is not part of the Store
// interface: PostgreSQL replicas keep their index in memory, following
// the database's own change feed (store/postgres), and persist none.

// IndexVersion names one entry of the change log: the state of the
// indexed documents right after that change.
type IndexVersion struct {
	Seq uint64 `json:"seq"`
	Tag uint64 `json:"tag"`
}

// resetDoc is the document id of a reset entry.
const resetDoc = 0

// logChange appends an entry for document doc (resetDoc: everything) to
// the change log, in tx.
func logChange(tx *bolt.Tx, doc uint64) error {
	b := tx.Bucket(bucketChanges)
	if b == nil { // before the migration that creates it (migrations run in order)
		return nil
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	v := make([]byte, 16)
	binary.BigEndian.PutUint64(v, doc)
	binary.BigEndian.PutUint64(v[8:], rand.Uint64())
	return b.Put(itob(seq), v)
}

// logReset is the migration step that creates the change log, starting
// with a reset entry: nothing before it is known.
func logReset(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketChanges); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketChanges, err)
	}
	return logChange(tx, resetDoc)
}

// IndexVersion returns the version of the last change to the indexed
// documents.
func (db *DB) IndexVersion(ctx context.Context) (IndexVersion, error) {
	var v IndexVersion
	err := db.view(ctx, func(tx *bolt.Tx) error {
		k, val := tx.Bucket(bucketChanges).Cursor().Last()
		if k == nil {
			return nil
		}
		v = IndexVersion{Seq: btoi(k), Tag: btoi(val[8:])}
		return nil
	})
	if err != nil {
		return IndexVersion{}, fmt.Errorf("index version: %w", err)
	}
	return v, nil
}

// ChangesSince returns the documents changed after version v (sorted,
// each once) and the version they bring the index to. ok is false when v
// is not an entry of this store's log (another store, a backup from
// before v, or pruned) or a reset came after it: the index must then be
// rebuilt from IndexChunks.
func (db *DB) ChangesSince(ctx context.Context, v IndexVersion) (docs []uint64, now IndexVersion, ok bool, err error) {
	err = db.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketChanges).Cursor()
		k, val := c.Seek(itob(v.Seq))
		if k == nil || btoi(k) != v.Seq || btoi(val[8:]) != v.Tag {
			return nil
		}
		now = v
		for k, val = c.Next(); k != nil; k, val = c.Next() {
			doc := btoi(val[:8])
			if doc == resetDoc {
				return nil
			}
			docs = append(docs, doc)
			now = IndexVersion{Seq: btoi(k), Tag: btoi(val[8:])}
		}
		ok = true
		return nil
	})
	if err != nil || !ok {
		return nil, IndexVersion{}, false, err
	}
	slices.Sort(docs)
	return slices.Compact(docs), now, true, nil
}

// PruneChanges drops the log entries before version v, which a persisted
// index no longer needs once it is at v; v itself stays, so that the
// index can still prove it belongs to this store.
func (db *DB) PruneChanges(ctx context.Context, v IndexVersion) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketChanges).Cursor()
		stop := itob(v.Seq)
		for k, _ := c.First(); k != nil && bytes.Compare(k, stop) < 0; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
}

// IndexChunksOf is IndexChunks for the ready documents among ids: it
// calls fn with batches of their chunks, document by document in id
// order; a batch takes whole documents while it holds fewer than size
// chunks. Each batch is read in its own
// transaction (writers are not held up), so batches may come from
// different versions of the store; a document's chunks always come from
// one. Unlike IndexChunks, every chunk comes with its Text (a caller may
// analyse it again). Unknown and not-ready documents are skipped.
func (db *DB) IndexChunksOf(ctx context.Context, ids []uint64, size int, fn func([]IndexedChunk) error) error {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	size = max(size, 1)
	for len(ids) > 0 {
		var batch []IndexedChunk
		err := db.view(ctx, func(tx *bolt.Tx) error {
			docs, cb, vb := tx.Bucket(bucketDocs), tx.Bucket(bucketChunks), tx.Bucket(bucketVectors)
			for len(ids) > 0 && len(batch) < size {
				id := ids[0]
				ids = ids[1:]
				var d Document
				if err := getJSON(docs, itob(id), &d); isNotFound(err) {
					continue
				} else if err != nil {
					return err
				}
				if d.Status != StatusReady {
					continue
				}
				prefix := itob(id)
				c := cb.Cursor()
				for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
					ch, err := decodeChunk(k, v)
					if err != nil {
						return err
					}
					ch.Headings, ch.OCR, ch.OCRConfidence = nil, false, 0
					vec, err := readVector(vb, ch.TextHash)
					if err != nil {
						return fmt.Errorf("chunk %d of document %d: %w", ch.Index, ch.DocumentID, err)
					}
					batch = append(batch, IndexedChunk{Chunk: ch, Owner: d.Owner, Title: d.Title, Filename: d.Filename, Vector: vec})
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(batch) > 0 {
			if err := fn(batch); err != nil {
				return err
			}
		}
	}
	return nil
}
