package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"
)

// Problem is one inconsistency found by Check.
type Problem struct {
	Kind   string `json:"kind"`   // e.g. "orphan chunk", "vector refcount"
	Detail string `json:"detail"` // which record and what is wrong
	Fixed  bool   `json:"fixed"`  // Repair fixed it
}

// CheckReport is the result of Check or Repair.
type CheckReport struct {
	Users         int `json:"users"`
	Conversations int `json:"conversations"`
	Messages      int `json:"messages"`
	Documents     int `json:"documents"`
	Chunks        int `json:"chunks"`
	Vectors       int `json:"vectors"`
	// Interrupted lists documents left queued or processing; the server
	// resumes them at start-up (or marks them failed if their upload is gone).
	Interrupted []uint64  `json:"interrupted"`
	Problems    []Problem `json:"problems"`
}

// OK reports whether no problem was found (or all were fixed).
func (r *CheckReport) OK() bool {
	for _, p := range r.Problems {
		if !p.Fixed {
			return false
		}
	}
	return true
}

// Check verifies the store's invariants in one read transaction: every
// chunk belongs to a ready document whose chunk count matches, every chunk
// has its vector with the index's dimension, vector reference counts equal
// their uses, secondary indexes point at the right records, and every
// message, conversation, API key and workspace has its parent (and
// workspace memberships their document). It changes nothing.
func (db *DB) Check(ctx context.Context) (*CheckReport, error) {
	r := &CheckReport{}
	err := db.view(ctx, func(tx *bolt.Tx) error { return check(tx, r, false) })
	return r, err
}

// Repair runs Check and fixes what can be fixed without losing user data,
// in one transaction: orphan chunks, vectors and messages are dropped,
// reference counts recounted, secondary indexes rebuilt, and a ready
// document whose chunks are damaged is marked failed so it can be uploaded
// again. Documents left queued or processing are left for the server to
// resume.
func (db *DB) Repair(ctx context.Context) (*CheckReport, error) {
	r := &CheckReport{}
	err := db.update(ctx, func(tx *bolt.Tx) error { return check(tx, r, true) })
	return r, err
}

// checker walks one transaction, recording problems and fixing them when fix is set.
type checker struct {
	tx  *bolt.Tx
	r   *CheckReport
	fix bool
	err error
}

func (c *checker) problem(kind, format string, args ...any) {
	c.r.Problems = append(c.r.Problems, Problem{Kind: kind, Detail: fmt.Sprintf(format, args...), Fixed: c.fix})
}

// do runs a repair step when fixing, remembering the first error.
func (c *checker) do(fn func() error) {
	if c.fix && c.err == nil {
		c.err = fn()
	}
}

func check(tx *bolt.Tx, r *CheckReport, fix bool) error {
	c := &checker{tx: tx, r: r, fix: fix}
	for _, step := range []func(){c.users, c.conversations, c.documents, c.chunksAndVectors, c.keys, c.workspaces} {
		step()
		if c.err != nil {
			return c.err
		}
	}
	if fix && len(r.Problems) > 0 {
		// A repair may change documents and chunks in ways the change
		// log does not describe: a persisted index is rebuilt whole.
		return logChange(tx, resetDoc)
	}
	return nil
}

// users checks the username and email indexes against the users.
func (c *checker) users() {
	users := c.tx.Bucket(bucketUsers)
	want := map[string]map[string]uint64{string(bucketUsersByName): {}, string(bucketUsersByEmail): {}}
	users.ForEach(func(k, v []byte) error {
		var u User
		if err := decodeJSON(v, &u); err != nil {
			c.problem("damaged user", "user %d cannot be decoded", btoi(k))
			return nil
		}
		c.r.Users++
		want[string(bucketUsersByName)][string(fold(u.Username))] = u.ID
		want[string(bucketUsersByEmail)][string(fold(u.Email))] = u.ID
		return nil
	})
	for name, entries := range want {
		c.index([]byte(name), entries)
	}
}

