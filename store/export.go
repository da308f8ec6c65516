package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// Record is one item of a store's contents as Export gives it and Import
// takes it: exactly one field is set. Export gives them in this order:
// the index info, users, keys, invites, conversations, messages,
// documents, workspaces, memberships, vectors, chunks — each kind in id
// order (memberships by workspace and document, vectors by hash), the same
// on every backend, so two stores with the same contents export the same
// sequence (Digest compares them).
type Record struct {
	IndexInfo    *IndexInfo    `json:"index_info,omitempty"`
	User         *User         `json:"user,omitempty"`
	Key          *APIKey       `json:"key,omitempty"`
	Invite       *Invite       `json:"invite,omitempty"`
	Conversation *Conversation `json:"conversation,omitempty"`
	Message      *Message      `json:"message,omitempty"`
	Document     *Document     `json:"document,omitempty"`
	Workspace    *Workspace    `json:"workspace,omitempty"`
	Membership   *Membership   `json:"membership,omitempty"`
	Vector       *Vector       `json:"vector,omitempty"`
	Chunk        *Chunk        `json:"chunk,omitempty"`
}

// Membership is a document's place in a workspace (one it was added to;
// the shared library's holds the documents of owner Shared besides).
type Membership struct {
	WorkspaceID uint64 `json:"workspace_id"`
	DocumentID  uint64 `json:"document_id"`
}

// Vector is a stored passage vector, shared by every chunk whose text has
// the hash.
type Vector struct {
	Hash   [16]byte  `json:"hash"`
	Values []float32 `json:"values"`
}

// Kind names the record's kind ("user", "chunk", …).
func (r *Record) Kind() string {
	switch {
	case r.IndexInfo != nil:
		return "index_info"
	case r.User != nil:
		return "user"
	case r.Key != nil:
		return "key"
	case r.Invite != nil:
		return "invite"
	case r.Conversation != nil:
		return "conversation"
	case r.Message != nil:
		return "message"
	case r.Document != nil:
		return "document"
	case r.Workspace != nil:
		return "workspace"
	case r.Membership != nil:
		return "membership"
	case r.Vector != nil:
		return "vector"
	case r.Chunk != nil:
		return "chunk"
	}
	return ""
}

// ErrNotEmpty means Import was given a store that already holds data.
var ErrNotEmpty = errors.New("the target store is not empty")

// Digest sums what Export gives: the number of records of each kind and a
// SHA-256 over all of them. Two stores with the same contents, on any
// backend, have the same digest.
type Digest struct {
	Counts map[string]int `json:"counts"`
	SHA256 string         `json:"sha256"`
}

// DigestOf exports s and sums it.
func DigestOf(ctx context.Context, s Store) (Digest, error) {
	d := Digest{Counts: map[string]int{}}
	h := sha256.New()
	err := s.Export(ctx, func(r Record) error {
		d.Counts[r.Kind()]++
		return hashRecord(h, &r)
	})
	d.SHA256 = hex.EncodeToString(h.Sum(nil))
	return d, err
}

// hashRecord feeds a canonical form of r to h: JSON for the records, raw
// bytes for vectors and chunks (the bulk of a store).
func hashRecord(h hash.Hash, r *Record) error {
	io.WriteString(h, r.Kind())
	switch {
	case r.Vector != nil:
		h.Write(r.Vector.Hash[:])
		var b [4]byte
		for _, f := range r.Vector.Values {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(f))
			h.Write(b[:])
		}
		return nil
	case r.Chunk != nil:
		h.Write(encodeChunk(r.Chunk))
		h.Write(binary.BigEndian.AppendUint64(nil, r.Chunk.ID()))
		return nil
	}
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	h.Write(raw)
	return nil
}

