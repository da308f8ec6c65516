package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"

	"docent/ingest"
	"docent/store"
)

// Fetcher downloads a document by URL (ingest.Fetcher does).
type Fetcher interface {
	Fetch(ctx context.Context, rawURL string, dst io.Writer) (ingest.Fetched, error)
}

// isJSONUpload reports whether a POST /documents is the URL form
// (Content-Type: application/json) rather than a multipart upload.
func isJSONUpload(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// urlUpload is the JSON body of an upload by URL.
type urlUpload struct {
	URL         string  `json:"url"`
	WorkspaceID *uint64 `json:"workspace_id"`
}

// uploadURL fetches {"url": ...} and submits it like an uploaded file: the
// URL is the document's source path, so fetching it again replaces the
// old copy when the content changed (and answers the existing document
// with "duplicate": true when it did not). Refused addresses are 422, a
// page that cannot be fetched 422 with the reason, a body over the upload
// limit 413, a type docent cannot read 415.
func (s *Server) uploadURL(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r.Context())
	q := r.URL.Query()
	shared, wait := q.Get("shared") == "true", q.Get("wait") == "true"
	if shared && !u.IsAdmin() {
		s.fail(w, r, errorf(http.StatusForbidden, "only an admin can add documents to the shared library"))
		return
	}
	var body urlUpload
	if err := decodeJSON(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	body.URL = strings.TrimSpace(body.URL)
	switch {
	case body.URL == "":
		s.fail(w, r, invalid("url", "is required: the address of the page or file to fetch"))
		return
	}
	var ws uint64
	if body.WorkspaceID != nil {
		if ws = *body.WorkspaceID; ws == 0 {
			s.fail(w, r, errorf(http.StatusNotFound, "workspace not found"))
			return
		}
		if err := s.writableWorkspace(r.Context(), viewer(r), ws); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	owner := u.ID
	if shared {
		owner = store.Shared
	}
	up, err := s.fetchUpload(r.Context(), body.URL)
	if err != nil {
		if up.TempPath != "" {
			s.ingest.Discard(up.TempPath)
		}
		s.fail(w, r, err)
		return
	}
	up.Owner, up.UploadedBy, up.Limit = owner, u.ID, s.quotaFor(u, owner)
	d, dup, err := s.submit(r.Context(), up)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.intoWorkspace(r.Context(), viewer(r), ws, []documentJSON{{ID: d.ID}}); err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusAccepted
	if wait {
		status = http.StatusCreated
		if !dup {
			if d, err = s.ingest.Wait(r.Context(), d.ID); err != nil {
				s.fail(w, r, err)
				return
			}
		}
	}
	dj := s.toDocumentJSON(viewer(r), &d)
	dj.Duplicate = dup
	writeJSON(w, status, []documentJSON{dj})
}

// fetchUpload downloads rawURL into the spool and describes it as an
// upload whose source path is the URL.
func (s *Server) fetchUpload(ctx context.Context, rawURL string) (ingest.Upload, error) {
	tmp, err := s.ingest.TempFile()
	if err != nil {
		return ingest.Upload{}, err
	}
	up := ingest.Upload{TempPath: tmp.Name(), SourcePath: rawURL}
	h := sha256.New()
	f, err := s.fetcher.Fetch(ctx, rawURL, io.MultiWriter(tmp, h))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	switch {
	case errors.Is(err, ingest.ErrURLRefused):
		return up, invalid("url", err.Error()+" (the server's --allow-private-urls lets it)")
	case errors.Is(err, ingest.ErrTooLarge):
		return up, errorf(http.StatusRequestEntityTooLarge, "the document at the URL is larger than the %s limit per file", sizeString(s.cfg.MaxUpload))
	case errors.Is(err, ingest.ErrFetch):
		return up, invalid("url", err.Error())
	case err != nil:
		return up, err
	case f.Size == 0:
		return up, invalid("url", "the page is empty")
	}
	up.Filename, up.Size, up.SHA256 = cleanFilename(f.Filename), f.Size, hex.EncodeToString(h.Sum(nil))
	file, err := os.Open(up.TempPath)
	if err != nil {
		return up, err
	}
	defer file.Close()
	up.Format, err = ingest.DetectFetched(up.Filename, file, f.Size)
	if err != nil {
		return up, errorf(http.StatusUnsupportedMediaType, "the document at the URL cannot be read: %s", ingest.ErrUnsupported.Error())
	}
	return up, nil
}
