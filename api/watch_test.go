package api

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"docent/ingest"
	"docent/store"
)

// Watched folders are listed to those whose documents they feed: all to
// admins, a user's own in full, the shared library's by folder name only,
// other users' not at all; /metrics exports their progress.
func TestWatchesAreScopedAndMeasured(t *testing.T) {
	var ann, bob account
	statuses := func() []ingest.WatchStatus {
		return []ingest.WatchStatus{
			{Dir: "/srv/library/handbook", Owner: store.Shared, Mode: "inotify", Files: 10, Passes: 1},
			{Dir: "/home/ann/notes", Owner: ann.ID, Mode: "polling", Files: 3, Pending: 2, Passes: 4},
			{Dir: "/home/bob/private", Owner: bob.ID, Mode: "inotify", Files: 1, Failed: 1},
		}
	}
	e := startEnv(t, Config{}, envDeps{tokenTTL: time.Minute, watches: statuses})
	admin := e.register("root")
	ann, bob = e.register("ann"), e.register("bob")
	folders := func(token string) []string {
		var ws []ingest.WatchStatus
		e.do("GET", "/api/v1/watches", token, nil).JSON(t, &ws)
		var out []string
		for _, w := range ws {
			out = append(out, w.Dir)
		}
		return out
	}
	if got := strings.Join(folders(admin.Token), ","); got != "/srv/library/handbook,/home/ann/notes,/home/bob/private" {
		t.Errorf("admin sees %s", got)
	}
	if got := strings.Join(folders(ann.Token), ","); got != "handbook,/home/ann/notes" {
		t.Errorf("ann sees %s", got)
	}
	req, _ := http.NewRequest("GET", e.http.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+admin.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`docent_watch_files{folder="/srv/library/handbook"} 10`, `docent_watch_pending_files{folder="/home/ann/notes"} 2`,
		`docent_watch_failed_files{folder="/home/bob/private"} 1`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
