package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"
	"unsafe"

	bolt "go.etcd.io/bbolt"
)

// Status is where a document is in the ingest pipeline.
type Status string

// Document statuses: queued → processing → ready | failed.
const (
	StatusQueued     Status = "queued"
	StatusProcessing Status = "processing"
	StatusReady      Status = "ready"
	StatusFailed     Status = "failed"
)

// Shared is the owner id of the shared library, readable by every user.
const Shared uint64 = 0

// Document is an uploaded or ingested file and its indexing state.
type Document struct {
	ID          uint64 `json:"id"`
	Owner       uint64 `json:"owner"` // Shared (0) for the shared library
	UploadedBy  uint64 `json:"uploaded_by,omitempty"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Format      string `json:"format"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	Status      Status `json:"status"`
	Error       string `json:"error,omitempty"`
	Chunks      int    `json:"chunks"`
	Pages       int    `json:"pages,omitempty"`
	Title       string `json:"title,omitempty"`
	Path        string `json:"path,omitempty"` // source path for folder ingest
	// Folder is the folder Path was ingested from (Path lies inside it):
	// the part of Path other readers may see is the rest of it.
	Folder string `json:"folder,omitempty"`
	// Replaces is the older version of the same file that this one replaces
	// when it commits (folder ingest, re-uploads with replace).
	Replaces uint64 `json:"replaces,omitempty"`
	// Limit is the owner's quota when the document was uploaded (nil: no
	// quota): CreateDocument holds documents and bytes to it, Commit the
	// chunks.
	Limit *Quota `json:"limit,omitempty"`
	// Workspace, when not zero, is a workspace CreateDocument puts a new
	// document in, in the same transaction (a watched folder's workspace);
	// the caller checked the right to. A workspace that no longer exists
	// fails the creation with ErrNotFound. Not stored: the membership is.
	Workspace uint64    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// ChangeSeq is set by Commit on a store with a change log
	// (ChangeFeed): the change that wrote these chunks. Not stored.
	ChangeSeq uint64 `json:"-"`
}

// Viewer is who is looking: users read their own documents and the shared
// library; admins may also change the shared library.
type Viewer struct {
	UserID uint64
	Admin  bool
}

// CanRead reports whether v may read d.
func (v Viewer) CanRead(d *Document) bool { return d.Owner == v.UserID || d.Owner == Shared }

// CanWrite reports whether v may delete or change d.
func (v Viewer) CanWrite(d *Document) bool {
	return d.Owner == v.UserID && d.Owner != Shared || d.Owner == Shared && v.Admin
}

// Chunk is one indexed passage of a document.
type Chunk struct {
	DocumentID uint64
	Index      int
	Text       string
	Start, End int // byte offsets of the passage in the extracted text
	Page       int
	Headings   []string
	Terms      []byte   // the keyword index's analysis of Text, opaque here
	TextHash   [16]byte // key of the vector in the vectors bucket
	// OCR is set when the text was read from a page image by OCR, with
	// OCRConfidence the mean word confidence (0–100, one decimal kept).
	OCR           bool
	OCRConfidence float64
}

// ID is the chunk's global id: the document id in the high 40 bits, the
// index in the low 24.
func (c *Chunk) ID() uint64 { return ChunkID(c.DocumentID, c.Index) }

// ChunkID joins a document id and a chunk index into a chunk id.
func ChunkID(docID uint64, index int) uint64 { return docID<<24 | uint64(index) }

// SplitChunkID is the inverse of ChunkID.
func SplitChunkID(id uint64) (docID uint64, index int) { return id >> 24, int(id & (1<<24 - 1)) }

// MaxChunks is the most chunks one document may have.
const MaxChunks = 1 << 24

