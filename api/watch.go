package api

import (
	"net/http"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"docent/ingest"
	"docent/store"
)

// Watched folders (docent serve --watch): their progress for the documents
// page and for /metrics.

// listWatches answers the watched folders the caller's documents come
// from: admins see every watch; a user sees the watches into their own
// space, and those into the shared library or into a workspace they see
// with the folder's name only (the full path names the server's folders).
func (s *Server) listWatches(w http.ResponseWriter, r *http.Request) {
	v := viewer(r)
	out := []ingest.WatchStatus{}
	if s.watches != nil {
		for _, ws := range s.watches() {
			switch {
			case v.Admin, ws.Owner == v.UserID && ws.Owner != store.Shared:
			case ws.Owner == store.Shared || ws.Workspace != 0 && s.seesWorkspace(r, ws.Workspace):
				ws.Dir = filepath.Base(ws.Dir)
			default:
				continue
			}
			out = append(out, ws)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// seesWorkspace reports whether the caller may see workspace id.
func (s *Server) seesWorkspace(r *http.Request, id uint64) bool {
	_, err := s.db.Workspace(r.Context(), viewer(r), id)
	return err == nil
}

// watchCollector exports each watch's files, pending files, failures and
// last pass as gauges labelled by folder.
type watchCollector struct {
	list                             func() []ingest.WatchStatus
	files, pending, failed, lastSync *prometheus.Desc
}

func newWatchCollector(list func() []ingest.WatchStatus) *watchCollector {
	l := []string{"folder"}
	return &watchCollector{list: list,
		files:    prometheus.NewDesc("docent_watch_files", "Files in a watched folder that docent can index.", l, nil),
		pending:  prometheus.NewDesc("docent_watch_pending_files", "Files of a watched folder changed and not yet indexed.", l, nil),
		failed:   prometheus.NewDesc("docent_watch_failed_files", "Files of a watched folder whose last indexing failed.", l, nil),
		lastSync: prometheus.NewDesc("docent_watch_last_sync_timestamp_seconds", "When a watched folder was last reconciled.", l, nil),
	}
}

func (c *watchCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.files
	ch <- c.pending
	ch <- c.failed
	ch <- c.lastSync
}

func (c *watchCollector) Collect(ch chan<- prometheus.Metric) {
	for _, ws := range c.list() {
		ch <- prometheus.MustNewConstMetric(c.files, prometheus.GaugeValue, float64(ws.Files), ws.Dir)
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(ws.Pending), ws.Dir)
		ch <- prometheus.MustNewConstMetric(c.failed, prometheus.GaugeValue, float64(ws.Failed), ws.Dir)
		if !ws.LastSync.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.lastSync, prometheus.GaugeValue, float64(ws.LastSync.UnixNano())/1e9, ws.Dir)
		}
	}
}
