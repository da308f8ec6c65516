package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime/multipart"
	"path"
	"strings"
	"sync"
	"time"

	"docent/ingest"
)

// remoteDoc is what ingest needs of a server's document.
type remoteDoc struct {
	ID        uint64 `json:"id"`
	Path      string `json:"path"`
	SHA256    string `json:"sha256"`
	Status    string `json:"status"`
	Error     string `json:"error"`
	Chunks    int    `json:"chunks"`
	Shared    bool   `json:"shared"`
	Duplicate bool   `json:"duplicate"`
	Filename  string `json:"filename"`
}

// viaServer checks the token and what it may do, and returns the ingest
// that uploads through the running server: the same outcomes as a local
// run, with the server doing the indexing.
func (c *ingestCmd) viaServer(ctx context.Context, maxBytes int64) (folderIngest, error) {
	cl, me, err := connect(ctx, c.Server, c.Token)
	if err != nil {
		return nil, err
	}
	shared := c.User == ""
	if !shared && !strings.EqualFold(me.Username, c.User) {
		return nil, fmt.Errorf("--user %s needs %s's token, not %s's", c.User, c.User, me.Username)
	}
	if shared && me.Role != "admin" {
		return nil, fmt.Errorf("only an admin can fill the shared library: use an admin's token, or --user %s", me.Username)
	}
	return func(ctx context.Context, fsys fs.FS, folder ingest.FolderOptions) (ingest.Summary, error) {
		return c.uploadFolder(ctx, cl, shared, fsys, folder, maxBytes)
	}, nil
}

// uploadFolder uploads the folder's new and changed files, and with
// folder.Prune deletes the documents whose file is gone.
func (c *ingestCmd) uploadFolder(ctx context.Context, cl *client, shared bool, fsys fs.FS, folder ingest.FolderOptions, maxBytes int64) (ingest.Summary, error) {
	start := time.Now()
	known, err := c.remoteDocs(ctx, cl, shared)
	if err != nil {
		return ingest.Summary{}, err
	}
	files, skipped, err := ingest.Scan(fsys, folder, maxBytes)
	if err != nil {
		return ingest.Summary{}, err
	}
	var mu sync.Mutex
	sum := ingest.Summary{Files: skipped}
	record := func(r ingest.FileResult) {
		mu.Lock()
		defer mu.Unlock()
		sum.Files = append(sum.Files, r)
		if folder.Event != nil {
			folder.Event(ingest.Event{Path: r.Path, Outcome: r.Outcome, Chunks: r.Chunks, Reason: r.Reason})
		}
	}
	if folder.Event != nil {
		var total int64
		for _, f := range files {
			total += f.Size
		}
		folder.Event(ingest.Event{Found: len(files), Bytes: total})
	}
	jobs := make(chan ingest.File)
	var wg sync.WaitGroup
	for range max(folder.Workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range jobs {
				record(c.uploadOne(ctx, cl, fsys, f, folder.Root, known, shared))
			}
		}()
	}
	for _, f := range files {
		if ctx.Err() != nil {
			break
		}
		jobs <- f
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return sum, err
	}
	if folder.Prune {
		present := map[string]bool{}
		for _, f := range sum.Files {
			present[path.Join(folder.Root, f.Path)] = true
		}
		for p, d := range known {
			if present[p] || !strings.HasPrefix(p, folder.Root+"/") {
				continue
			}
			if err := cl.do(ctx, "DELETE", fmt.Sprintf("/api/v1/documents/%d", d.ID), "", nil, nil); err != nil {
				return sum, err
			}
			record(ingest.FileResult{Path: strings.TrimPrefix(p, folder.Root+"/"), Outcome: ingest.Pruned})
		}
	}
	sum.Elapsed = time.Since(start)
	return sortSummary(sum), nil
}

// remoteDocs lists the caller's documents with a source path, by path.
func (c *ingestCmd) remoteDocs(ctx context.Context, cl *client, shared bool) (map[string]remoteDoc, error) {
	out := map[string]remoteDoc{}
	for skip := 0; ; skip += 1000 {
		var page []remoteDoc
		if err := cl.do(ctx, "GET", fmt.Sprintf("/api/v1/documents?skip=%d&limit=1000", skip), "", nil, &page); err != nil {
			return nil, err
		}
		for _, d := range page {
			if d.Path != "" && d.Shared == shared {
				out[d.Path] = d
			}
		}
		if len(page) < 1000 {
			return out, nil
		}
	}
}

// uploadOne uploads one file of the folder root unless the server already
// has it unchanged.
func (c *ingestCmd) uploadOne(ctx context.Context, cl *client, fsys fs.FS, f ingest.File, root string, known map[string]remoteDoc, shared bool) ingest.FileResult {
	res := ingest.FileResult{Path: f.Path}
	source := path.Join(root, f.Path)
	raw, err := fs.ReadFile(fsys, f.Path)
	if err != nil {
		res.Outcome, res.Reason = ingest.Failed, "cannot be read"
		return res
	}
	sum := sha256.Sum256(raw)
	old, had := known[source]
	if had && old.SHA256 == hex.EncodeToString(sum[:]) && old.Status == "ready" {
		res.Outcome = ingest.Unchanged
		return res
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("folder", root)
	mw.WriteField("path", source)
	w, _ := mw.CreateFormFile("file", path.Base(f.Path))
	w.Write(raw)
	mw.Close()
	q := "/api/v1/documents?wait=true"
	if shared {
		q += "&shared=true"
	}
	var docs []remoteDoc
	if err := cl.do(ctx, "POST", q, mw.FormDataContentType(), &body, &docs); err != nil {
		res.Outcome, res.Reason = ingest.Failed, err.Error()
		return res
	}
	if len(docs) != 1 {
		res.Outcome, res.Reason = ingest.Failed, "unexpected answer from the server"
		return res
	}
	d := docs[0]
	switch {
	case d.Duplicate:
		res.Outcome, res.Reason = ingest.Unchanged, "same content as "+d.Filename
	case d.Status == "failed":
		res.Outcome, res.Reason = ingest.Failed, d.Error
	case had:
		res.Outcome, res.Chunks = ingest.Updated, d.Chunks
	default:
		res.Outcome, res.Chunks = ingest.Added, d.Chunks
	}
	return res
}
