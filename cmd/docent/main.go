// Command docent turns a folder of documents into a private
// question-answering service. Run "docent serve" and open the printed address.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"
)

// cli is the command line: global flags plus one struct per subcommand.
type cli struct {
	Globals

	Serve   serveCmd   `cmd:"" help:"Run the HTTP service (API, web page, metrics)."`
	Ingest  ingestCmd  `cmd:"" help:"Index a folder of documents (into the shared library unless --user)."`
	Extract extractCmd `cmd:"" help:"Print the text docent extracts from a file (pages separated by form feeds)."`
	Search  searchCmd  `cmd:"" help:"Find the passages that best match a query."`
	Ask     askCmd     `cmd:"" help:"Answer a question from the documents, with cited sources."`
	MCP     mcpCmd     `cmd:"" name:"mcp" help:"Serve the documents to MCP clients (editors, assistants) over stdio: search, ask, list_documents, get_passage."`
	Login   loginCmd   `cmd:"" help:"Log in to a server once: --server commands then need no --token."`
	Logout  logoutCmd  `cmd:"" help:"Forget (and revoke) the credential docent login kept for a server."`
	User    userCmd    `cmd:"" help:"Manage accounts in the data directory."`
	Eval    evalCmd    `cmd:"" help:"Measure retrieval on a BEIR-layout benchmark (nDCG@10, Recall, MRR, latency)."`
	Reindex reindexCmd `cmd:"" help:"Re-embed every document with the configured embedder (after changing --embedder or --embed-model)."`
	Check   checkCmd   `cmd:"" help:"Verify the store's invariants (and a running server's index); --repair fixes a stopped one."`
	Backup  backupCmd  `cmd:"" help:"Write a consistent snapshot of the store (works while a server runs, with --server)."`
	Restore restoreCmd `cmd:"" help:"Replace the store with a snapshot (the server must be stopped); with --store postgres://, load it into an empty database."`
	Compact compactCmd `cmd:"" help:"Rewrite the store file without its free pages, so deleted data returns disk space (the server must be stopped)."`
	Migrate migrateCmd `cmd:"" help:"Copy a store to another backend (a data directory to PostgreSQL, or back), verified by counts and checksums."`
	Load    loadCmd    `cmd:"" name:"loadtest" help:"Load a server with simulated users (in-process with a fake LLM unless --server) and check nothing is lost."`
	Bench   benchCmd   `cmd:"" help:"Measure ingest, cold start, memory and search on a synthetic corpus of --chunks passages (against raw chromem-go)."`
	Version versionCmd `cmd:"" help:"Print the version and exit."`
}

// Globals are flags every subcommand takes. Flags override DOCENT_*
// environment variables, which override the defaults.
type Globals struct {
	Data      string `name:"data" env:"DOCENT_DATA" default:"./docent-data" type:"path" help:"Data directory: the store file, the signing secret and temporary uploads."`
	Store     string `name:"store" env:"DOCENT_STORE" default:"bolt" help:"Where the data lives: bolt (one file in the data directory) or a postgres:// URL that several docent serve replicas share."`
	LogLevel  string `name:"log-level" env:"DOCENT_LOG_LEVEL" default:"info" enum:"debug,info,warn,error" help:"Least severe log level written (${enum})."`
	LogFormat string `name:"log-format" env:"DOCENT_LOG_FORMAT" default:"text" enum:"text,json" help:"Log line format (${enum})."`

	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// logger builds the slog logger the flags ask for, writing to stderr.
func (g *Globals) logger() *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(g.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if g.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(g.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(g.stderr, opts))
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses args and runs the chosen subcommand, returning the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var c cli
	c.stdin, c.stdout, c.stderr = stdin, stdout, stderr
	exit := -1
	parser, err := kong.New(&c,
		kong.Name("docent"),
		kong.Description("docent answers questions about your documents, with citations, from one binary."),
		kong.UsageOnError(),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { exit = code }),
		kong.BindTo(ctx, (*context.Context)(nil)),
		kong.Bind(&c.Globals),
	)
	if err != nil {
		fmt.Fprintln(stderr, "docent:", err)
		return 2
	}
	kctx, err := parser.Parse(args)
	if exit >= 0 {
		return exit
	}
	if err != nil {
		fmt.Fprintln(stderr, "docent:", err)
		return 2
	}
	if err := kctx.Run(); err != nil {
		fmt.Fprintln(stderr, "docent:", err)
		return 1
	}
	return 0
}
