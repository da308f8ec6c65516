package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"docent/ingest"
)

// isURL reports whether an ingest argument is a web address.
func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// ingestURL fetches one page or file and indexes it (through the server
// with --server, which fetches it itself), printing the same summary as a
// folder ingest.
func (c *ingestCmd) ingestURL(ctx context.Context, g *Globals, opts ingest.Options, maxBytes int64) error {
	var res ingest.FileResult
	if c.Server != "" {
		cl, me, err := connect(ctx, c.Server, c.Token)
		if err != nil {
			return err
		}
		shared := c.User == ""
		if shared && me.Role != "admin" {
			return fmt.Errorf("only an admin can fill the shared library: use an admin's token, or --user %s", me.Username)
		}
		res = c.postURL(ctx, cl, shared)
	} else {
		pipe, owner, closeStore, err := c.localPipeline(ctx, g, opts)
		if closeStore != nil {
			defer closeStore()
		}
		if err != nil {
			return err
		}
		res = pipe.IngestURL(ctx, &ingest.Fetcher{MaxBytes: maxBytes, AllowPrivate: c.AllowPrivate}, owner, c.Dir)
	}
	printSummary(g.stdout, ingest.Summary{Files: []ingest.FileResult{res}})
	if res.Outcome == ingest.Failed {
		return fmt.Errorf("%s failed", c.Dir)
	}
	return nil
}

// postURL asks the server to fetch and index the URL.
func (c *ingestCmd) postURL(ctx context.Context, cl *client, shared bool) ingest.FileResult {
	res := ingest.FileResult{Path: c.Dir}
	body, _ := json.Marshal(map[string]string{"url": c.Dir})
	q := "/api/v1/documents?wait=true"
	if shared {
		q += "&shared=true"
	}
	var docs []remoteDoc
	if err := cl.do(ctx, "POST", q, "application/json", bytes.NewReader(body), &docs); err != nil {
		res.Outcome, res.Reason = ingest.Failed, err.Error()
		return res
	}
	if len(docs) != 1 {
		res.Outcome, res.Reason = ingest.Failed, "unexpected answer from the server"
		return res
	}
	switch d := docs[0]; {
	case d.Duplicate:
		res.Outcome, res.Reason = ingest.Unchanged, "same content as "+d.Filename
	case d.Status == "failed":
		res.Outcome, res.Reason = ingest.Failed, d.Error
	default:
		res.Outcome, res.Chunks = ingest.Added, d.Chunks
	}
	return res
}