// index makes bucket map exactly entries (key → id), reporting differences.
func (c *checker) index(bucket []byte, entries map[string]uint64) {
	b := c.tx.Bucket(bucket)
	var stale [][]byte
	b.ForEach(func(k, v []byte) error {
		if id, ok := entries[string(k)]; !ok || len(v) != 8 || btoi(v) != id {
			c.problem("stale index entry", "%s %q", bucket, k)
			stale = append(stale, append([]byte(nil), k...))
		}
		return nil
	})
	for _, k := range stale {
		c.do(func() error { return b.Delete(k) })
	}
	for k, id := range entries {
		if v := b.Get([]byte(k)); len(v) != 8 || btoi(v) != id {
			c.problem("missing index entry", "%s %q → %d", bucket, k, id)
			c.do(func() error { return b.Put([]byte(k), itob(id)) })
		}
	}
}

// conversations checks that conversations have users and messages have
// conversations.
func (c *checker) conversations() {
	users, convs := c.tx.Bucket(bucketUsers), c.tx.Bucket(bucketConvs)
	pairs := map[string]uint64{}
	var orphans []uint64
	convs.ForEach(func(k, v []byte) error {
		var cv Conversation
		if err := decodeJSON(v, &cv); err != nil || users.Get(itob(cv.UserID)) == nil {
			c.problem("orphan conversation", "conversation %d has no user", btoi(k))
			orphans = append(orphans, btoi(k))
			return nil
		}
		c.r.Conversations++
		pairs[string(pairKey(cv.UserID, cv.ID))] = 0
		return nil
	})
	for _, id := range orphans {
		c.do(func() error {
			if err := deletePrefix(c.tx.Bucket(bucketMessages), itob(id)); err != nil {
				return err
			}
			return convs.Delete(itob(id))
		})
	}
	c.pairIndex(bucketUserConvs, pairs)
	msgs := c.tx.Bucket(bucketMessages)
	var lost [][]byte
	msgs.ForEach(func(k, _ []byte) error {
		if len(k) != 16 || convs.Get(k[:8]) == nil {
			lost = append(lost, append([]byte(nil), k...))
			return nil
		}
		c.r.Messages++
		return nil
	})
	if len(lost) > 0 {
		c.problem("orphan messages", "%d messages of deleted conversations", len(lost))
	}
	for _, k := range lost {
		c.do(func() error { return msgs.Delete(k) })
	}
}

// pairIndex makes a bucket of a|b keys (with nil values) hold exactly keys.
func (c *checker) pairIndex(bucket []byte, keys map[string]uint64) {
	b := c.tx.Bucket(bucket)
	var stale [][]byte
	b.ForEach(func(k, _ []byte) error {
		if _, ok := keys[string(k)]; !ok {
			stale = append(stale, append([]byte(nil), k...))
		}
		return nil
	})
	if len(stale) > 0 {
		c.problem("stale index entry", "%d entries of %s point at nothing", len(stale), bucket)
	}
	for _, k := range stale {
		c.do(func() error { return b.Delete(k) })
	}
	for k := range keys {
		if b.Get([]byte(k)) == nil {
			c.problem("missing index entry", "%s %x", bucket, k)
			c.do(func() error { return b.Put([]byte(k), nil) })
		}
	}
}

// documents checks the document indexes and notes interrupted documents.
func (c *checker) documents() {
	owners, hashes, paths := map[string]uint64{}, map[string]uint64{}, map[string]uint64{}
	c.tx.Bucket(bucketDocs).ForEach(func(k, v []byte) error {
		var d Document
		if err := decodeJSON(v, &d); err != nil {
			c.problem("damaged document", "document %d cannot be decoded", btoi(k))
			return nil
		}
		c.r.Documents++
		if d.Status == StatusQueued || d.Status == StatusProcessing {
			c.r.Interrupted = append(c.r.Interrupted, d.ID)
		}
		owners[string(pairKey(d.Owner, d.ID))] = 0
		if hk, err := ownerHashKey(d.Owner, d.SHA256); err == nil {
			if other, taken := hashes[string(hk)]; !taken || other < d.ID {
				hashes[string(hk)] = d.ID // the newest document of a hash wins, as CreateDocument keeps it
			}
		}
		if d.Path != "" {
			if other, taken := paths[string(ownerPathKey(d.Owner, d.Path))]; !taken || other < d.ID {
				paths[string(ownerPathKey(d.Owner, d.Path))] = d.ID
			}
		}
		return nil
	})
	c.pairIndex(bucketDocsByOwner, owners)
	c.index(bucketDocsByHash, hashes)
	c.index(bucketDocsByPath, paths)
}

