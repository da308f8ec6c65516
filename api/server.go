package api

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/cors"
	"github.com/go-chi/httprate"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"docent/ingest"
	"docent/internal/auth"
	"docent/store"
)

// Config holds the HTTP server's settings. The zero value is usable.
type Config struct {
	// CORSOrigins lists origins allowed to call the API from a browser;
	// empty means same-origin only.
	CORSOrigins []string
	// TrustedProxies lists CIDRs of reverse proxies whose X-Forwarded-For is
	// believed; empty means the client IP is the socket's peer.
	TrustedProxies []string
	// LoginRate bounds token requests per client IP per minute (default
	// 60). Wrong passwords are slowed per account and client address
	// besides (see guesses), never per account alone.
	LoginRate int
	// RegisterRate bounds registrations per client IP per minute (default 20).
	RegisterRate int
	// Registration says who may register (default RegistrationApproval).
	Registration Registration
	// ChatConcurrency bounds the answers one account has written at once,
	// over HTTP and WebSockets together (default 4); it is also the bound
	// of chat frames in flight on one WebSocket.
	ChatConcurrency int
	// ChatRate bounds one account's questions per minute (default 60,
	// with bursts of a third of it).
	ChatRate int
	// Quota is the default quota of every user's own documents (zero
	// fields: no limit); an admin overrides it per user. Admins and the
	// shared library have none.
	Quota store.Quota
	// MaxUpload is the largest file accepted per upload (default 50 MiB).
	MaxUpload int64
	// BodyMinRate and BodyWindow bound how slowly a request body may
	// arrive: at least BodyMinRate bytes per second within every
	// BodyWindow (default 1 KiB/s over 30 s windows), else 408.
	BodyMinRate int64
	BodyWindow  time.Duration
	// MetricsToken, when set, is a bearer token that reads /metrics
	// (a Prometheus scraper's); admins may read it with their own
	// credentials either way, anyone else gets 401 or 403.
	MetricsToken string
	// Version is reported by the root endpoint.
	Version string
}

// Deps are the services the handlers call.
type Deps struct {
	DB     store.Store
	Tokens *auth.Tokens
	Hasher *auth.Hasher
	Log    *slog.Logger
	// Ingest, Library and Chat serve documents, search and answers.
	Ingest  Ingest
	Library Library
	Chat    Chat
	// Fetcher downloads documents uploaded by URL (default: an
	// ingest.Fetcher with the upload limit that refuses private addresses).
	Fetcher Fetcher
	// Watches, if set, reports the watched folders (docent serve --watch).
	Watches func() []ingest.WatchStatus
	// Shared is set when several docent processes serve one store
	// (PostgreSQL): what must hold across all of them goes through it.
	Shared Shared
}

// Shared is what several docent processes serving one store coordinate
// through it (store/postgres implements it): the order of a
// conversation's exchanges, the counters of the rate limits and the
// state of password guessing.
type Shared interface {
	GuessBook
	// LockConversation waits until no process is answering in
	// conversation id, and holds it until unlock is called.
	LockConversation(ctx context.Context, id uint64) (unlock func(), err error)
	// RateCounter returns a counter of requests kept in the store, for
	// the rate limit called name.
	RateCounter(name string) httprate.LimitCounter
}

// Server serves docent's HTTP API.
type Server struct {
	cfg     Config
	db      store.Store
	tokens  *auth.Tokens
	hasher  *auth.Hasher
	log     *slog.Logger
	metrics *metrics
	ready   atomic.Bool
	healthy atomic.Pointer[func() bool]
	ingest  Ingest
	fetcher Fetcher
	watches func() []ingest.WatchStatus
	library Library
	chat    Chat

	// started is when the server was made (the "created" of /v1/models).
	started time.Time
	// mcpSchemas caches the MCP tools' schemas across the per-request
	// MCP servers, and mcp serves /mcp.
	mcpSchemas *mcp.SchemaCache
	mcp        http.Handler

	// background tracks work that outlives its request (LLM titles).
	background sync.WaitGroup
	// conversations orders the exchanges within each conversation.
	conversations convLocks

	loginByIP, registerByIP *httprate.RateLimiter
	// guesses slows password guessing per account and client address.
	guesses *guesses
	// chatLimits bounds each account's questions; sockets are the open
	// WebSockets, closed when their credentials stop holding.
	chatLimits *chatLimits
	sockets    sockets
}

