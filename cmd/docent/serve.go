package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"docent/api"
	"docent/ingest"
	"docent/internal/auth"
	"docent/retrieval"
	"docent/store"
	"docent/store/postgres"

	"github.com/go-chi/httprate"
)

type serveCmd struct {
	Addr            string        `name:"addr" env:"DOCENT_ADDR" default:"127.0.0.1:8080" help:"Listen address (host:port; port 0 picks a free one)."`
	CORSOrigins     []string      `name:"cors-origins" env:"DOCENT_CORS_ORIGINS" sep:"," help:"Origins allowed to call the API from a browser, comma-separated; none by default (same-origin only)."`
	TrustedProxies  []string      `name:"trusted-proxies" env:"DOCENT_TRUSTED_PROXIES" sep:"," help:"CIDRs of reverse proxies whose X-Forwarded-For is trusted for the client IP; none by default."`
	TokenTTL        time.Duration `name:"token-ttl" env:"DOCENT_TOKEN_TTL" default:"30m" help:"Lifetime of access tokens."`
	LoginRate       int           `name:"login-rate" env:"DOCENT_LOGIN_RATE" default:"60" help:"Login attempts allowed per client IP per minute. Wrong passwords also slow down the address that sends them, per account (5 free, then waits from 1 s doubling to 15 min)."`
	RegisterRate    int           `name:"register-rate" env:"DOCENT_REGISTER_RATE" default:"20" help:"Registrations allowed per client IP per minute."`
	Registration    string        `name:"registration" env:"DOCENT_REGISTRATION" default:"approval" enum:"open,approval,invite,closed" help:"Who may register: open (anyone, active at once), approval (new accounts wait for an admin to activate them), invite (only with an admin's invite code), closed (admins add accounts). The first account is always the admin."`
	ChatConcurrency int           `name:"chat-concurrency" env:"DOCENT_CHAT_CONCURRENCY" default:"4" help:"Answers one account may have written at once (HTTP and WebSockets together; also the chat frames in flight on one WebSocket); more get 429 or an error frame."`
	ChatRate        int           `name:"chat-rate" env:"DOCENT_CHAT_RATE" default:"60" help:"Questions one account may ask per minute (bursts of a third of it); more get 429 or an error frame."`
	QuotaDocuments  int64         `name:"quota-documents" env:"DOCENT_QUOTA_DOCUMENTS" default:"5000" help:"Documents each user may keep (0: no limit); an admin changes it per user. Admins and the shared library have no quota."`
	QuotaBytes      string        `name:"quota-bytes" env:"DOCENT_QUOTA_BYTES" default:"1GiB" help:"Bytes of uploaded files each user may keep (0: no limit)."`
	QuotaChunks     int64         `name:"quota-chunks" env:"DOCENT_QUOTA_CHUNKS" default:"100000" help:"Passages (chunks) each user's documents may hold (0: no limit); about 1 MB of store each 150."`
	ShutdownTimeout time.Duration `name:"shutdown-timeout" env:"DOCENT_SHUTDOWN_TIMEOUT" default:"15s" help:"How long in-flight requests may run after SIGINT/SIGTERM."`
	Pprof           bool          `name:"pprof" env:"DOCENT_PPROF" help:"Serve Go profiles at /debug/pprof/ (admins only)."`
	Watch           []string      `name:"watch" env:"DOCENT_WATCH" sep:"," help:"Keep a folder indexed: DIR into the shared library, DIR=USER into a user's space, DIR=WORKSPACE (or DIR=OWNER:WORKSPACE) into a workspace, as its owner's documents (repeatable)."`
	AllowPrivate    bool          `name:"allow-private-urls" env:"DOCENT_ALLOW_PRIVATE_URLS" help:"Let documents uploaded by URL come from loopback, private and link-local addresses (refused by default)."`
	MetricsAddr     string        `name:"metrics-addr" env:"DOCENT_METRICS_ADDR" help:"Also serve /metrics on this address (host:port), for a scraper on a private network; the main address serves it only to admins and to --metrics-token."`
	MetricsToken    string        `name:"metrics-token" env:"DOCENT_METRICS_TOKEN" help:"Bearer token a Prometheus scraper sends to read /metrics (required on --metrics-addr too when set)."`

	embedFlags
	llmFlags
	ingestFlags
}

