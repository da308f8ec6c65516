package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestLoadtestShort runs "docent loadtest" in this process, as CI can
// afford it (10 users for 5 s, 3 s with -short), against its in-process
// server: no 5xx, no failed request, nothing acknowledged lost, the store
// check ok and the goroutines back to their number before the server.
func TestLoadtestShort(t *testing.T) {
	duration := "5s"
	if testing.Short() {
		duration = "3s"
	}
	var out, errb bytes.Buffer
	code := run(t.Context(), []string{"loadtest", "--users", "10", "--duration", duration, "--think", "50ms", "--seed", "7", "--json"},
		strings.NewReader(""), &out, &errb)
	var rep loadReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("exit %d, report %q: %v\n%s", code, out.String(), err, errb.String())
	}
	if code != 0 || !rep.OK {
		t.Errorf("exit %d: %v\n%s", code, rep.Failures, errb.String())
	}
	if rep.Status5xx != 0 || rep.Errors != 0 || rep.LostMessages != 0 || rep.LostDocuments != 0 {
		t.Errorf("5xx %d, errors %d %v, lost messages %d, lost documents %d", rep.Status5xx, rep.Errors, rep.Samples, rep.LostMessages, rep.LostDocuments)
	}
	if rep.CheckOK == nil || !*rep.CheckOK {
		t.Errorf("store check after the load: %v %v", rep.CheckOK, rep.CheckIssues)
	}
	if rep.Goroutines.Leaked || rep.Goroutines.After > rep.Goroutines.Baseline {
		t.Errorf("goroutines: %+v\n%v", rep.Goroutines, rep.Samples)
	}
	if rep.Memory.PeakHeapMiB <= 0 || rep.Memory.PeakHeapMiB > 256 {
		t.Errorf("peak heap %.0f MiB", rep.Memory.PeakHeapMiB)
	}
	if rep.Messages == 0 || rep.Documents == 0 {
		t.Errorf("the users did nothing: %+v", rep)
	}
	routes := map[string]routeReport{}
	for _, r := range rep.Routes {
		routes[r.Route] = r
	}
	for _, want := range []string{"POST /api/v1/auth/register", "POST /api/v1/auth/token", "POST /api/v1/documents?wait=true",
		"POST /api/v1/conversations/{id}/messages stream", "POST /api/v1/search"} {
		if r := routes[want]; r.Count == 0 || r.P50ms <= 0 || r.P99ms < r.P50ms {
			t.Errorf("route %q: %+v", want, r)
		}
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "rate limits raised") {
		t.Errorf("the report does not say the rate limits were raised: %v", rep.Notes)
	}
	t.Logf("%d requests, %d messages, peak heap %.0f MiB, goroutines %+v", rep.Requests, rep.Messages, rep.Memory.PeakHeapMiB, rep.Goroutines)
}