// New returns a Server; it reports not ready until SetReady is called.
func New(cfg Config, d Deps) *Server {
	if cfg.LoginRate <= 0 {
		cfg.LoginRate = 60
	}
	if cfg.RegisterRate <= 0 {
		cfg.RegisterRate = 20
	}
	if cfg.Registration == "" {
		cfg.Registration = RegistrationApproval
	}
	if cfg.ChatConcurrency <= 0 {
		cfg.ChatConcurrency = defaultChatConcurrency
	}
	if cfg.ChatRate <= 0 {
		cfg.ChatRate = defaultChatRate
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = 50 << 20
	}
	if cfg.BodyMinRate <= 0 {
		cfg.BodyMinRate = defaultBodyMinRate
	}
	if cfg.BodyWindow <= 0 {
		cfg.BodyWindow = defaultBodyWindow
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Fetcher == nil {
		d.Fetcher = &ingest.Fetcher{MaxBytes: cfg.MaxUpload}
	}
	s := &Server{
		cfg: cfg, db: d.DB, tokens: d.Tokens, hasher: d.Hasher, log: d.Log,
		ingest: d.Ingest, fetcher: d.Fetcher, watches: d.Watches, library: d.Library, chat: d.Chat,
		metrics: newMetrics(), guesses: newGuesses(), chatLimits: newChatLimits(cfg.ChatConcurrency, cfg.ChatRate),
		started: time.Now(), mcpSchemas: mcp.NewSchemaCache(),
	}
	s.mcp = s.mcpHandler()
	limited := httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, http.StatusTooManyRequests, "too many attempts; retry after the time in Retry-After", nil)
	})
	counter := func(string) httprate.Option { return httprate.WithNoop() }
	s.guesses.log = d.Log
	if d.Shared != nil {
		s.conversations.shared = d.Shared
		s.guesses.shared = d.Shared
		counter = func(name string) httprate.Option { return httprate.WithLimitCounter(d.Shared.RateCounter(name)) }
	}
	unavailable := httprate.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
		s.log.ErrorContext(r.Context(), "rate limit counter failed", "err", err)
		writeProblem(w, r, http.StatusServiceUnavailable, "the service is unavailable; retry shortly", nil)
	})
	s.loginByIP = httprate.NewRateLimiter(cfg.LoginRate, time.Minute, limited, unavailable, counter("login-ip"))
	s.registerByIP = httprate.NewRateLimiter(cfg.RegisterRate, time.Minute, limited, unavailable, counter("register-ip"))
	if d.Watches != nil {
		s.metrics.Register(newWatchCollector(d.Watches))
	}
	return s
}

// Wait blocks until background work started by requests has finished.
func (s *Server) Wait() { s.background.Wait() }

// SetReady marks the index as loaded: /ready answers 200 from now on
// (while healthy, if SetHealth gave a check).
func (s *Server) SetReady() { s.ready.Store(true) }

// SetHealth gives /ready a check that must pass too: a replica whose
// shared store is unreachable answers 503 until it has caught up again.
func (s *Server) SetHealth(ok func() bool) { s.healthy.Store(&ok) }

// Handler returns the root handler with all middleware and routes.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	if len(s.cfg.TrustedProxies) > 0 {
		r.Use(middleware.ClientIPFromXFF(s.cfg.TrustedProxies...))
	} else {
		r.Use(middleware.ClientIPFromRemoteAddr)
	}
	r.Use(bodyPace(s.cfg.BodyMinRate, s.cfg.BodyWindow), cleanRequestID, middleware.RequestID,
		s.accessLog, s.recoverer, securityHeaders, s.metrics.middleware)
	if len(s.cfg.CORSOrigins) > 0 {
		r.Use(cors.Handler(cors.Options{
			AllowedOrigins: s.cfg.CORSOrigins,
			AllowedMethods: []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"},
			AllowedHeaders: []string{"Authorization", "Content-Type", "Accept"},
			ExposedHeaders: []string{"X-Request-Id", "Retry-After"},
			MaxAge:         600,
		}))
	}
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, http.StatusNotFound, "no such endpoint", nil)
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, http.StatusMethodNotAllowed, "method not allowed on this endpoint", nil)
	})
	for _, rt := range s.routes() {
		h := http.Handler(rt.handler)
		for i := len(rt.middleware) - 1; i >= 0; i-- {
			h = rt.middleware[i](h)
		}
		if rt.scope == store.ScopeWrite {
			h = writeScope(h)
		}
		switch rt.access {
		case accessAdmin:
			guarded := s.authenticate(adminOnly(h))
			if rt.scrape {
				guarded = s.scrapeToken(h, guarded)
			}
			h = guarded
		case accessUser:
			h = s.authenticate(h)
		}
		r.Method(rt.method, rt.pattern, h)
	}
	return r
}

// access says who may call a route.
type access int

const (
	accessPublic access = iota
	accessUser
	accessAdmin
)

// String names the access level as the OpenAPI document's x-docent-access does.
func (a access) String() string {
	return [...]string{"public", "user", "admin"}[a]
}

// route is one endpoint: its handler and what the OpenAPI document says about it.
type route struct {
	method, pattern string
	summary         string
	access          access
	// scope is the API key scope the route needs: ScopeWrite for routes
	// that change or delete (a read key gets 403), "" otherwise.
	scope store.KeyScope
	// scrape lets the metrics scrape token through an admin route.
	scrape     bool
	handler    http.HandlerFunc
	middleware []func(http.Handler) http.Handler
	request    string         // schema of the JSON body, "" if none
	responses  map[int]string // status → schema ("" for no body)
}
