// Package pgtest gives tests their own PostgreSQL database: one throwaway
// cluster per test binary (started on first use, stopped by Main) and a
// fresh database per test. Without PostgreSQL installed the tests that
// need it skip with a message saying how to install it — unless
// DOCENT_REQUIRE_POSTGRES is set (CI sets it), where they fail instead.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"docent/internal/pgcluster"
)

// RequireEnv is the environment variable that turns a skip for lack of
// PostgreSQL into a failure.
const RequireEnv = "DOCENT_REQUIRE_POSTGRES"

// shared is the test binary's cluster, started by the first test that
// needs one.
var shared struct {
	once    sync.Once
	cluster *pgcluster.Cluster
	err     error
	n       atomic.Int64
}

// Main runs the tests and then stops the cluster they used. Call it from
// TestMain: os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if shared.cluster != nil {
		shared.cluster.Stop()
	}
	return code
}

// Cluster returns the test binary's cluster, skipping (or, under
// DOCENT_REQUIRE_POSTGRES, failing) the test when PostgreSQL cannot run.
func Cluster(t testing.TB) *pgcluster.Cluster {
	t.Helper()
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		shared.cluster, shared.err = pgcluster.Start(ctx)
	})
	if shared.err != nil {
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("PostgreSQL is required here (%s is set) but cannot run: %v", RequireEnv, shared.err)
		}
		t.Skipf("skipped: PostgreSQL cannot run on this machine (%v); set %s=1 to make this a failure", shared.err, RequireEnv)
	}
	return shared.cluster
}

// URL creates a fresh database for t and returns its connection URL.
func URL(t testing.TB) string {
	t.Helper()
	c := Cluster(t)
	name := fmt.Sprintf("t%d_%s", shared.n.Add(1), sanitize(t.Name()))
	url, err := c.CreateDatabase(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return url
}

// sanitize makes a test name usable in a database name.
func sanitize(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		if b.Len() >= 40 {
			break
		}
	}
	return b.String()
}