// CreateDocument stores a new queued document. If the same owner already has
// a document with the same SHA-256, nothing is written and the existing one
// is returned with dup = true; an existing document that failed is replaced
// instead, so uploading it again retries. With d.Limit set, a document that
// would pass the owner's quota fails with a *QuotaError (ErrQuota).
func (db *DB) CreateDocument(ctx context.Context, d *Document) (existing Document, dup bool, err error) {
	err = db.update(ctx, func(tx *bolt.Tx) error {
		hashKey, err := ownerHashKey(d.Owner, d.SHA256)
		if err != nil {
			return err
		}
		if id := tx.Bucket(bucketDocsByHash).Get(hashKey); id != nil {
			if err := getJSON(tx.Bucket(bucketDocs), id, &existing); err != nil {
				return err
			}
			if existing.Status != StatusFailed {
				dup = true
				return nil
			}
			if d.Replaces == 0 && existing.Replaces != 0 {
				d.Replaces = existing.Replaces
			}
		}
		if err := admit(tx, d); err != nil {
			return err
		}
		docs := tx.Bucket(bucketDocs)
		id, err := docs.NextSequence()
		if err != nil {
			return err
		}
		d.ID = id
		if existing.ID != 0 { // the failed copy gives way, and its workspaces pass to d
			if err := moveMemberships(tx, existing.ID, id); err != nil {
				return err
			}
			if err := deleteDocument(tx, existing.ID); err != nil {
				return err
			}
			existing = Document{}
		}
		d.CreatedAt = db.now()
		d.UpdatedAt = d.CreatedAt
		if d.Status == "" {
			d.Status = StatusQueued
		}
		if err := putDocument(tx, d, nil); err != nil {
			return err
		}
		return linkNew(tx, d)
	})
	if err != nil {
		return Document{}, false, fmt.Errorf("create document: %w", err)
	}
	return existing, dup, nil
}

func ownerHashKey(owner uint64, sha string) ([]byte, error) {
	raw, err := hex.DecodeString(sha)
	if err != nil || len(raw) != 32 {
		return nil, fmt.Errorf("bad sha256 %q", sha)
	}
	return append(itob(owner), raw...), nil
}

func ownerPathKey(owner uint64, path string) []byte { return append(itob(owner), path...) }

// putDocument writes d and keeps its secondary indexes in step with old.
func putDocument(tx *bolt.Tx, d *Document, old *Document) error {
	if old != nil {
		if err := dropDocumentIndexes(tx, old); err != nil {
			return err
		}
	}
	hashKey, err := ownerHashKey(d.Owner, d.SHA256)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketDocsByHash).Put(hashKey, itob(d.ID)); err != nil {
		return err
	}
	if err := tx.Bucket(bucketDocsByOwner).Put(pairKey(d.Owner, d.ID), nil); err != nil {
		return err
	}
	if d.Path != "" {
		if err := tx.Bucket(bucketDocsByPath).Put(ownerPathKey(d.Owner, d.Path), itob(d.ID)); err != nil {
			return err
		}
	}
	if d.Status == StatusReady || old != nil && old.Status == StatusReady {
		if err := logChange(tx, d.ID); err != nil {
			return err
		}
	}
	return putJSON(tx.Bucket(bucketDocs), itob(d.ID), d)
}

func dropDocumentIndexes(tx *bolt.Tx, d *Document) error {
	if hashKey, err := ownerHashKey(d.Owner, d.SHA256); err == nil {
		if id := tx.Bucket(bucketDocsByHash).Get(hashKey); id != nil && btoi(id) == d.ID {
			if err := tx.Bucket(bucketDocsByHash).Delete(hashKey); err != nil {
				return err
			}
		}
	}
	if d.Path != "" {
		key := ownerPathKey(d.Owner, d.Path)
		if id := tx.Bucket(bucketDocsByPath).Get(key); id != nil && btoi(id) == d.ID {
			if err := tx.Bucket(bucketDocsByPath).Delete(key); err != nil {
				return err
			}
		}
	}
	return tx.Bucket(bucketDocsByOwner).Delete(pairKey(d.Owner, d.ID))
}

// Document returns document id if v may read it; otherwise ErrNotFound.
func (db *DB) Document(ctx context.Context, v Viewer, id uint64) (Document, error) {
	var d Document
	err := db.view(ctx, func(tx *bolt.Tx) (err error) {
		d, err = readableDocument(tx, v, id)
		return err
	})
	return d, err
}

