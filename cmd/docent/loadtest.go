package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

type loadCmd struct {
	Server   string        `name:"server" env:"DOCENT_SERVER" help:"Load a running server at this URL (or several replicas of one store: URLs separated by commas, used in turn); without it an in-process server runs on a temporary data directory with a fake streaming LLM."`
	Token    string        `name:"token" env:"DOCENT_TOKEN" help:"An admin's access token for --server: it adds the simulated accounts (whatever the registration mode), reads /metrics and runs the store check at the end."`
	Users    int           `name:"users" default:"50" help:"Simulated users, each registering, logging in, uploading, chatting (streamed and not) and searching."`
	Duration time.Duration `name:"duration" default:"30s" help:"How long each user keeps working once signed up (requests in flight at the end are finished)."`
	Think    time.Duration `name:"think" default:"100ms" help:"Mean pause of a user between two requests."`
	Seed     uint64        `name:"seed" help:"Seed of the users' choices (default: from the clock)."`
	MaxHeap  int           `name:"max-heap" default:"1024" help:"Fail if the server's heap in use ever exceeds this many MiB."`
	JSON     bool          `name:"json" help:"Print the report as JSON."`
}

// loadReport is what docent loadtest prints.
type loadReport struct {
	Target    string        `json:"target"`
	InProcess bool          `json:"in_process"`
	Users     int           `json:"users"`
	Duration  string        `json:"duration"`
	Seed      uint64        `json:"seed"`
	Notes     []string      `json:"notes"`
	Routes    []routeReport `json:"routes"`
	Requests  int           `json:"requests"`
	Status5xx int           `json:"status_5xx"`
	// RateLimited counts 429 answers (retried after Retry-After).
	RateLimited int      `json:"rate_limited"`
	Errors      int      `json:"errors"`
	Samples     []string `json:"error_samples,omitempty"`

	Messages      int `json:"messages_acknowledged"`
	LostMessages  int `json:"messages_lost"`
	Documents     int `json:"documents_acknowledged"`
	LostDocuments int `json:"documents_lost"`
	// CheckOK is the store check at the end (nil when it could not run).
	CheckOK     *bool    `json:"check_ok,omitempty"`
	CheckIssues []string `json:"check_issues,omitempty"`

	Memory     loadMemory     `json:"memory"`
	Goroutines loadGoroutines `json:"goroutines"`
	OK         bool           `json:"ok"`
	Failures   []string       `json:"failures,omitempty"`
}

// routeReport is the latency of one route.
type routeReport struct {
	Route  string  `json:"route"`
	Count  int     `json:"count"`
	Errors int     `json:"errors"`
	P50ms  float64 `json:"p50_ms"`
	P99ms  float64 `json:"p99_ms"`
	MaxMs  float64 `json:"max_ms"`
}

// loadMemory is the server's memory: measured in this process when it is
// in-process, read from /metrics otherwise.
type loadMemory struct {
	PeakHeapMiB  float64 `json:"peak_heap_mib"`
	PeakRSSMiB   float64 `json:"peak_rss_mib"`
	HeapAfterMiB float64 `json:"heap_after_mib"`
}

// loadGoroutines counts goroutines before the server started, at the
// peak, and after it shut down (in-process), or as /metrics reports them.
type loadGoroutines struct {
	Baseline int  `json:"baseline"`
	Peak     int  `json:"peak"`
	After    int  `json:"after"`
	Leaked   bool `json:"leaked"`
}

