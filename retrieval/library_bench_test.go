package retrieval

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"docent/store"
)

// benchStore fills a store in dir with n synthetic chunks of about 1,000
// characters, 40 per shared-library document, through Library.Add (store
// only: analysed, embedded and committed as ingest does).
//
// With DOCENT_BENCH_DIR set, the store is kept there and reused by later
// runs (it takes a minute to fill).
func benchStore(b *testing.B, n int) *store.DB {
	b.Helper()
	ctx := context.Background()
	dir := b.TempDir()
	if keep := os.Getenv("DOCENT_BENCH_DIR"); keep != "" {
		dir = filepath.Join(keep, fmt.Sprintf("store-%d", n))
		if _, err := os.Stat(filepath.Join(dir, store.FileName)); err == nil {
			return openBenchStore(b, dir)
		}
	}
	db := openBenchStore(b, dir)
	lib := NewLibrary(db, NewBuiltin(0), LibraryOptions{StoreOnly: true})
	gen := newSynthCorpus(21, 50000)
	t0 := time.Now()
	const perDoc = 40
	for d := 0; d*perDoc < n; d++ {
		doc := store.Document{Owner: store.Shared, Filename: fmt.Sprintf("doc%d.txt", d), SHA256: fmt.Sprintf("%064x", d+1)}
		if _, _, err := db.CreateDocument(ctx, &doc); err != nil {
			b.Fatal(err)
		}
		chunks := make([]store.Chunk, min(perDoc, n-d*perDoc))
		for i := range chunks {
			chunks[i] = store.Chunk{Text: gen.text(1000), Start: i * 1000, End: i*1000 + 1000}
		}
		if err := lib.Add(ctx, &doc, chunks, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("stored %d chunks in %v", n, time.Since(t0).Round(time.Millisecond))
	return db
}

func openBenchStore(b *testing.B, dir string) *store.DB {
	db, err := store.Open(context.Background(), dir, store.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	return db
}

// BenchmarkLoad measures the start-up rebuild: Library.Load of a store
// holding 10k / 100k chunks (stored terms and vectors, nothing analysed or
// embedded again), and the live heap of the loaded index.
func BenchmarkLoad(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		if n > 10_000 && testing.Short() {
			continue
		}
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			db := benchStore(b, n)
			defer db.Close()
			var lib *Library
			var before runtime.MemStats
			for b.Loop() {
				lib = nil
				runtime.GC()
				runtime.ReadMemStats(&before)
				lib = NewLibrary(db, NewBuiltin(0), LibraryOptions{})
				got, err := lib.Load(context.Background())
				if err != nil || got != n {
					b.Fatalf("loaded %d of %d: %v", got, n, err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/load")
			var after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.HeapAlloc-min(after.HeapAlloc, before.HeapAlloc))/(1<<20), "index-MiB")
			runtime.KeepAlive(lib)
		})
	}
}