// ReadableDocuments returns those of the documents ids that v may read
// (their own, the shared library's, those of the workspaces v sees), in one
// read transaction; missing and hidden ones are left out.
func (db *DB) ReadableDocuments(ctx context.Context, v Viewer, ids []uint64) ([]Document, error) {
	out := make([]Document, 0, len(ids))
	err := db.view(ctx, func(tx *bolt.Tx) error {
		docs := tx.Bucket(bucketDocs)
		for _, id := range ids {
			var d Document
			if err := getJSON(docs, itob(id), &d); err != nil {
				if isNotFound(err) {
					continue
				}
				return err
			}
			ok, err := canRead(tx, v, &d)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, d)
			}
		}
		return nil
	})
	return out, err
}

// DocumentByID returns document id whoever owns it (for the ingest pipeline
// and the CLI, never for a request).
func (db *DB) DocumentByID(ctx context.Context, id uint64) (Document, error) {
	var d Document
	err := db.view(ctx, func(tx *bolt.Tx) error {
		return getJSON(tx.Bucket(bucketDocs), itob(id), &d)
	})
	if err != nil {
		return Document{}, fmt.Errorf("document %d: %w", id, err)
	}
	return d, nil
}

// DocumentByHash returns owner's document with the given hex SHA-256 (the
// one an upload of the same bytes would be a duplicate of).
func (db *DB) DocumentByHash(ctx context.Context, owner uint64, sha string) (Document, error) {
	var d Document
	err := db.view(ctx, func(tx *bolt.Tx) error {
		key, err := ownerHashKey(owner, sha)
		if err != nil {
			return ErrNotFound
		}
		id := tx.Bucket(bucketDocsByHash).Get(key)
		if id == nil {
			return ErrNotFound
		}
		return getJSON(tx.Bucket(bucketDocs), id, &d)
	})
	return d, err
}

// DocumentByPath returns owner's document ingested from path.
func (db *DB) DocumentByPath(ctx context.Context, owner uint64, path string) (Document, error) {
	var d Document
	err := db.view(ctx, func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketDocsByPath).Get(ownerPathKey(owner, path))
		if id == nil {
			return ErrNotFound
		}
		return getJSON(tx.Bucket(bucketDocs), id, &d)
	})
	return d, err
}

// Documents lists the documents visible to userID (their own, the shared
// library's and those of the workspaces they see), newest first,
// applying skip and limit.
func (db *DB) Documents(ctx context.Context, userID uint64, skip, limit int) ([]Document, error) {
	var out []Document
	err := db.view(ctx, func(tx *bolt.Tx) error {
		sc, err := scopeOf(tx, Viewer{UserID: userID})
		if err != nil {
			return err
		}
		all, err := scopeDocuments(tx, sc)
		lo, hi := page(len(all), skip, limit)
		out = all[lo:hi]
		return err
	})
	return out, err
}

// scopeDocuments reads the documents of sc, newest first.
func scopeDocuments(tx *bolt.Tx, sc Scope) ([]Document, error) {
	docs := tx.Bucket(bucketDocs)
	seen := map[uint64]bool{}
	var all []Document
	add := func(id uint64) error {
		if seen[id] {
			return nil
		}
		seen[id] = true
		var d Document
		if err := getJSON(docs, itob(id), &d); err != nil {
			return err
		}
		all = append(all, d)
		return nil
	}
	for _, owner := range sc.Owners {
		if err := forEachPair(tx.Bucket(bucketDocsByOwner), owner, add); err != nil {
			return nil, err
		}
	}
	for _, id := range sc.Documents {
		if err := add(id); err != nil {
			return nil, err
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID > all[j].ID })
	return all, nil
}

// ScopeDocuments lists the documents v may search in workspace (0: all
// they may read), newest first; a workspace hidden from v is ErrNotFound.
func (db *DB) ScopeDocuments(ctx context.Context, v Viewer, workspace uint64) ([]Document, error) {
	var out []Document
	err := db.view(ctx, func(tx *bolt.Tx) error {
		sc, err := scopeIn(tx, v, workspace)
		if err == nil {
			out, err = scopeDocuments(tx, sc)
		}
		return err
	})
	return out, err
}

