package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// ErrQuota means an owner's quota would be exceeded; the error is a
// *QuotaError that says which.
var ErrQuota = errors.New("over quota")

// Quota bounds what one owner may store; a zero field is no limit.
type Quota struct {
	Documents int64 `json:"documents,omitempty"`
	Bytes     int64 `json:"bytes,omitempty"` // uploaded file sizes
	Chunks    int64 `json:"chunks,omitempty"`
}

// QuotaOverride is an admin's per-user change to the default quota: a nil
// field follows the default, 0 is no limit.
type QuotaOverride struct {
	Documents *int64 `json:"documents,omitempty"`
	Bytes     *int64 `json:"bytes,omitempty"`
	Chunks    *int64 `json:"chunks,omitempty"`
}

// Apply returns def with o's fields put over it.
func (o *QuotaOverride) Apply(def Quota) Quota {
	if o == nil {
		return def
	}
	for _, f := range []struct {
		o *int64
		q *int64
	}{{o.Documents, &def.Documents}, {o.Bytes, &def.Bytes}, {o.Chunks, &def.Chunks}} {
		if f.o != nil {
			*f.q = max(*f.o, 0)
		}
	}
	return def
}

// Usage is what an owner stores: documents in any status, the bytes of
// their files, and the chunks of ready ones.
type Usage struct {
	Documents int64 `json:"documents"`
	Bytes     int64 `json:"bytes"`
	Chunks    int64 `json:"chunks"`
}

// QuotaError says which quota a change would exceed.
type QuotaError struct {
	Limit string // "documents", "bytes" or "chunks"
	Max   int64  // the quota
	Used  int64  // what the owner has now
	Add   int64  // what the change would add
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("over the %s quota: %d used, %d more would pass the limit of %d", e.Limit, e.Used, e.Add, e.Max)
}

// Is makes errors.Is(err, ErrQuota) hold.
func (e *QuotaError) Is(target error) bool { return target == ErrQuota }

// check fails when adding add to u passes q (zero fields are no limit).
func (q Quota) check(u Usage, add Usage) error {
	for _, f := range []struct {
		name           string
		max, used, add int64
	}{
		{"documents", q.Documents, u.Documents, add.Documents},
		{"bytes", q.Bytes, u.Bytes, add.Bytes},
		{"chunks", q.Chunks, u.Chunks, add.Chunks},
	} {
		if f.max > 0 && f.add > 0 && f.used+f.add > f.max {
			return &QuotaError{Limit: f.name, Max: f.max, Used: f.used, Add: f.add}
		}
	}
	return nil
}

// Usage returns what owner stores.
func (db *DB) Usage(ctx context.Context, owner uint64) (Usage, error) {
	var u Usage
	err := db.view(ctx, func(tx *bolt.Tx) (err error) {
		u, err = usage(tx, owner)
		return err
	})
	return u, err
}

// usage sums owner's documents, leaving out the documents except (one
// being replaced, whose place the new version takes; one being committed
// again).
func usage(tx *bolt.Tx, owner uint64, except ...uint64) (Usage, error) {
	var u Usage
	docs := tx.Bucket(bucketDocs)
	err := forEachPair(tx.Bucket(bucketDocsByOwner), owner, func(id uint64) error {
		if slices.Contains(except, id) {
			return nil
		}
		var d Document
		if err := getJSON(docs, itob(id), &d); err != nil {
			return err
		}
		u.Documents++
		u.Bytes += d.Size
		if d.Status == StatusReady {
			u.Chunks += int64(d.Chunks)
		}
		return nil
	})
	return u, err
}

// Admit checks that an owner using u may add docs documents of bytes
// bytes under q: they fit the document and byte quotas, and the chunk
// quota is not full already (a new document would have nowhere to go).
func (q Quota) Admit(u Usage, docs, bytes int64) error {
	add := Usage{Documents: docs, Bytes: bytes}
	if q.Chunks > 0 && u.Chunks >= q.Chunks {
		add.Chunks = 1
	}
	return q.check(u, add)
}

// admit checks a new document d against the quota it was uploaded under
// (d.Limit).
func admit(tx *bolt.Tx, d *Document) error {
	if d.Limit == nil || *d.Limit == (Quota{}) {
		return nil
	}
	u, err := usage(tx, d.Owner, d.Replaces)
	if err != nil {
		return err
	}
	return d.Limit.Admit(u, 1, d.Size)
}

// AdmitChunks checks that an owner using u (leaving out the document
// being committed and the one it replaces) may add n chunks under q.
func (q Quota) AdmitChunks(u Usage, n int64) error {
	return Quota{Chunks: q.Chunks}.check(u, Usage{Chunks: n})
}

// admitChunks checks n chunks of document d against its quota.
func admitChunks(tx *bolt.Tx, d *Document, n int) error {
	if d.Limit == nil || d.Limit.Chunks <= 0 {
		return nil
	}
	u, err := usage(tx, d.Owner, d.ID, d.Replaces)
	if err != nil {
		return err
	}
	return d.Limit.AdmitChunks(u, int64(n))
}

// CheckChunks reports whether n more chunks for document d fit its
// owner's quota now (Commit checks again, atomically): the pipeline asks
// before it embeds them.
func (db *DB) CheckChunks(ctx context.Context, d *Document, n int) error {
	return db.view(ctx, func(tx *bolt.Tx) error { return admitChunks(tx, d, n) })
}
