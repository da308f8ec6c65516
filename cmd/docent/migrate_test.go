package main

import (
	"path/filepath"
	"strings"
	"testing"

	"docent/internal/pgtest"
)

// TestMigrateRoundTrip: a laptop library moved to PostgreSQL and back
// answers every search exactly as before, in every mode, and the copies
// are verified by counts and checksums.
func TestMigrateRoundTrip(t *testing.T) {
	url := pgtest.URL(t)
	laptop, back := t.TempDir(), filepath.Join(t.TempDir(), "back")
	corpus, _ := filepath.Abs("../../testdata/corpus")
	if out, errs, code := docent(t, "", "ingest", corpus, "--data", laptop); code != 0 {
		t.Fatalf("ingest: %s %s", out, errs)
	}
	queries := []string{"how long to boil water", "tent weight", "first aid for a sprained ankle", "露营 安全"}
	search := func(store ...string) []string {
		var out []string
		for _, q := range queries {
			for _, mode := range []string{"hybrid", "keyword", "vector"} {
				stdout, stderr, code := docent(t, "", append([]string{"search", q, "--json", "--mode", mode}, store...)...)
				if code != 0 {
					t.Fatalf("search %q on %v: %s", q, store, stderr)
				}
				out = append(out, stdout)
			}
		}
		return out
	}
	before := search("--data", laptop)
	for _, step := range [][2]string{{laptop, url}, {url, back}} {
		out, errs, code := docent(t, "", "migrate", "--from", step[0], "--to", step[1])
		if code != 0 || !strings.Contains(out, "identical on both sides") {
			t.Fatalf("migrate %s → %s: %s %s", step[0], step[1], out, errs)
		}
		t.Log(strings.TrimSpace(out))
	}
	for name, got := range map[string][]string{"PostgreSQL": search("--store", url), "the copy back": search("--data", back)} {
		for i := range before {
			if got[i] != before[i] {
				t.Errorf("%s answers search %d differently:\n got %s\nwant %s", name, i, got[i], before[i])
			}
		}
	}
	if _, errs, code := docent(t, "", "migrate", "--from", laptop, "--to", url); code == 0 || !strings.Contains(errs, "not empty") {
		t.Errorf("migrating into a database with data: exit %d, %s", code, errs)
	}
	if out, errs, code := docent(t, "", "check", "--store", url); code != 0 {
		t.Errorf("check on PostgreSQL after the migration: %s %s", out, errs)
	}
}