// Export calls fn with every record of the store, read in one transaction.
func (db *DB) Export(ctx context.Context, fn func(Record) error) error {
	return db.view(ctx, func(tx *bolt.Tx) error {
		var info IndexInfo
		if err := getJSON(tx.Bucket(bucketMeta), keyIndexInfo, &info); err == nil {
			if err := fn(Record{IndexInfo: &info}); err != nil {
				return err
			}
		}
		steps := []struct {
			bucket []byte
			rec    func(v []byte) (Record, error)
		}{
			{bucketUsers, func(v []byte) (Record, error) { var u User; return Record{User: &u}, decodeJSON(v, &u) }},
			{bucketKeys, func(v []byte) (Record, error) { var k APIKey; return Record{Key: &k}, decodeJSON(v, &k) }},
			{bucketInvites, func(v []byte) (Record, error) { var i Invite; return Record{Invite: &i}, decodeJSON(v, &i) }},
			{bucketConvs, func(v []byte) (Record, error) { var c Conversation; return Record{Conversation: &c}, decodeJSON(v, &c) }},
			{bucketMessages, func(v []byte) (Record, error) { var m Message; return Record{Message: &m}, decodeJSON(v, &m) }},
			{bucketDocs, func(v []byte) (Record, error) { var d Document; return Record{Document: &d}, decodeJSON(v, &d) }},
			{bucketWorkspaces, func(v []byte) (Record, error) { var w Workspace; return Record{Workspace: &w}, decodeJSON(v, &w) }},
		}
		for _, s := range steps {
			err := tx.Bucket(s.bucket).ForEach(func(_, v []byte) error {
				r, err := s.rec(v)
				if err != nil {
					return err
				}
				return fn(r)
			})
			if err != nil {
				return err
			}
		}
		err := tx.Bucket(bucketWorkspaceDocs).ForEach(func(k, _ []byte) error {
			return fn(Record{Membership: &Membership{WorkspaceID: btoi(k[:8]), DocumentID: btoi(k[8:])}})
		})
		if err != nil {
			return err
		}
		err = tx.Bucket(bucketVectors).ForEach(func(k, v []byte) error {
			vec, err := readVector(tx.Bucket(bucketVectors), [16]byte(k))
			if err != nil {
				return fmt.Errorf("vector %x: %w", k, err)
			}
			return fn(Record{Vector: &Vector{Hash: [16]byte(k), Values: vec}})
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketChunks).ForEach(func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			c, err := decodeChunk(k, v)
			if err != nil {
				return err
			}
			return fn(Record{Chunk: &c})
		})
	})
}

// Import writes the records next gives (until io.EOF) into this empty
// store in one transaction, keeping every id; later ids continue after
// the largest imported. A store that already has users or documents is
// refused with ErrNotEmpty.
func (db *DB) Import(ctx context.Context, next func() (Record, error)) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		if firstKey(tx.Bucket(bucketUsers)) != nil || firstKey(tx.Bucket(bucketDocs)) != nil {
			return ErrNotEmpty
		}
		im := importer{tx: tx, max: map[string]uint64{}}
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			r, err := next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			if err := im.put(&r); err != nil {
				return fmt.Errorf("import %s: %w", r.Kind(), err)
			}
		}
		if err := im.finish(); err != nil {
			return err
		}
		return logChange(tx, resetDoc) // a persisted index of this directory is rebuilt
	})
}

// importer writes records into one bbolt transaction.
type importer struct {
	tx  *bolt.Tx
	max map[string]uint64 // largest id per bucket, for its sequence
}

func (im *importer) seen(bucket []byte, id uint64) {
	im.max[string(bucket)] = max(im.max[string(bucket)], id)
}

func (im *importer) put(r *Record) error {
	tx := im.tx
	switch {
	case r.IndexInfo != nil:
		return putJSON(tx.Bucket(bucketMeta), keyIndexInfo, r.IndexInfo)
	case r.User != nil:
		im.seen(bucketUsers, r.User.ID)
		if err := putClaims(tx, r.User); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketUsers), itob(r.User.ID), r.User)
	case r.Key != nil:
		k := r.Key
		im.seen(bucketKeys, k.ID)
		hk, err := hashKey(k.Hash)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketKeysByHash).Put(hk, itob(k.ID)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketUserKeys).Put(pairKey(k.UserID, k.ID), nil); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketKeys), itob(k.ID), k)
	case r.Invite != nil:
		inv := r.Invite
		im.seen(bucketInvites, inv.ID)
		hk, err := hashKey(inv.Hash)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketInvitesByHash).Put(hk, itob(inv.ID)); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketInvites), itob(inv.ID), inv)
	case r.Conversation != nil:
		c := r.Conversation
		im.seen(bucketConvs, c.ID)
		if err := tx.Bucket(bucketUserConvs).Put(pairKey(c.UserID, c.ID), nil); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketConvs), itob(c.ID), c)
	case r.Message != nil:
		im.seen(bucketMessages, r.Message.ID)
		return putJSON(tx.Bucket(bucketMessages), pairKey(r.Message.ConversationID, r.Message.ID), r.Message)
	case r.Document != nil:
		im.seen(bucketDocs, r.Document.ID)
		return putDocument(tx, r.Document, nil)
	case r.Workspace != nil:
		return im.putWorkspace(r.Workspace)
	case r.Membership != nil:
		return link(tx, r.Membership.WorkspaceID, r.Membership.DocumentID)
	case r.Vector != nil:
		return tx.Bucket(bucketVectors).Put(r.Vector.Hash[:], encodeVector(0, r.Vector.Values))
	case r.Chunk != nil:
		c := r.Chunk
		if err := addVectorRef(tx.Bucket(bucketVectors), c.TextHash, nil); err != nil {
			return fmt.Errorf("chunk %d of document %d: %w", c.Index, c.DocumentID, err)
		}
		return tx.Bucket(bucketChunks).Put(chunkKey(c.DocumentID, c.Index), encodeChunk(c))
	}
	return errors.New("empty record")
}

