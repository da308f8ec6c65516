package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"

	"docent/ingest"
	"docent/store"
)

type ingestCmd struct {
	Dir     string   `arg:"" help:"Folder to index, recursively, or the http(s) URL of a web page or file."`
	Include []string `name:"include" sep:"," help:"Only files matching these globs (matched against the relative path and the file name), comma-separated."`
	Exclude []string `name:"exclude" sep:"," help:"Skip files matching these globs, comma-separated."`
	Prune   bool     `name:"prune" help:"Delete documents whose file is no longer in the folder."`
	Quiet   bool     `name:"quiet" short:"q" help:"No progress output, only the summary."`
	User    string   `name:"user" help:"Index into this user's private space instead of the shared library."`
	Server  string   `name:"server" env:"DOCENT_SERVER" help:"Upload through a running server at this URL instead of writing the data directory."`
	Token   string   `name:"token" env:"DOCENT_TOKEN" help:"Access token for --server (an admin's for the shared library)."`

	AllowPrivate bool `name:"allow-private-urls" env:"DOCENT_ALLOW_PRIVATE_URLS" help:"Let a URL reach loopback, private and link-local addresses (refused by default)."`

	embedFlags
	ingestFlags
}

func (c *ingestCmd) Run(ctx context.Context, g *Globals) error {
	opts, maxBytes, err := c.options()
	if err != nil {
		return err
	}
	if isURL(c.Dir) {
		return c.ingestURL(ctx, g, opts, maxBytes)
	}
	if st, err := os.Stat(c.Dir); err != nil || !st.IsDir() {
		return fmt.Errorf("%s is not a folder (or an http(s) URL)", c.Dir)
	}
	root, err := filepath.Abs(c.Dir)
	if err != nil {
		return err
	}
	// Credentials, the data directory's lock and --user are checked before
	// anything is printed: a refusal is the only output.
	var run folderIngest
	if c.Server != "" {
		run, err = c.viaServer(ctx, maxBytes)
	} else {
		var closeStore func() error
		run, closeStore, err = c.local(ctx, g, opts)
		if closeStore != nil {
			defer closeStore()
		}
	}
	if err != nil {
		return err
	}
	progress := c.progress(g)
	folder := ingest.FolderOptions{Root: root, Include: c.Include, Exclude: c.Exclude, Workers: opts.Workers, Prune: c.Prune, Event: progress.event}
	sum, err := run(ctx, os.DirFS(root), folder)
	progress.done()
	printSummary(g.stdout, sum)
	if errors.Is(err, context.Canceled) {
		return errors.New("interrupted: nothing is half written; run the same command again to resume")
	}
	if err != nil {
		return err
	}
	if n := sum.Count(ingest.Failed); n > 0 {
		return fmt.Errorf("%d file(s) failed", n)
	}
	return nil
}

// folderIngest ingests a folder once its destination has been checked.
type folderIngest func(ctx context.Context, fsys fs.FS, folder ingest.FolderOptions) (ingest.Summary, error)

// local opens the data directory (failing at once if a server holds it)
// and returns the ingest that writes straight into it, and the store's Close.
func (c *ingestCmd) local(ctx context.Context, g *Globals, opts ingest.Options) (folderIngest, func() error, error) {
	pipe, owner, closeStore, err := c.localPipeline(ctx, g, opts)
	if err != nil {
		return nil, closeStore, err
	}
	return func(ctx context.Context, fsys fs.FS, folder ingest.FolderOptions) (ingest.Summary, error) {
		folder.Owner = owner
		return pipe.IngestFolder(ctx, fsys, folder)
	}, closeStore, nil
}

// localPipeline opens the data directory and returns a pipeline writing
// into it, the owner --user names (the shared library by default) and the
// store's Close.
func (c *ingestCmd) localPipeline(ctx context.Context, g *Globals, opts ingest.Options) (*ingest.Pipeline, uint64, func() error, error) {
	db, lib, err := openLibrary(ctx, g, c.embedFlags, false)
	if err != nil {
		return nil, 0, nil, err
	}
	owner := store.Shared
	if c.User != "" {
		u, err := db.UserByLogin(ctx, c.User)
		if err != nil {
			return nil, 0, db.Close, fmt.Errorf("no user %q", c.User)
		}
		owner = u.ID
	}
	pipe, err := ingest.NewPipeline(db, lib, filepath.Join(g.Data, "uploads"), opts)
	if err != nil {
		return nil, 0, db.Close, err
	}
	return pipe, owner, db.Close, nil
}

