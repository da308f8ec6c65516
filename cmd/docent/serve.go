package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"docent/api"
	"docent/internal/auth"
	"docent/store"
)

type serveCmd struct {
	Addr            string        `name:"addr" env:"DOCENT_ADDR" default:"127.0.0.1:8080" help:"Listen address (host:port; port 0 picks a free one)."`
	CORSOrigins     []string      `name:"cors-origins" env:"DOCENT_CORS_ORIGINS" sep:"," help:"Origins allowed to call the API from a browser, comma-separated; none by default (same-origin only)."`
	TrustedProxies  []string      `name:"trusted-proxies" env:"DOCENT_TRUSTED_PROXIES" sep:"," help:"CIDRs of reverse proxies whose X-Forwarded-For is trusted for the client IP; none by default."`
	TokenTTL        time.Duration `name:"token-ttl" env:"DOCENT_TOKEN_TTL" default:"30m" help:"Lifetime of access tokens."`
	LoginRate       int           `name:"login-rate" env:"DOCENT_LOGIN_RATE" default:"60" help:"Login attempts allowed per client IP per minute (per account: a sixth of it, at least 5)."`
	RegisterRate    int           `name:"register-rate" env:"DOCENT_REGISTER_RATE" default:"20" help:"Registrations allowed per client IP per minute."`
	ShutdownTimeout time.Duration `name:"shutdown-timeout" env:"DOCENT_SHUTDOWN_TIMEOUT" default:"15s" help:"How long in-flight requests may run after SIGINT/SIGTERM."`
}

func (c *serveCmd) Run(ctx context.Context, g *Globals) error {
	log := g.logger()
	db, err := store.Open(ctx, g.Data, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	secret, err := auth.LoadSecret(g.Data, os.Getenv("DOCENT_SECRET_KEY"))
	if err != nil {
		return err
	}
	tokens, err := auth.NewTokens(secret, c.TokenTTL)
	if err != nil {
		return err
	}
	hasher, err := auth.NewHasher(0)
	if err != nil {
		return err
	}
	srv := api.New(api.Config{
		CORSOrigins:    c.CORSOrigins,
		TrustedProxies: c.TrustedProxies,
		LoginRate:      c.LoginRate,
		RegisterRate:   c.RegisterRate,
		Version:        versionString(),
	}, api.Deps{DB: db, Tokens: tokens, Hasher: hasher, Log: log})

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	httpSrv := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()
	fmt.Fprintf(g.stdout, "docent %s listening on http://%s (data in %s)\n", versionString(), ln.Addr(), g.Data)
	srv.SetReady()
	log.Info("ready", "addr", ln.Addr().String(), "data", g.Data)

	select {
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", c.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
