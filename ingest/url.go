package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"

	"docent/store"
)

// IngestURL fetches rawURL with f and indexes it for owner, the URL being
// the document's source path: fetching the same URL again leaves an
// unchanged document alone and replaces a changed one, as folder ingest
// does with files. The result's Path is the URL.
func (p *Pipeline) IngestURL(ctx context.Context, f *Fetcher, owner uint64, rawURL string) FileResult {
	res := FileResult{Path: rawURL}
	fail := func(err error) FileResult {
		res.Outcome, res.Reason = Failed, ReasonDetail(err)
		if errors.Is(err, ErrURLRefused) || errors.Is(err, ErrFetch) {
			res.Reason = err.Error()
		}
		return res
	}
	tmp, err := p.TempFile()
	if err != nil {
		return fail(err)
	}
	defer p.Discard(tmp.Name())
	h := sha256.New()
	got, err := f.Fetch(ctx, rawURL, io.MultiWriter(tmp, h))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(err)
	}
	file, err := os.Open(tmp.Name())
	if err != nil {
		return fail(err)
	}
	defer file.Close()
	format, err := DetectFetched(got.Filename, file, got.Size)
	if err != nil {
		res.Outcome, res.Reason = Skipped, ReasonDetail(err)
		return res
	}
	d := store.Document{Owner: owner, Filename: got.Filename, Path: rawURL, ContentType: ContentType(format),
		Format: string(format), Size: got.Size, SHA256: hex.EncodeToString(h.Sum(nil))}
	old, err := p.db.DocumentByPath(ctx, owner, rawURL)
	switch {
	case err == nil && old.SHA256 == d.SHA256 && old.Status == store.StatusReady:
		res.Outcome = Unchanged
		return res
	case err == nil && old.Status == store.StatusReady:
		d.Replaces = old.ID
	case err == nil:
		d.Replaces = old.Replaces
		p.db.DeleteDocumentByID(ctx, old.ID)
	case !errors.Is(err, store.ErrNotFound):
		return fail(err)
	}
	existing, dup, err := p.db.CreateDocument(ctx, &d)
	if err != nil {
		return fail(err)
	}
	if dup {
		res.Outcome, res.Reason = Unchanged, "same content as "+existing.Filename
		return res
	}
	if err := p.Process(ctx, &d, file, got.Size); err != nil {
		return fail(err)
	}
	res.Outcome, res.Chunks = Added, d.Chunks
	if d.Replaces != 0 {
		res.Outcome = Updated
	}
	return res
}