// chunksAndVectors checks every chunk against its document and vector, and
// every vector's reference count against its uses.
func (c *checker) chunksAndVectors() {
	docs, chunks, vectors := c.tx.Bucket(bucketDocs), c.tx.Bucket(bucketChunks), c.tx.Bucket(bucketVectors)
	var info IndexInfo
	getJSON(c.tx.Bucket(bucketMeta), keyIndexInfo, &info)
	uses := map[[16]byte]uint32{}
	counts := map[uint64]int{}
	damaged := map[uint64]string{}
	var orphans [][]byte
	chunks.ForEach(func(k, v []byte) error {
		ch, err := decodeChunk(k, v)
		if err != nil {
			if len(k) >= 8 {
				damaged[btoi(k[:8])] = "a chunk cannot be decoded"
			}
			orphans = append(orphans, append([]byte(nil), k...))
			return nil
		}
		var d Document
		if getJSON(docs, itob(ch.DocumentID), &d) != nil || d.Status != StatusReady {
			orphans = append(orphans, append([]byte(nil), k...))
			return nil
		}
		c.r.Chunks++
		counts[ch.DocumentID]++
		uses[ch.TextHash]++
		raw := vectors.Get(ch.TextHash[:])
		if len(raw) < 4 || (info.Dim > 0 && len(raw) != 4+4*info.Dim) {
			damaged[ch.DocumentID] = fmt.Sprintf("chunk %d has no vector of dimension %d", ch.Index, info.Dim)
		}
		return nil
	})
	if len(orphans) > 0 {
		c.problem("orphan chunks", "%d chunks belong to no ready document", len(orphans))
	}
	for _, k := range orphans {
		c.do(func() error { return chunks.Delete(k) })
	}
	docs.ForEach(func(k, v []byte) error {
		var d Document
		if decodeJSON(v, &d) == nil && d.Status == StatusReady && counts[d.ID] != d.Chunks {
			damaged[d.ID] = fmt.Sprintf("%d chunks stored, the record says %d", counts[d.ID], d.Chunks)
		}
		return nil
	})
	c.damagedDocuments(damaged, uses)
	c.refcounts(uses)
}

// damagedDocuments marks ready documents with broken chunks as failed,
// dropping their chunks, so the user can upload them again.
func (c *checker) damagedDocuments(damaged map[uint64]string, uses map[[16]byte]uint32) {
	ids := make([]uint64, 0, len(damaged))
	for id := range damaged {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	docs, chunks := c.tx.Bucket(bucketDocs), c.tx.Bucket(bucketChunks)
	for _, id := range ids {
		var d Document
		if getJSON(docs, itob(id), &d) != nil {
			continue
		}
		c.problem("damaged document", "document %d (%s): %s", id, d.Filename, damaged[id])
		c.do(func() error {
			prefix := itob(id)
			cur := chunks.Cursor()
			for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Seek(prefix) {
				if ch, err := decodeChunk(k, v); err == nil && uses[ch.TextHash] > 0 {
					uses[ch.TextHash]--
				}
				if err := cur.Delete(); err != nil {
					return err
				}
			}
			c.r.Chunks -= d.Chunks
			d.Status, d.Error, d.Chunks = StatusFailed, "the index of this document was damaged; upload it again", 0
			return putJSON(docs, itob(id), &d)
		})
	}
}

// refcounts makes every vector's reference count equal its uses and drops
// vectors nothing uses.
func (c *checker) refcounts(uses map[[16]byte]uint32) {
	vectors := c.tx.Bucket(bucketVectors)
	type fixUp struct {
		key  []byte
		refs uint32
	}
	var fixes []fixUp
	vectors.ForEach(func(k, v []byte) error {
		var h [16]byte
		copy(h[:], k)
		if n := uses[h]; len(v) < 4 || binary.BigEndian.Uint32(v) != n {
			fixes = append(fixes, fixUp{append([]byte(nil), k...), n})
		} else {
			c.r.Vectors++
		}
		return nil
	})
	if len(fixes) > 0 {
		c.problem("vector refcount", "%d vectors have a wrong reference count or are unused", len(fixes))
	}
	for _, f := range fixes {
		c.do(func() error {
			if f.refs == 0 {
				return vectors.Delete(f.key)
			}
			out := append([]byte(nil), vectors.Get(f.key)...)
			binary.BigEndian.PutUint32(out, f.refs)
			c.r.Vectors++
			return vectors.Put(f.key, out)
		})
	}
}