// putWorkspace writes an imported workspace; the shared library's
// replaces the one this store made for itself.
func (im *importer) putWorkspace(w *Workspace) error {
	if w.Library {
		var own []Workspace
		if err := forEachWorkspace(im.tx, func(x *Workspace) error {
			if x.Library {
				own = append(own, *x)
			}
			return nil
		}); err != nil {
			return err
		}
		for i := range own {
			if err := deleteWorkspace(im.tx, &own[i]); err != nil {
				return err
			}
		}
	}
	im.seen(bucketWorkspaces, w.ID)
	if err := im.tx.Bucket(bucketWorkspaceNames).Put(nameKey(w.Owner, w.Name), itob(w.ID)); err != nil {
		return err
	}
	return putJSON(im.tx.Bucket(bucketWorkspaces), itob(w.ID), w)
}

// finish sets each bucket's sequence past its largest imported id.
func (im *importer) finish() error {
	for name, id := range im.max {
		b := im.tx.Bucket([]byte(name))
		if b.Sequence() < id {
			if err := b.SetSequence(id); err != nil {
				return err
			}
		}
	}
	return nil
}

// Copy exports everything from one store and imports it into another,
// empty one (of either backend), keeping every id.
func Copy(ctx context.Context, from, to Store) error {
	recs := make(chan Record, 64)
	errc := make(chan error, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(recs)
		errc <- from.Export(ctx, func(r Record) error {
			select {
			case recs <- r:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	err := to.Import(ctx, func() (Record, error) {
		r, ok := <-recs
		if !ok {
			return Record{}, io.EOF
		}
		return r, nil
	})
	cancel()
	for range recs {
	}
	if eerr := <-errc; err == nil && eerr != nil && !errors.Is(eerr, context.Canceled) {
		err = eerr
	}
	return err
}

// Snapshot writes a backup of s: a bbolt data file with everything s
// holds (Copy into a temporary one), which Open and Restore read. size,
// if not nil, is told the file's size first.
func Snapshot(ctx context.Context, s Store, w io.Writer, size func(int64)) (int64, error) {
	dir, err := os.MkdirTemp("", "docent-snapshot-*")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	db, err := Open(ctx, dir, Options{NoSync: true})
	if err != nil {
		return 0, err
	}
	if err := Copy(ctx, s, db); err != nil {
		db.Close()
		return 0, fmt.Errorf("backup: %w", err)
	}
	if err := db.Close(); err != nil {
		return 0, err
	}
	f, err := os.Open(filepath.Join(dir, FileName))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if size != nil {
		size(st.Size())
	}
	return io.Copy(w, f)
}

// ErrMismatch means a copied store does not hold what its source holds.
var ErrMismatch = errors.New("the copy differs from its source")

// Migrate copies everything from one store into another, empty one (Copy)
// and verifies the copy: the same number of records of each kind and the
// same SHA-256 over all of them (DigestOf). It returns the digest.
func Migrate(ctx context.Context, from, to Store) (Digest, error) {
	if err := Copy(ctx, from, to); err != nil {
		return Digest{}, err
	}
	want, err := DigestOf(ctx, from)
	if err != nil {
		return Digest{}, err
	}
	got, err := DigestOf(ctx, to)
	if err != nil {
		return Digest{}, err
	}
	if got.SHA256 != want.SHA256 {
		return got, fmt.Errorf("%w: source %v (sha256 %s), copy %v (sha256 %s)", ErrMismatch, want.Counts, want.SHA256, got.Counts, got.SHA256)
	}
	return got, nil
}