// HasDocuments reports whether userID can see any document (their own,
// the shared library's or a workspace's, in any status), without reading
// them.
func (db *DB) HasDocuments(ctx context.Context, userID uint64) (bool, error) {
	found := false
	err := db.view(ctx, func(tx *bolt.Tx) error {
		sc, err := scopeOf(tx, Viewer{UserID: userID})
		if err != nil {
			return err
		}
		c := tx.Bucket(bucketDocsByOwner).Cursor()
		for _, owner := range sc.Owners {
			prefix := itob(owner)
			if k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) {
				found = true
			}
		}
		found = found || len(sc.Documents) > 0
		return nil
	})
	return found, err
}

// OwnedDocuments lists the documents of exactly owner (Shared for the library).
func (db *DB) OwnedDocuments(ctx context.Context, owner uint64) ([]Document, error) {
	return db.documentsOf(ctx, []uint64{owner}, 0, 0)
}

func (db *DB) documentsOf(ctx context.Context, owners []uint64, skip, limit int) ([]Document, error) {
	var out []Document
	err := db.view(ctx, func(tx *bolt.Tx) error {
		docs := tx.Bucket(bucketDocs)
		var all []Document
		for _, owner := range owners {
			err := forEachPair(tx.Bucket(bucketDocsByOwner), owner, func(id uint64) error {
				var d Document
				if err := getJSON(docs, itob(id), &d); err != nil {
					return err
				}
				all = append(all, d)
				return nil
			})
			if err != nil {
				return err
			}
		}
		sort.Slice(all, func(i, j int) bool { return all[i].ID > all[j].ID })
		lo, hi := page(len(all), skip, limit)
		out = all[lo:hi]
		return nil
	})
	return out, err
}

// DocumentsWithStatus lists every document in one of the statuses, oldest first.
func (db *DB) DocumentsWithStatus(ctx context.Context, statuses ...Status) ([]Document, error) {
	var out []Document
	err := db.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDocs).ForEach(func(_, v []byte) error {
			var d Document
			if err := decodeJSON(v, &d); err != nil {
				return err
			}
			for _, s := range statuses {
				if d.Status == s {
					out = append(out, d)
				}
			}
			return nil
		})
	})
	return out, err
}

// SetStatus moves document id to status with an optional error message.
// It fails with ErrNotFound if the document was deleted meanwhile.
func (db *DB) SetStatus(ctx context.Context, id uint64, status Status, msg string) error {
	return db.UpdateDocument(ctx, id, func(d *Document) error {
		d.Status, d.Error = status, msg
		return nil
	})
}

// UpdateDocument applies fn to the stored document and saves it.
func (db *DB) UpdateDocument(ctx context.Context, id uint64, fn func(*Document) error) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		var d Document
		if err := getJSON(tx.Bucket(bucketDocs), itob(id), &d); err != nil {
			return fmt.Errorf("document %d: %w", id, err)
		}
		old := d
		if err := fn(&d); err != nil {
			return err
		}
		d.ID, d.CreatedAt, d.UpdatedAt = old.ID, old.CreatedAt, db.now()
		return putDocument(tx, &d, &old)
	})
}

// DeleteDocument removes document id, its chunks and its vector references
// in one transaction, if v may write it.
func (db *DB) DeleteDocument(ctx context.Context, v Viewer, id uint64) (Document, error) {
	var d Document
	err := db.update(ctx, func(tx *bolt.Tx) error {
		var err error
		if d, err = readableDocument(tx, v, id); err != nil {
			return err
		}
		if !v.CanWrite(&d) {
			return ErrForbidden
		}
		return deleteDocument(tx, id)
	})
	if err != nil {
		return Document{}, fmt.Errorf("delete document %d: %w", id, err)
	}
	return d, nil
}

// DeleteDocumentByID removes document id whoever owns it (CLI, pruning).
func (db *DB) DeleteDocumentByID(ctx context.Context, id uint64) error {
	return db.update(ctx, func(tx *bolt.Tx) error { return deleteDocument(tx, id) })
}

