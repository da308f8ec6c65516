package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"docent/internal/pgtest"
	"docent/retrieval"
	"docent/store"
	"docent/store/postgres"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// replica is one process's pipeline and index over a shared database.
type replica struct {
	p   *Pipeline
	lib *retrieval.Library
	db  *postgres.DB
}

// newReplica opens url and starts a pipeline whose jobs are leased for lease.
func newReplica(t *testing.T, url string, lease time.Duration) replica {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	db, err := postgres.Open(ctx, url, postgres.Options{MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	lib := retrieval.NewLibrary(db, retrieval.NewBuiltin(0), retrieval.LibraryOptions{})
	if _, err := lib.Load(ctx); err != nil {
		t.Fatal(err)
	}
	followed := make(chan struct{})
	go func() { defer close(followed); lib.Follow(ctx, nil) }()
	p, err := NewPipeline(db, lib, t.TempDir(), Options{Workers: 2, JobLease: lease})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); p.Close(); <-followed; db.Close() })
	return replica{p, lib, db}
}

func markdown(i int) ([]byte, store.Document) {
	data := []byte(fmt.Sprintf("# Report %d\n\nThe quarterly figure of report %d is %d widgets, counted in the plant of unit %d.\n", i, i, 1000+i, i))
	sum := sha256.Sum256(data)
	return data, store.Document{Owner: 7, Filename: fmt.Sprintf("r%d.md", i), Format: string(Markdown), ContentType: ContentType(Markdown),
		Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
}

// TestJobTakenOverWhenItsProcessDies: a job claimed by a process that then
// stops renewing its lease (killed) is taken over by another process once
// the lease runs out, and indexed exactly once.
func TestJobTakenOverWhenItsProcessDies(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	db, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	data, d := markdown(1)
	if _, _, err := db.SubmitUpload(ctx, &d, data); err != nil {
		t.Fatal(err)
	}
	if id, ok, err := db.ClaimJob(ctx, "killed-process", time.Second); err != nil || !ok || id != d.ID {
		t.Fatalf("claim as the process about to die: %d %v %v", id, ok, err)
	}
	db.SetStatus(ctx, d.ID, store.StatusProcessing, "") // it had begun

	start := time.Now()
	r := newReplica(t, url, time.Second)
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	got, err := r.p.Wait(wctx, d.ID)
	if err != nil || got.Status != store.StatusReady {
		t.Fatalf("after the takeover: %+v %v", got, err)
	}
	t.Logf("taken over and indexed %v after the lease's start", time.Since(start).Round(time.Millisecond))
	for n, _ := db.PendingJobs(ctx); n != 0; n, _ = db.PendingJobs(ctx) { // the job is finished just after the commit
		if wctx.Err() != nil {
			t.Fatalf("%d jobs left", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if chunks, _ := db.Chunks(ctx, d.ID); len(chunks) != got.Chunks || got.Chunks == 0 {
		t.Errorf("%d chunks stored, the document says %d", len(chunks), got.Chunks)
	}
	res, err := r.lib.Search(ctx, store.Viewer{UserID: 7}, retrieval.SearchRequest{Text: "quarterly figure widgets", TopK: 3})
	if err != nil || len(res) == 0 || res[0].DocumentID != d.ID {
		t.Errorf("the new process's index does not find it: %+v %v", res, err)
	}
}

// TestJobsSpreadOverProcesses: uploads submitted through one process are
// indexed by whichever claims them, each once, and every process's
// Wait and index see every document.
func TestJobsSpreadOverProcesses(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	a, b := newReplica(t, url, 5*time.Second), newReplica(t, url, 5*time.Second)
	var ids []uint64
	for i := range 12 {
		data, d := markdown(i)
		f, err := a.p.TempFile()
		if err != nil {
			t.Fatal(err)
		}
		f.Write(data)
		f.Close()
		got, dup, err := a.p.Submit(ctx, Upload{Owner: d.Owner, Filename: d.Filename, Format: Markdown, Size: d.Size, SHA256: d.SHA256, TempPath: f.Name()})
		if err != nil || dup {
			t.Fatalf("submit %d: %v dup=%v", i, err, dup)
		}
		ids = append(ids, got.ID)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, id := range ids {
		d, err := b.p.Wait(wctx, id)
		if err != nil || d.Status != store.StatusReady {
			t.Fatalf("document %d: %+v %v", id, d, err)
		}
	}
	for _, r := range []replica{a, b} {
		if err := r.lib.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if n := r.lib.Index().Len(); n != 12 {
			t.Errorf("a process's index holds %d chunks, want 12 (one per report)", n)
		}
	}
	rep, _ := a.db.Check(ctx)
	if !rep.OK() || rep.Chunks != 12 || rep.Documents != 12 {
		t.Errorf("store after the jobs: %+v", rep)
	}
}
