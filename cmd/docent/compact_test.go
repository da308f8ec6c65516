package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"docent/store"
)

// TestCompactSurvivesKill9: "docent compact" killed with SIGKILL at random
// moments leaves a store that opens with exactly what it held; run to the
// end, it shrinks the file the deleted documents had filled.
func TestCompactSurvivesKill9(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	db, err := store.Open(ctx, data, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for i := range 30 {
		d := store.Document{Owner: store.Shared, Filename: fmt.Sprintf("d%d.txt", i), SHA256: fmt.Sprintf("%064d", i)}
		if _, _, err := db.CreateDocument(ctx, &d); err != nil {
			t.Fatal(err)
		}
		var chunks []store.Chunk
		vecs := map[[16]byte][]float32{}
		for j := range 100 {
			text := fmt.Sprintf("document %d passage %d %s", i, j, strings.Repeat("words ", 170))
			h := store.TextHash(text)
			chunks = append(chunks, store.Chunk{Text: text, End: len(text), TextHash: h})
			vecs[h] = []float32{float32(i), float32(j), 1, 2}
		}
		if err := db.Commit(ctx, &d, chunks, vecs); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	for i, id := range ids {
		if i%10 != 0 {
			if err := db.DeleteDocumentByID(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
	}
	want, err := store.DigestOf(ctx, db)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(data, store.FileName)
	full, _ := os.Stat(file)

	digest := func() store.Digest {
		t.Helper()
		db, err := store.Open(ctx, data, store.Options{})
		if err != nil {
			t.Fatalf("the store does not open: %v", err)
		}
		defer db.Close()
		d, err := store.DigestOf(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	interrupted := 0
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0))
	bloated, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// A whole run first, to spread the kills over its length.
	began := time.Now()
	if _, errOut, code := docent(t, "", "compact", "--data", data); code != 0 {
		t.Fatalf("docent compact: exit %d: %s", code, errOut)
	}
	whole := time.Since(began)
	for k := range 8 {
		// Each run starts from the uncompacted file, so every kill lands
		// somewhere in a whole compaction (or just after it).
		if err := os.WriteFile(file, bloated, 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(binary, "compact", "--data", data)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(whole) * 5 / 4)))
		cmd.Process.Kill()
		cmd.Wait()
		if fi, _ := os.Stat(file); fi.Size() == full.Size() {
			interrupted++
		}
		if got := digest(); got.SHA256 != want.SHA256 {
			t.Fatalf("kill %d: the store holds %v, not %v", k, got, want)
		}
	}
	if err := os.WriteFile(file, bloated, 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := docent(t, "", "compact", "--data", data)
	if code != 0 {
		t.Fatalf("docent compact: exit %d\n%s%s", code, out, errOut)
	}
	small, _ := os.Stat(file)
	t.Logf("a run takes %v; %d of 8 kills came before the swap; %s", whole.Round(time.Millisecond), interrupted, errOut)
	if small.Size()*4 > full.Size() {
		t.Fatalf("compacted to %d of %d bytes; a tenth of the documents is left", small.Size(), full.Size())
	}
	if got := digest(); got.SHA256 != want.SHA256 || got.Counts["chunk"] != 300 {
		t.Fatalf("after compaction the store holds %v, not %v", got, want)
	}
}

// TestCompactRefusesWhileServing: with a server running, docent compact
// says to stop it and leaves the store alone.
func TestCompactRefusesWhileServing(t *testing.T) {
	data := t.TempDir()
	startServer(t, data)
	_, errOut, code := docent(t, "", "compact", "--data", data)
	if code == 0 || !strings.Contains(errOut, "stop the server first") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	_, errOut, code = docent(t, "", "compact", "--store", "postgres://localhost/docent")
	if code == 0 || !strings.Contains(errOut, "VACUUM FULL") {
		t.Fatalf("on PostgreSQL: exit %d: %s", code, errOut)
	}
}
