package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"docent/store"
)

type checkCmd struct {
	Repair bool   `name:"repair" help:"Fix what can be fixed without losing user data: drop orphans, recount references, rebuild indexes, re-queue interrupted documents, mark damaged ones failed."`
	JSON   bool   `name:"json" help:"Print the report as JSON."`
	Server string `name:"server" env:"DOCENT_SERVER" help:"Check a running server (store and live index) instead of the data directory."`
	Token  string `name:"token" env:"DOCENT_TOKEN" help:"An admin's access token for --server."`

	embedFlags
}

// checkResult is what docent check reports.
type checkResult struct {
	OK    bool               `json:"ok"`
	Store *store.CheckReport `json:"store"`
	Index []string           `json:"index"`
	// Resume and Lost list interrupted documents with and without their upload.
	Resume []uint64 `json:"resume,omitempty"`
	Lost   []uint64 `json:"lost,omitempty"`
}

func (c *checkCmd) Run(ctx context.Context, g *Globals) error {
	var res checkResult
	var err error
	if c.Server != "" {
		if c.Repair {
			return errors.New("--repair needs the data directory: stop the server and run docent check --repair")
		}
		var cl *client
		if cl, err = newClient(c.Server, c.Token); err == nil {
			err = cl.do(ctx, "GET", "/api/v1/admin/check", "", nil, &res)
		}
	} else {
		res, err = c.local(ctx, g)
	}
	if err != nil {
		return err
	}
	if c.JSON {
		json.NewEncoder(g.stdout).Encode(res)
	} else {
		printCheck(g.stdout, res)
	}
	if !res.OK {
		return errors.New("the data directory has problems" + map[bool]string{true: " left", false: "; docent check --repair fixes what it can"}[c.Repair])
	}
	return nil
}

// local checks (and with --repair fixes) a stopped data directory, and
// proves the index loads from it.
func (c *checkCmd) local(ctx context.Context, g *Globals) (checkResult, error) {
	db, err := openStore(ctx, g)
	if err != nil {
		return checkResult{}, err
	}
	defer db.Close()
	check := db.Check
	if c.Repair {
		check = db.Repair
	}
	rep, err := check(ctx)
	if err != nil {
		return checkResult{}, err
	}
	res := checkResult{Store: rep, Index: []string{}}
	if isPostgres(g.Store) {
		// The database keeps uploads with their jobs, which the replicas
		// running (or the next to start) take: nothing is lost here.
		res.Resume = rep.Interrupted
		rep.Interrupted = nil
	}
	for _, id := range rep.Interrupted {
		spooled := filepath.Join(g.Data, "uploads", strconv.FormatUint(id, 10))
		if _, err := os.Stat(spooled); err == nil {
			res.Resume = append(res.Resume, id)
			if c.Repair {
				db.SetStatus(ctx, id, store.StatusQueued, "")
			}
			continue
		}
		res.Lost = append(res.Lost, id)
		if c.Repair {
			db.SetStatus(ctx, id, store.StatusFailed, "the upload was lost before it was indexed; upload the file again")
		}
	}
	emb, err := c.embedder()
	if err != nil {
		return res, err
	}
	if _, err := newLibraryFor(db, emb).Load(ctx); err != nil {
		res.Index = append(res.Index, "the index cannot be built: "+err.Error())
	}
	res.OK = rep.OK() && len(res.Index) == 0
	return res, nil
}

func printCheck(w io.Writer, r checkResult) {
	s := r.Store
	fmt.Fprintf(w, "users %d, conversations %d, messages %d, documents %d, chunks %d, vectors %d\n",
		s.Users, s.Conversations, s.Messages, s.Documents, s.Chunks, s.Vectors)
	for _, p := range s.Problems {
		state := "problem"
		if p.Fixed {
			state = "fixed"
		}
		fmt.Fprintf(w, "  %-7s %s: %s\n", state, p.Kind, p.Detail)
	}
	for _, d := range r.Index {
		fmt.Fprintf(w, "  index   %s\n", d)
	}
	if len(r.Resume) > 0 {
		fmt.Fprintf(w, "  %d interrupted document(s) will resume at the next start: %v\n", len(r.Resume), r.Resume)
	}
	if len(r.Lost) > 0 {
		fmt.Fprintf(w, "  %d interrupted document(s) lost their upload and will be marked failed: %v\n", len(r.Lost), r.Lost)
	}
	if r.OK {
		fmt.Fprintln(w, "ok")
	}
}