func (c *serveCmd) Run(ctx context.Context, g *Globals) error {
	log := g.logger()
	db, err := openBackend(ctx, g)
	if err != nil {
		return err
	}
	defer db.Close()
	emb, err := c.embedder()
	if err != nil {
		return err
	}
	latencies := api.NewLatencies()
	lib := retrieval.NewLibrary(db, emb, retrieval.LibraryOptions{Persist: true, Log: log,
		ObserveSearch: func(m retrieval.Mode, d time.Duration) { latencies.ObserveSearch(string(m), d) }})
	if err := lib.CheckEmbedder(ctx); err != nil {
		return err
	}
	defer lib.Close()
	// The index rebuild is most of the start-up: it begins at once, while
	// the rest is set up and the server already answers /health.
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	indexed := make(chan indexLoad, 1)
	go func() {
		start := time.Now()
		n, err := lib.Load(work)
		indexed <- indexLoad{n, time.Since(start), err}
	}()
	tokens, hasher, err := loadAuth(ctx, db, g.Data, os.Getenv("DOCENT_SECRET_KEY"), c.TokenTTL)
	if err != nil {
		return err
	}
	opts, maxUpload, err := c.options()
	if err != nil {
		return err
	}
	opts.Log = log
	opts.Observe = latencies.ObserveIngest
	if err := ingest.CheckOCR(ctx, opts.Limits.OCR); err != nil {
		log.Warn("scanned pages and images cannot be read", "reason", err.Error())
	}
	pipe, err := ingest.NewPipeline(db, lib, filepath.Join(g.Data, "uploads"), opts)
	if err != nil {
		return err
	}
	watchSpecs, err := parseWatches(ctx, db, c.Watch)
	if err != nil {
		return err
	}
	for _, s := range watchSpecs {
		if err := adopt(ctx, db, s); err != nil {
			return err
		}
	}
	watches := &watchSet{}
	engine, err := c.engine()
	if err != nil {
		return err
	}
	registration, err := api.ParseRegistration(c.Registration)
	if err != nil {
		return err
	}
	quota, err := c.quota()
	if err != nil {
		return err
	}
	srv := api.New(api.Config{
		Registration:    registration,
		ChatConcurrency: c.ChatConcurrency,
		ChatRate:        c.ChatRate,
		Quota:           quota,
		CORSOrigins:     c.CORSOrigins,
		TrustedProxies:  c.TrustedProxies,
		LoginRate:       c.LoginRate,
		RegisterRate:    c.RegisterRate,
		MaxUpload:       maxUpload,
		MetricsToken:    c.MetricsToken,
		Version:         versionString(),
	}, api.Deps{DB: db, Tokens: tokens, Hasher: hasher, Log: log, Ingest: pipe, Library: lib, Chat: engine,
		Fetcher: &ingest.Fetcher{MaxBytes: maxUpload, AllowPrivate: c.AllowPrivate}, Watches: watches.status,
		Shared: sharedOf(db)})
	srv.Register(latencies.Collectors()...)
	if c.Pprof {
		srv.EnableProfiling()
	}

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	httpSrv := newHTTPServer(srv.Handler(), log)
	served := make(chan error, 2) // the API listener and the metrics one
	go func() { served <- httpSrv.Serve(ln) }()
	fmt.Fprintf(g.stdout, "docent %s listening on http://%s (data in %s)\n", versionString(), ln.Addr(), g.Data)
	if c.MetricsAddr != "" {
		mln, err := net.Listen("tcp", c.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen on --metrics-addr %s: %w", c.MetricsAddr, err)
		}
		metricsSrv := newHTTPServer(srv.MetricsHandler(), log)
		defer metricsSrv.Close()
		go func() { served <- metricsSrv.Serve(mln) }()
		fmt.Fprintf(g.stdout, "metrics on http://%s/metrics\n", mln.Addr())
	}

	loaded := make(chan error, 1)
	go func() {
		err := ready(work, log, <-indexed, lib, pipe, srv)
		if err == nil {
			watches.start(work, pipe, watchSpecs, opts.Workers)
		}
		loaded <- err
	}()

	select {
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	case err := <-loaded:
		if err != nil {
			return err
		}
		select {
		case err := <-served:
			return fmt.Errorf("http server: %w", err)
		case <-ctx.Done():
		}
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", c.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	err = httpSrv.Shutdown(shutdownCtx)
	stopWork()
	watches.wait()
	pipe.Close()
	srv.Wait()
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// quota is the default per-user quota the flags describe.
func (c *serveCmd) quota() (store.Quota, error) {
	q := store.Quota{Documents: max(c.QuotaDocuments, 0), Chunks: max(c.QuotaChunks, 0)}
	if strings.TrimSpace(c.QuotaBytes) != "0" {
		n, err := parseSize(c.QuotaBytes)
		if err != nil {
			return q, fmt.Errorf("--quota-bytes: %w", err)
		}
		q.Bytes = n
	}
	return q, nil
}

// newHTTPServer serves h with the header and idle bounds every listener
// shares; request bodies are paced by the API's own middleware.
func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    64 << 10,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// indexLoad is the outcome of the start-up index rebuild.
type indexLoad struct {
	chunks int
	took   time.Duration
	err    error
}

// ready resumes interrupted documents once the index is loaded, marks the
// server ready and then hands the rebuild's garbage back to the operating
// system (about as much as the index itself: decoded batches, outgrown
// posting lists; at 100k passages 675 MB resident before, retrieval/PERF.md).
func ready(ctx context.Context, log *slog.Logger, l indexLoad, lib *retrieval.Library, pipe *ingest.Pipeline, srv *api.Server) error {
	if l.err != nil {
		return l.err
	}
	if lib.Following() { // a replica of a shared store: catch up, then keep up
		go lib.Follow(ctx, func(msg string, args ...any) { log.Warn(msg, args...) })
		if err := lib.Sync(ctx); err != nil {
			return err
		}
		srv.SetHealth(lib.Healthy)
	}
	if err := pipe.Start(ctx); err != nil {
		return err
	}
	srv.SetReady()
	log.Info("ready", "chunks", l.chunks, "load", l.took.Round(time.Millisecond))
	debug.FreeOSMemory()
	return nil
}

// sharedOf returns what replicas coordinate through when db is shared
// by several of them (PostgreSQL), else nil.
func sharedOf(db store.Store) api.Shared {
	if pg, ok := db.(*postgres.DB); ok {
		return pgShared{pg}
	}
	return nil
}

// pgShared adapts a PostgreSQL store to api.Shared.
type pgShared struct{ *postgres.DB }

func (s pgShared) RateCounter(name string) httprate.LimitCounter { return s.DB.RateCounter(name) }

// secretKeeper is a store that keeps the signing secret itself, shared by
// every replica (store/postgres).
type secretKeeper interface {
	Secret(ctx context.Context) ([]byte, error)
}

// loadAuth returns the token issuer (tokens live ttl) signing with fromEnv
// when it is set, else with the store's shared secret (PostgreSQL) or the
// data directory's, and the password hasher.
func loadAuth(ctx context.Context, db any, data, fromEnv string, ttl time.Duration) (*auth.Tokens, *auth.Hasher, error) {
	var secret []byte
	var err error
	if sk, ok := db.(secretKeeper); ok && fromEnv == "" {
		secret, err = sk.Secret(ctx)
	} else {
		secret, err = auth.LoadSecret(data, fromEnv)
	}
	if err != nil {
		return nil, nil, err
	}
	tokens, err := auth.NewTokens(secret, ttl)
	if err != nil {
		return nil, nil, err
	}
	hasher, err := auth.NewHasher(0)
	if err != nil {
		return nil, nil, err
	}
	return tokens, hasher, nil
}
