package retrieval

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"docent/internal/crashtest"
	"docent/store"
)

// Crash safety of the persisted index: a child process adds, deletes,
// flushes and merges in a loop (or rebuilds the index from scratch) and
// is killed with SIGKILL at a random moment — while a segment file is
// written, a merge runs, a manifest is replaced. After every kill the
// index must load, equal an index rebuilt from the store, and leave no
// stray file behind.
//
//	go test ./retrieval -run PersistSurvivesKill -persist.kills=200

// crashChildEnv names the data directory of the child process.
const crashChildEnv = "DOCENT_PERSIST_CRASH_CHILD"

func TestPersistSurvivesKill(t *testing.T) {
	if os.Getenv(crashChildEnv) != "" {
		t.Skip("in the child")
	}
	kills := crashtest.Rounds("DOCENT_PERSIST_KILLS", 16, 6)
	rng := crashtest.Rand(t)
	db := persistedStore(t, 20)
	dir := db.Dir()
	db.Close()
	for k := range kills {
		mode := "work"
		if k%4 == 3 {
			mode = "rebuild"
			os.RemoveAll(filepath.Join(dir, IndexDir))
		}
		runAndKill(t, dir, mode, k, time.Duration(rng.IntN(1500))*time.Millisecond)
		db, err := store.Open(context.Background(), dir, store.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		lib := NewLibrary(db, NewBuiltin(0), LibraryOptions{Persist: true, Log: slog.New(slog.DiscardHandler)})
		if _, err := lib.Load(context.Background()); err != nil {
			t.Fatalf("kill %d (%s): load: %v", k, mode, err)
		}
		if lib.ps == nil {
			t.Fatalf("kill %d (%s): the index could not be persisted", k, mode)
		}
		verify(t, lib)
		lib.Close() // the persister may have flushed meanwhile: files are compared once it stopped
		m, err := readManifest(filepath.Join(dir, IndexDir))
		if err != nil {
			t.Fatalf("kill %d (%s): %v", k, mode, err)
		}
		entries, _ := os.ReadDir(filepath.Join(dir, IndexDir))
		if len(entries) != len(m.Segments)+1 {
			t.Errorf("kill %d (%s): %d files in the index folder for %d segments and the manifest", k, mode, len(entries), len(m.Segments))
		}
		db.Close()
	}
}

// runAndKill starts the child on dir and kills it after wait (once it
// has started working).
func runAndKill(t *testing.T, dir, mode string, k int, wait time.Duration) {
	t.Helper()
	crashtest.Kill(t, "TestPersistCrashChild", []string{crashChildEnv + "=" + dir, "DOCENT_PERSIST_MODE=" + mode, fmt.Sprintf("DOCENT_PERSIST_SEED=%d", k)}, wait)
}

// TestPersistCrashChild is the child of TestPersistSurvivesKill.
func TestPersistCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("run by TestPersistSurvivesKill")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, dir, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	lib := NewLibrary(db, NewBuiltin(0), LibraryOptions{Persist: true, Log: slog.New(slog.DiscardHandler)})
	fmt.Println(crashtest.Ready)
	if _, err := lib.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("DOCENT_PERSIST_MODE") == "rebuild" {
		return
	}
	seed, _ := strconv.Atoi(os.Getenv("DOCENT_PERSIST_SEED"))
	rng := rand.New(rand.NewPCG(uint64(seed), 2))
	for round := 0; ; round++ {
		ids := addDocs(t, lib, 1000*seed+10*round, 1+rng.IntN(6))
		if rng.IntN(2) == 0 {
			deleteDoc(t, lib, ids[0])
		}
		if docs, err := db.OwnedDocuments(ctx, uint64(rng.IntN(2))); err == nil && len(docs) > 10 {
			deleteDoc(t, lib, docs[rng.IntN(len(docs))].ID)
		}
		if err := lib.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
}