// ingestProgress renders folder-ingest events: a bar on a terminal, log
// lines otherwise, nothing with --quiet.
type ingestProgress struct {
	bar   *progressbar.ProgressBar
	out   io.Writer
	quiet bool
	start time.Time
	files int
	done_ int
}

func (c *ingestCmd) progress(g *Globals) *ingestProgress {
	p := &ingestProgress{out: g.stderr, quiet: c.Quiet, start: time.Now()}
	if f, ok := g.stderr.(*os.File); ok && !c.Quiet && isatty.IsTerminal(f.Fd()) {
		p.bar = progressbar.NewOptions(-1,
			progressbar.OptionSetWriter(g.stderr),
			progressbar.OptionSetDescription("indexing"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("files"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond),
		)
	}
	return p
}

func (p *ingestProgress) event(ev ingest.Event) {
	switch {
	case p.quiet:
	case ev.Found > 0:
		p.files = ev.Found
		if p.bar != nil {
			p.bar.ChangeMax(ev.Found)
		} else {
			fmt.Fprintf(p.out, "found %d files (%s)\n", ev.Found, sizeOf(ev.Bytes))
		}
	case ev.Outcome == ingest.Skipped:
		// listed in the summary
	case ev.Outcome == ingest.Pruned:
		if p.bar == nil {
			fmt.Fprintf(p.out, "pruned %s\n", ev.Path)
		}
	case p.bar != nil:
		p.bar.Describe(fmt.Sprintf("%-9s %s", ev.Outcome, trimTo(ev.Path, 40)))
		p.bar.Add(1)
	default:
		p.done_++
		line := fmt.Sprintf("[%d/%d] %s %s", p.done_, p.files, ev.Outcome, ev.Path)
		if ev.Chunks > 0 {
			line += fmt.Sprintf(" (%d chunks)", ev.Chunks)
		}
		if ev.Reason != "" {
			line += ": " + ev.Reason
		}
		fmt.Fprintln(p.out, line)
	}
}

func (p *ingestProgress) done() {
	if p.bar != nil {
		p.bar.Finish()
	}
	if !p.quiet {
		fmt.Fprintf(p.out, "done in %s\n", time.Since(p.start).Round(time.Millisecond))
	}
}

func trimTo(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return "…" + string(r[len(r)-n+1:])
	}
	return s
}

func sizeOf(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// printSummary writes the end-of-run summary: counts, then every file that
// failed or was skipped with its reason.
func printSummary(w io.Writer, s ingest.Summary) {
	fmt.Fprintf(w, "added %d, updated %d, unchanged %d, failed %d, skipped %d",
		s.Count(ingest.Added), s.Count(ingest.Updated), s.Count(ingest.Unchanged), s.Count(ingest.Failed), s.Count(ingest.Skipped))
	if n := s.Count(ingest.Pruned); n > 0 {
		fmt.Fprintf(w, ", pruned %d", n)
	}
	fmt.Fprintf(w, "; %d chunks\n", s.Chunks())
	for _, o := range []ingest.Outcome{ingest.Failed, ingest.Skipped, ingest.Pruned} {
		for _, f := range s.Files {
			if f.Outcome != o {
				continue
			}
			if f.Reason != "" {
				fmt.Fprintf(w, "  %-8s %s: %s\n", o, f.Path, f.Reason)
			} else {
				fmt.Fprintf(w, "  %-8s %s\n", o, f.Path)
			}
		}
	}
}

// sortSummary orders a summary's files by path.
func sortSummary(s ingest.Summary) ingest.Summary {
	sort.Slice(s.Files, func(i, j int) bool { return s.Files[i].Path < s.Files[j].Path })
	return s
}