func deleteDocument(tx *bolt.Tx, id uint64) error {
	var d Document
	if err := getJSON(tx.Bucket(bucketDocs), itob(id), &d); err != nil {
		return err
	}
	if err := deleteChunks(tx, id); err != nil {
		return err
	}
	if err := dropDocumentIndexes(tx, &d); err != nil {
		return err
	}
	if err := dropMemberships(tx, id); err != nil {
		return err
	}
	if d.Status == StatusReady {
		if err := logChange(tx, id); err != nil {
			return err
		}
	}
	if err := unnoteStaged(tx, id); err != nil {
		return err
	}
	return tx.Bucket(bucketDocs).Delete(itob(id))
}

// deleteChunks removes the chunks of document id and their vector
// references (the chunks of a staged document hold none: commit.go).
func deleteChunks(tx *bolt.Tx, id uint64) error {
	cb, vb := tx.Bucket(bucketChunks), tx.Bucket(bucketVectors)
	refs := !isStaged(tx, id)
	prefix := itob(id)
	c := cb.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Seek(prefix) {
		ch, err := decodeChunk(k, v)
		if err != nil {
			return err
		}
		if refs {
			if err := dropVectorRef(vb, ch.TextHash); err != nil {
				return err
			}
		}
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// deleteOwnedDocuments removes every document of owner, returning their ids.
func deleteOwnedDocuments(tx *bolt.Tx, owner uint64) ([]uint64, error) {
	var ids []uint64
	if err := forEachPair(tx.Bucket(bucketDocsByOwner), owner, func(id uint64) error {
		ids = append(ids, id)
		return nil
	}); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if err := deleteDocument(tx, id); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// Chunks returns the chunks of document id in order, without vectors.
func (db *DB) Chunks(ctx context.Context, id uint64) ([]Chunk, error) {
	return db.ChunkPage(ctx, id, 0, MaxChunks)
}

// ChunkPage returns at most limit chunks of document id from index skip
// on, in order, reading only those: a page of a document with 100,000
// chunks costs what the page holds.
func (db *DB) ChunkPage(ctx context.Context, id uint64, skip, limit int) ([]Chunk, error) {
	if skip < 0 || skip >= MaxChunks || limit <= 0 {
		return nil, nil
	}
	out := make([]Chunk, 0, min(limit, 1024))
	err := db.view(ctx, func(tx *bolt.Tx) error {
		prefix := itob(id)
		c := tx.Bucket(bucketChunks).Cursor()
		for k, v := c.Seek(chunkKey(id, skip)); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = c.Next() {
			ch, err := decodeChunk(k, v)
			if err != nil {
				return err
			}
			out = append(out, ch)
		}
		return nil
	})
	return out, err
}

// ChunksByID returns the chunks with the given ids, in the same order;
// a missing chunk (deleted meanwhile) is left out.
func (db *DB) ChunksByID(ctx context.Context, ids []uint64) ([]Chunk, error) {
	out := make([]Chunk, 0, len(ids))
	err := db.view(ctx, func(tx *bolt.Tx) error {
		cb := tx.Bucket(bucketChunks)
		for _, id := range ids {
			doc, idx := SplitChunkID(id)
			k := chunkKey(doc, idx)
			v := cb.Get(k)
			if v == nil {
				continue
			}
			ch, err := decodeChunk(k, v)
			if err != nil {
				return err
			}
			out = append(out, ch)
		}
		return nil
	})
	return out, err
}

// IndexedChunk is a chunk with its document's owner and its vector, as the
// in-memory indexes need it at start-up.
type IndexedChunk struct {
	Chunk
	Owner uint64
	// Title and Filename are the document's.
	Title, Filename string
	Vector          []float32
	// Seq is the change that last wrote the document's chunks, on a store
	// with a change log (ChangeFeed); 0 otherwise.
	Seq uint64
}

// ForEachChunk calls fn for every chunk of every ready document, in one
// read transaction. The Vector slice is only valid during the call.
func (db *DB) ForEachChunk(ctx context.Context, fn func(*IndexedChunk) error) error {
	return db.view(ctx, func(tx *bolt.Tx) error {
		docs, vb := tx.Bucket(bucketDocs), tx.Bucket(bucketVectors)
		var doc Document
		var ic IndexedChunk
		return tx.Bucket(bucketChunks).ForEach(func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			ch, err := decodeChunk(k, v)
			if err != nil {
				return err
			}
			if doc.ID != ch.DocumentID {
				if err := getJSON(docs, itob(ch.DocumentID), &doc); err != nil {
					return fmt.Errorf("chunk of missing document %d: %w", ch.DocumentID, err)
				}
			}
			if doc.Status != StatusReady {
				return nil
			}
			vec, err := readVector(vb, ch.TextHash)
			if err != nil {
				return fmt.Errorf("chunk %d of document %d: %w", ch.Index, ch.DocumentID, err)
			}
			ic = IndexedChunk{Chunk: ch, Owner: doc.Owner, Title: doc.Title, Filename: doc.Filename, Vector: vec}
			return fn(&ic)
		})
	})
}

// IndexChunks calls fn with batches of up to size chunks of every ready
// document, read in one transaction: the fast path of a start-up rebuild.
// A chunk's Text is read only when it has no stored Terms, Headings are
// never read, and each batch's Terms share one allocation. fn owns what
// it is given (Terms and Vectors are copies) and may keep it after it
// returns.
func (db *DB) IndexChunks(ctx context.Context, size int, fn func([]IndexedChunk) error) error {
	size = max(size, 1)
	return db.view(ctx, func(tx *bolt.Tx) error {
		docs := tx.Bucket(bucketDocs)
		vectors, err := allVectors(tx.Bucket(bucketVectors))
		if err != nil {
			return err
		}
		var doc Document
		batch := make([]IndexedChunk, 0, size)
		var arena []byte
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			err := fn(batch)
			batch, arena = make([]IndexedChunk, 0, size), nil
			return err
		}
		c := tx.Bucket(bucketChunks).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			docID := btoi(k[:8])
			if doc.ID != docID {
				if err := getJSON(docs, k[:8], &doc); err != nil {
					return fmt.Errorf("chunk of missing document %d: %w", docID, err)
				}
			}
			if doc.Status != StatusReady {
				continue
			}
			ch, terms, err := decodeIndexChunk(k, v)
			if err != nil {
				return err
			}
			vec, err := vectors.take(ch.TextHash)
			if err != nil {
				return fmt.Errorf("chunk %d of document %d: %w", ch.Index, ch.DocumentID, err)
			}
			if len(terms) > 0 {
				if cap(arena)-len(arena) < len(terms) {
					arena = make([]byte, 0, max(64<<10, len(terms)))
				}
				arena = append(arena, terms...)
				ch.Terms = arena[len(arena)-len(terms) : len(arena) : len(arena)]
			}
			batch = append(batch, IndexedChunk{Chunk: ch, Owner: doc.Owner, Title: doc.Title, Filename: doc.Filename, Vector: vec})
			if len(batch) == size {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return flush()
	})
}

// vectorSet holds every stored vector, read in one sequential pass (a
// lookup per chunk in the vectors bucket costs a B+tree descent each).
type vectorSet map[[16]byte]*sharedVector

type sharedVector struct {
	vec   []float32
	taken bool
}

// allVectors decodes the whole vectors bucket.
func allVectors(vb *bolt.Bucket) (vectorSet, error) {
	out := vectorSet{}
	err := vb.ForEach(func(k, raw []byte) error {
		if len(k) != 16 || len(raw) < 4 || (len(raw)-4)%4 != 0 {
			return fmt.Errorf("vector %x damaged", k)
		}
		vec := make([]float32, (len(raw)-4)/4)
		if littleEndian && len(vec) > 0 {
			copy(unsafe.Slice((*byte)(unsafe.Pointer(&vec[0])), 4*len(vec)), raw[4:])
		} else {
			for i := range vec {
				vec[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4+4*i:]))
			}
		}
		out[[16]byte(k)] = &sharedVector{vec: vec}
		return nil
	})
	return out, err
}

// littleEndian is whether float32s in memory have the stored byte order.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// take returns the vector stored under hash: the decoded slice the first
// time, a copy after (identical passages share one stored vector, but
// each chunk gets its own).
func (vs vectorSet) take(hash [16]byte) ([]float32, error) {
	v := vs[hash]
	if v == nil {
		return nil, errors.New("vector missing or damaged")
	}
	if v.taken {
		return slices.Clone(v.vec), nil
	}
	v.taken = true
	return v.vec, nil
}
