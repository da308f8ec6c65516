package api

import (
	"net/http"
	"net/http/pprof"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// profiling holds the servers whose /debug/pprof/ is on (EnableProfiling).
var profiling sync.Map // *Server → struct{}

// EnableProfiling turns on GET /debug/pprof/* (Go's net/http/pprof), for
// admins only; it is off unless called (docent serve --pprof).
func (s *Server) EnableProfiling() { profiling.Store(s, struct{}{}) }

// pprof serves the profiles once profiling is on; before, the route
// answers 404 like an unknown path.
func (s *Server) pprof(w http.ResponseWriter, r *http.Request) {
	if _, on := profiling.Load(s); !on {
		writeProblem(w, r, http.StatusNotFound, "no such endpoint (profiling is off; start the server with --pprof)", nil)
		return
	}
	switch name := strings.TrimPrefix(chi.URLParam(r, "*"), "/"); name {
	case "cmdline":
		pprof.Cmdline(w, r)
	case "profile":
		pprof.Profile(w, r)
	case "symbol":
		pprof.Symbol(w, r)
	case "trace":
		pprof.Trace(w, r)
	default: // the index, and named profiles (heap, goroutine, allocs, …)
		pprof.Index(w, r)
	}
}

// Register adds collectors to the server's Prometheus registry, served at
// /metrics.
func (s *Server) Register(cs ...prometheus.Collector) { s.metrics.Register(cs...) }

// Latencies are Prometheus histograms of the ingest pipeline's stages and
// of searches by mode. Create them with NewLatencies, hand ObserveIngest
// to ingest.Options.Observe and ObserveSearch to the library, and
// Register them on the server.
type Latencies struct {
	ingest, search *prometheus.HistogramVec
}

// NewLatencies returns unregistered histograms.
func NewLatencies() *Latencies {
	return &Latencies{
		ingest: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "docent_ingest_stage_duration_seconds",
			Help:    "Time per document in each ingest stage (extract, chunk, index: embed, commit and add to the index).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"stage"}),
		search: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "docent_search_duration_seconds",
			Help:    "Search latency in the library (index and passages from the store) by mode.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"mode"}),
	}
}

// ObserveIngest records how long one document spent in an ingest stage.
func (l *Latencies) ObserveIngest(stage string, d time.Duration) {
	l.ingest.WithLabelValues(stage).Observe(d.Seconds())
}

// ObserveSearch records one search's latency; mode is hybrid, vector or
// keyword.
func (l *Latencies) ObserveSearch(mode string, d time.Duration) {
	l.search.WithLabelValues(mode).Observe(d.Seconds())
}

// Collectors returns the histograms, for Register.
func (l *Latencies) Collectors() []prometheus.Collector {
	return []prometheus.Collector{l.ingest, l.search}
}