// Run loads a server (an in-process one, or --server) with simulated
// users, checks that nothing they were acknowledged was lost, prints the
// report and fails when the run did not pass.
func (c *loadCmd) Run(ctx context.Context, g *Globals) error {
	if c.Users < 1 {
		return errors.New("--users must be at least 1")
	}
	if c.Duration <= 0 {
		return errors.New("--duration must be positive")
	}
	seed := c.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	lt := &loadtest{users: c.Users, think: c.Think, seed: seed,
		rec: &recorder{lat: map[string][]time.Duration{}, errs: map[string]int{}}}
	rep := loadReport{Users: c.Users, Duration: c.Duration.String(), Seed: seed}
	var err error
	if c.Server == "" {
		err = lt.inProcess(ctx, g, c.Duration, &rep)
	} else {
		err = lt.remote(ctx, c.Server, c.Token, c.Duration, &rep)
	}
	if err != nil {
		return err
	}
	lt.rec.fill(&rep)
	if c.MaxHeap > 0 && rep.Memory.PeakHeapMiB > float64(c.MaxHeap) {
		rep.Failures = append(rep.Failures, fmt.Sprintf("peak heap %.0f MiB over --max-heap %d MiB", rep.Memory.PeakHeapMiB, c.MaxHeap))
	}
	rep.judge()
	if c.JSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		rep.print(g.stdout)
	}
	if !rep.OK {
		return fmt.Errorf("load test failed: %s", strings.Join(rep.Failures, "; "))
	}
	return nil
}

// judge decides whether the run passed.
func (r *loadReport) judge() {
	if r.Status5xx > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d responses with status 5xx", r.Status5xx))
	}
	if r.LostMessages > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d acknowledged messages lost", r.LostMessages))
	}
	if r.LostDocuments > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d acknowledged documents lost", r.LostDocuments))
	}
	if r.Errors > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d failed requests", r.Errors))
	}
	if r.CheckOK != nil && !*r.CheckOK {
		r.Failures = append(r.Failures, "the store check is not ok: "+strings.Join(r.CheckIssues, "; "))
	}
	if r.Goroutines.Leaked {
		r.Failures = append(r.Failures, fmt.Sprintf("goroutines leaked: %d before, %d after shutdown", r.Goroutines.Baseline, r.Goroutines.After))
	}
	r.OK = len(r.Failures) == 0
}

func (r *loadReport) print(w io.Writer) {
	where := "a running server at " + r.Target
	if r.InProcess {
		where = "an in-process server"
	}
	fmt.Fprintf(w, "docent loadtest: %d users for %s against %s (seed %d)\n", r.Users, r.Duration, where, r.Seed)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	fmt.Fprintf(w, "\n%-62s %7s %6s %9s %9s %9s\n", "route", "count", "errors", "p50", "p99", "max")
	for _, rt := range r.Routes {
		fmt.Fprintf(w, "%-62s %7d %6d %9s %9s %9s\n", rt.Route, rt.Count, rt.Errors, ms(rt.P50ms), ms(rt.P99ms), ms(rt.MaxMs))
	}
	fmt.Fprintf(w, "\nrequests %d, status 5xx %d, rate-limited %d, errors %d\n", r.Requests, r.Status5xx, r.RateLimited, r.Errors)
	for _, s := range r.Samples {
		fmt.Fprintf(w, "  error: %s\n", s)
	}
	fmt.Fprintf(w, "messages acknowledged %d, lost %d; documents acknowledged %d, lost %d\n",
		r.Messages, r.LostMessages, r.Documents, r.LostDocuments)
	switch {
	case r.CheckOK == nil:
		fmt.Fprintln(w, "store check: not run (pass an admin's --token)")
	case *r.CheckOK:
		fmt.Fprintln(w, "store check: ok")
	default:
		fmt.Fprintf(w, "store check: FAILED %v\n", r.CheckIssues)
	}
	m, after := r.Memory, "at the end"
	if r.InProcess {
		after = "after shutdown"
	}
	fmt.Fprintf(w, "memory: peak heap %.0f MiB, peak RSS %.0f MiB, heap %s %.0f MiB\n", m.PeakHeapMiB, m.PeakRSSMiB, after, m.HeapAfterMiB)
	gr := r.Goroutines
	fmt.Fprintf(w, "goroutines: %d before, peak %d, %d after\n", gr.Baseline, gr.Peak, gr.After)
	if r.OK {
		fmt.Fprintln(w, "ok")
	} else {
		fmt.Fprintf(w, "FAILED: %s\n", strings.Join(r.Failures, "; "))
	}
}

func ms(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.2fs", v/1000)
	}
	return fmt.Sprintf("%.1fms", v)
}
