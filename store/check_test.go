package store

import (
	"context"
	"encoding/binary"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// populated returns a store with a user, a conversation with a message and
// two ready documents.
func populated(t *testing.T) (*DB, []Document) {
	t.Helper()
	db := openTest(t)
	ctx := context.Background()
	u := User{Username: "ann", Email: "ann@example.com"}
	db.CreateUser(ctx, &u)
	c := Conversation{UserID: u.ID}
	db.CreateConversation(ctx, &c)
	db.AddMessage(ctx, u.ID, &Message{ConversationID: c.ID, Role: RoleUserMessage, Content: "hi"})
	db.SetIndexInfo(ctx, IndexInfo{Embedder: "test", Dim: 4})
	var docs []Document
	for i, name := range []string{"a", "b"} {
		d := Document{Owner: u.ID, Filename: name, SHA256: sha(name)}
		db.CreateDocument(ctx, &d)
		chunks, vecs := testChunks(name, 2+i)
		if err := db.Commit(ctx, &d, chunks, vecs); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	return db, docs
}

func TestCheckFindsAndRepairFixesDamage(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		damage func(tx *bolt.Tx, docs []Document) error
		kind   string
		after  func(t *testing.T, db *DB, docs []Document)
	}{
		{"orphan chunk", func(tx *bolt.Tx, _ []Document) error {
			c, _ := testChunks("ghost", 1)
			c[0].DocumentID = 99
			return tx.Bucket(bucketChunks).Put(chunkKey(99, 0), encodeChunk(&c[0]))
		}, "orphan chunks", nil},
		{"wrong refcount", func(tx *bolt.Tx, _ []Document) error {
			vb := tx.Bucket(bucketVectors)
			k, v := vb.Cursor().First()
			out := append([]byte(nil), v...)
			binary.BigEndian.PutUint32(out, 7)
			return vb.Put(append([]byte(nil), k...), out)
		}, "vector refcount", nil},
		{"missing vector", func(tx *bolt.Tx, docs []Document) error {
			chunks, _ := testChunks("a", 1)
			return tx.Bucket(bucketVectors).Delete(chunks[0].TextHash[:])
		}, "damaged document", func(t *testing.T, db *DB, docs []Document) {
			d, _ := db.DocumentByID(ctx, docs[0].ID)
			if d.Status != StatusFailed || d.Error == "" {
				t.Errorf("damaged document after repair: %+v", d)
			}
			if other, _ := db.DocumentByID(ctx, docs[1].ID); other.Status != StatusReady {
				t.Errorf("the healthy document was touched: %+v", other)
			}
		}},
		{"stale hash index", func(tx *bolt.Tx, _ []Document) error {
			k, _ := ownerHashKey(1, sha("nothing"))
			return tx.Bucket(bucketDocsByHash).Put(k, itob(42))
		}, "stale index entry", nil},
		{"lost owner index", func(tx *bolt.Tx, docs []Document) error {
			return tx.Bucket(bucketDocsByOwner).Delete(pairKey(docs[0].Owner, docs[0].ID))
		}, "missing index entry", func(t *testing.T, db *DB, docs []Document) {
			if list, _ := db.Documents(ctx, docs[0].Owner, 0, 10); len(list) != 2 {
				t.Errorf("list after repair: %d documents", len(list))
			}
		}},
		{"orphan messages", func(tx *bolt.Tx, _ []Document) error {
			return tx.Bucket(bucketMessages).Put(pairKey(77, 1), []byte(`{}`))
		}, "orphan messages", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db, docs := populated(t)
			if err := db.bolt.Update(func(tx *bolt.Tx) error { return tc.damage(tx, docs) }); err != nil {
				t.Fatal(err)
			}
			r, _ := db.Check(ctx)
			if r.OK() || !hasKind(r, tc.kind) {
				t.Fatalf("check missed %s: %+v", tc.kind, r.Problems)
			}
			if r, err := db.Repair(ctx); err != nil || !r.OK() {
				t.Fatalf("repair: %+v %v", r.Problems, err)
			}
			if r, _ := db.Check(ctx); !r.OK() {
				t.Errorf("problems left after repair: %+v", r.Problems)
			}
			if _, err := db.UserByLogin(ctx, "ann"); err != nil {
				t.Error("repair lost a user")
			}
			if tc.after != nil {
				tc.after(t, db, docs)
			}
		})
	}
}

func hasKind(r *CheckReport, kind string) bool {
	for _, p := range r.Problems {
		if p.Kind == kind {
			return true
		}
	}
	return false
}
