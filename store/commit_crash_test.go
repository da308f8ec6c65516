package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"docent/internal/crashtest"

	bolt "go.etcd.io/bbolt"
)

// Crash safety of commits written in steps: a child process commits large
// documents (some sharing passages with others) and deletes some, and is
// killed with SIGKILL at a random moment, most often between two steps of
// a commit. After every kill, opening the store must leave each document
// either ready with all its chunks or not ready with none, and Check must
// find nothing wrong (no orphan chunk, every vector's reference count
// right).
//
//	DOCENT_COMMIT_KILLS=100 go test ./store -run StagedCommitSurvivesKill

const commitCrashEnv = "DOCENT_COMMIT_CRASH_CHILD"

func TestStagedCommitSurvivesKill(t *testing.T) {
	if os.Getenv(commitCrashEnv) != "" {
		t.Skip("in the child")
	}
	kills := crashtest.Rounds("DOCENT_COMMIT_KILLS", 8, 4)
	rng := crashtest.Rand(t)
	dir := t.TempDir()
	midCommit := 0
	for k := range kills {
		crashtest.Kill(t, "TestStagedCommitCrashChild", []string{commitCrashEnv + "=" + dir, fmt.Sprintf("DOCENT_COMMIT_SEED=%d", k)},
			time.Duration(50+rng.IntN(600))*time.Millisecond)
		if stagedNotes(t, dir) > 0 {
			midCommit++
		}
		db, err := Open(context.Background(), dir, Options{NoSync: true})
		if err != nil {
			t.Fatalf("kill %d: open: %v", k, err)
		}
		verifyCommitted(t, db, k)
		db.Close()
	}
	t.Logf("%d of %d kills interrupted a commit between its steps", midCommit, kills)
	if midCommit == 0 {
		t.Error("no kill landed between the steps of a commit")
	}
}

// stagedNotes counts the documents noted as staged in the store in dir.
func stagedNotes(t *testing.T, dir string) int {
	t.Helper()
	b, err := bolt.Open(filepath.Join(dir, FileName), 0o400, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	n := 0
	b.View(func(tx *bolt.Tx) error {
		if bk := tx.Bucket(bucketStaged); bk != nil {
			n = bk.Stats().KeyN
		}
		return nil
	})
	return n
}

// verifyCommitted checks that every document is whole or absent from the
// chunks, and that Check finds nothing to fix.
func verifyCommitted(t *testing.T, db *DB, k int) {
	t.Helper()
	ctx := context.Background()
	docs, err := db.OwnedDocuments(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		got, err := db.Chunks(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		if d.Status == StatusReady {
			want = d.Chunks
		}
		if len(got) != want {
			t.Errorf("kill %d: document %d is %s with %d chunks stored, want %d", k, d.ID, d.Status, len(got), want)
		}
	}
	r, err := db.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) > 0 {
		t.Errorf("kill %d: check: %+v", k, r.Problems)
	}
}

// TestStagedCommitCrashChild is the child of TestStagedCommitSurvivesKill.
func TestStagedCommitCrashChild(t *testing.T) {
	dir := os.Getenv(commitCrashEnv)
	if dir == "" {
		t.Skip("run by TestStagedCommitSurvivesKill")
	}
	ctx := context.Background()
	db, err := Open(ctx, dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := strconv.Atoi(os.Getenv("DOCENT_COMMIT_SEED"))
	rng := rand.New(rand.NewPCG(uint64(seed), 2))
	type set struct {
		chunks []Chunk
		vecs   map[[16]byte][]float32
	}
	var sets []set // built before the kill can come, so that it lands in commits
	for i := range 4 {
		prefix := fmt.Sprintf("set-%d-%d", seed, i)
		if i == 0 {
			prefix = "shared" // passages documents of every run have
		}
		c, v := bigChunks(prefix, 1500+rng.IntN(3000))
		sets = append(sets, set{c, v})
	}
	fmt.Println(crashtest.Ready)
	for round := 0; ; round++ {
		d := newDoc(t, db, fmt.Sprintf("doc-%d-%d", seed, round))
		s := sets[rng.IntN(len(sets))]
		if err := db.Commit(ctx, d, s.chunks, s.vecs); err != nil {
			t.Fatal(err)
		}
		if docs, err := db.OwnedDocuments(ctx, 1); err == nil && len(docs) > 6 {
			if err := db.DeleteDocumentByID(ctx, docs[rng.IntN(len(docs))].ID); err != nil {
				t.Fatal(err)
			}
		}
	}
}
