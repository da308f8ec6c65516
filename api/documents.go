package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"docent/ingest"
	"docent/retrieval"
	"docent/store"
)

// Ingest is the document pipeline the upload handlers feed.
type Ingest interface {
	TempFile() (*os.File, error)
	Discard(path string)
	Submit(ctx context.Context, up ingest.Upload) (store.Document, bool, error)
	Wait(ctx context.Context, id uint64) (store.Document, error)
	Progress(id uint64) (done, total int, ok bool)
}

// Library searches documents and deletes them from the store and the index.
type Library interface {
	Search(ctx context.Context, v store.Viewer, r retrieval.SearchRequest) ([]retrieval.Result, error)
	Delete(ctx context.Context, v store.Viewer, id uint64) (store.Document, error)
	DeleteUser(ctx context.Context, userID uint64) error
	Verify(ctx context.Context, queries []string) ([]string, error)
}

// Upload limits besides the per-file size.
const (
	maxUploadParts = 100 // multipart parts per request
	maxFilename    = 255 // bytes
)

// documentJSON is a document as API.md shows it.
type documentJSON struct {
	ID          uint64    `json:"id"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	Status      string    `json:"status"`
	Error       string    `json:"error,omitempty"`
	Chunks      int       `json:"chunks"`
	Pages       int       `json:"pages,omitempty"`
	Title       string    `json:"title,omitempty"`
	Path        string    `json:"path,omitempty"`
	Shared      bool      `json:"shared"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Duplicate   bool      `json:"duplicate,omitempty"`
	// Progress is the fraction of passages embedded while processing.
	Progress *float64 `json:"progress,omitempty"`
}

// toDocumentJSON is d as v sees it: its path in full for its owner and for
// admins, relative to the ingested folder (or not at all) for everyone else.
func (s *Server) toDocumentJSON(v store.Viewer, d *store.Document) documentJSON {
	out := documentJSON{ID: d.ID, Filename: d.Filename, ContentType: d.ContentType, Size: d.Size,
		SHA256: d.SHA256, Status: string(d.Status), Error: d.Error, Chunks: d.Chunks, Pages: d.Pages,
		Title: d.Title, Path: visiblePath(v, d), Shared: d.Owner == store.Shared, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	if d.Status == store.StatusProcessing {
		if done, total, ok := s.ingest.Progress(d.ID); ok && total > 0 {
			f := float64(done) / float64(total)
			out.Progress = &f
		}
	}
	return out
}

// visiblePath is the part of d's source path v may see. The full path names
// the server's (or an admin's) folders, so only the document's owner and
// admins see it; other readers of a shared document see the path relative
// to the folder it was ingested from, or none when that is unknown.
func visiblePath(v store.Viewer, d *store.Document) string {
	if v.Admin || d.Owner != store.Shared && d.Owner == v.UserID {
		return d.Path
	}
	if d.Folder == "" {
		return ""
	}
	rel, ok := strings.CutPrefix(d.Path, strings.TrimSuffix(d.Folder, "/")+"/")
	if !ok || rel == "" {
		return ""
	}
	return rel
}

func viewer(r *http.Request) store.Viewer {
	u := currentUser(r.Context())
	return store.Viewer{UserID: u.ID, Admin: u.IsAdmin()}
}

// staged is an uploaded file part saved to the spool, not yet submitted.
type staged struct {
	name   string
	source string // the "path" field sent before the file, if any
	folder string // the "folder" field sent before the file: the folder source lies in
	path   string
	size   int64
	sha    string
	format ingest.Format
}

// uploadDocuments accepts one or more multipart "file" parts (into the
// workspace ?workspace=ID names, which the caller must be able to write:
// checked before the body is read). A "path"
// part before a file names where it comes from (folder ingest through the
// server): a later upload with the same path replaces it, like ?replace=true
// does by file name. A "folder" part names the folder that path lies in;
// readers other than the owner see only the path relative to it. Each file part
// streams to a file in the spool while it is hashed; a part over the size
// limit stops the upload at once with 413, an unreadable type with 415, so
// either every file of the request is accepted or none is.
func (s *Server) uploadDocuments(w http.ResponseWriter, r *http.Request) {
	if isJSONUpload(r) {
		s.uploadURL(w, r)
		return
	}
	u := currentUser(r.Context())
	q := r.URL.Query()
	shared, wait, replace := q.Get("shared") == "true", q.Get("wait") == "true", q.Get("replace") == "true"
	if shared && !u.IsAdmin() {
		s.fail(w, r, errorf(http.StatusForbidden, "only an admin can add documents to the shared library"))
		return
	}
	ws, err := s.uploadWorkspace(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	files, err := s.receiveFiles(w, r)
	defer func() {
		for _, f := range files {
			s.ingest.Discard(f.path) // no-op for files the pipeline took over
		}
	}()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	owner := u.ID
	if shared {
		owner = store.Shared
	}
	limit := s.quotaFor(u, owner)
	if err := s.checkUploadQuota(r.Context(), limit, owner, files); err != nil {
		s.fail(w, r, err)
		return
	}
	for i := range files {
		if files[i].source == "" && replace {
			files[i].source = files[i].name
		}
	}
	out := make([]documentJSON, 0, len(files))
	var waitFor []int
	for i, f := range files {
		if supersededInRequest(files, i) {
			continue // a later file of this request has the same source path: the last one wins
		}
		up := ingest.Upload{Owner: owner, UploadedBy: u.ID, Filename: f.name, Format: f.format,
			Size: f.size, SHA256: f.sha, TempPath: f.path, SourcePath: f.source, Folder: f.folder, Limit: limit}
		d, dup, err := s.submit(r.Context(), up)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		dj := s.toDocumentJSON(viewer(r), &d)
		dj.Duplicate = dup
		if !dup {
			waitFor = append(waitFor, len(out))
		}
		out = append(out, dj)
	}
	if err := s.intoWorkspace(r.Context(), viewer(r), ws, out); err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusAccepted
	if wait {
		status = http.StatusCreated
		for _, i := range waitFor {
			d, err := s.ingest.Wait(r.Context(), out[i].ID)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			out[i] = s.toDocumentJSON(viewer(r), &d)
		}
	}
	writeJSON(w, status, out)
}

// supersededInRequest reports whether a later file of the same request has
// the same source path as files[i].
func supersededInRequest(files []staged, i int) bool {
	if files[i].source == "" {
		return false
	}
	for _, f := range files[i+1:] {
		if f.source == files[i].source {
			return true
		}
	}
	return false
}

// submit hands an upload to the pipeline; with a source path it replaces
// the owner's earlier document of that path.
func (s *Server) submit(ctx context.Context, up ingest.Upload) (store.Document, bool, error) {
	if up.SourcePath != "" {
		if old, err := s.db.DocumentByPath(ctx, up.Owner, up.SourcePath); err == nil && old.SHA256 != up.SHA256 {
			up.Replaces = old.ID
			if old.Status != store.StatusReady {
				up.Replaces = old.Replaces
			}
		}
	}
	d, dup, err := s.ingest.Submit(ctx, up)
	return d, dup, quotaError(err)
}

// checkUploadQuota refuses a whole upload, before any of its files is
// extracted or indexed, when the new ones (not the owner's documents already) would pass
// the owner's quota.
func (s *Server) checkUploadQuota(ctx context.Context, q *store.Quota, owner uint64, files []staged) error {
	if q == nil {
		return nil
	}
	var n, size int64
	for _, f := range files {
		if _, err := s.db.DocumentByHash(ctx, owner, f.sha); err == nil {
			continue // a duplicate, or a failed document uploaded again: no more than before
		}
		n, size = n+1, size+f.size
	}
	if n == 0 {
		return nil
	}
	return s.checkQuota(ctx, q, owner, n, size)
}

// receiveFiles streams the multipart "file" parts of r into the spool.
func (s *Server) receiveFiles(w http.ResponseWriter, r *http.Request) ([]staged, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, errorf(http.StatusUnsupportedMediaType, "upload files as multipart/form-data with one or more \"file\" parts")
	}
	limit := s.cfg.MaxUpload
	bodyLimit := limit*maxUploadParts + 1<<20
	if r.ContentLength > bodyLimit {
		return nil, errorf(http.StatusRequestEntityTooLarge, "the upload is larger than %s", sizeString(bodyLimit))
	}
	r.Body = http.MaxBytesReader(w, r.Body, bodyLimit)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "the multipart body could not be read")
	}
	var files []staged
	source, folder := "", "" // "path" and "folder" parts name the next file's source path and its folder
	for parts := 0; ; parts++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return files, bodyError(err, "the multipart body could not be read")
		}
		if parts >= maxUploadParts {
			return files, errorf(http.StatusRequestEntityTooLarge, "at most %d parts per upload", maxUploadParts)
		}
		switch part.FormName() {
		case "file":
		case "path", "folder":
			raw, _ := io.ReadAll(io.LimitReader(part, 4096))
			v := strings.TrimSpace(string(raw))
			switch {
			case v == "":
			case part.FormName() == "path":
				source = cleanFilename(v)
			default:
				folder = cleanFilename(v)
			}
			continue
		default:
			io.Copy(io.Discard, io.LimitReader(part, 1<<20))
			continue
		}
		f, err := s.stage(part, limit)
		f.source, f.folder, source, folder = source, folder, "", ""
		if f.path != "" {
			files = append(files, f)
		}
		if err != nil {
			return files, err
		}
	}
	if len(files) == 0 {
		return nil, invalid("file", "no file was sent: use multipart parts named \"file\"")
	}
	return files, nil
}

// stage copies one file part into the spool, hashing it, and checks its
// size and type.
func (s *Server) stage(part *multipart.Part, limit int64) (staged, error) {
	name := cleanFilename(part.FileName())
	tmp, err := s.ingest.TempFile()
	if err != nil {
		return staged{}, err
	}
	f := staged{name: name, path: tmp.Name()}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(part, limit+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	f.size, f.sha = n, hex.EncodeToString(h.Sum(nil))
	switch {
	case err != nil:
		return f, bodyError(err, "the upload of "+name+" was interrupted")
	case n > limit:
		return f, errorf(http.StatusRequestEntityTooLarge, "%s is larger than the %s limit per file", name, sizeString(limit))
	case n == 0:
		return f, invalid("file", name+" is empty")
	}
	if f.format, err = detectFile(name, f.path); err != nil {
		return f, errorf(http.StatusUnsupportedMediaType, "%q cannot be read: %s", name, ingest.ErrUnsupported.Error())
	}
	return f, nil
}

// detectFile detects the format of a spooled file by its content (zip
// archives by their members).
func detectFile(name, path string) (ingest.Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	format, err := ingest.DetectReader(name, f, st.Size())
	if errors.Is(err, ingest.ErrCorrupt) { // a damaged archive: by its name and first bytes, to fail readably later
		head := make([]byte, min(st.Size(), ingest.SniffLen))
		n, _ := f.ReadAt(head, 0)
		return ingest.Detect(name, head[:n])
	}
	return format, err
}

// bodyError maps a body read failure to 413 (over the limit) or 400.
func bodyError(err error, detail string) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errorf(http.StatusRequestEntityTooLarge, "the upload is larger than %s", sizeString(tooBig.Limit))
	}
	if errors.Is(err, errBodyTooSlow) {
		return errSlowBody
	}
	return errorf(http.StatusBadRequest, "%s", detail)
}

// cleanFilename keeps a client's file name as data: control and invisible
// format characters (NUL, bidi overrides) are dropped, it is NFC-normalised
// and cut to 255 bytes. It is never used as a path.
func cleanFilename(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	name = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, norm.NFC.String(name))
	name = strings.TrimSpace(name)
	for len(name) > maxFilename {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" {
		name = "upload"
	}
	return name
}

// sizeString renders a byte count the way limits are configured.
func sizeString(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func (s *Server) listDocuments(w http.ResponseWriter, r *http.Request) {
	skip, limit, err := pageParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var docs []store.Document
	if raw := r.URL.Query().Get("workspace"); raw != "" {
		docs, err = s.workspaceDocuments(r, raw, skip, limit)
	} else {
		docs, err = s.db.Documents(r.Context(), currentUser(r.Context()).ID, skip, limit)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]documentJSON, len(docs))
	for i := range docs {
		out[i] = s.toDocumentJSON(viewer(r), &docs[i])
	}
	writeJSON(w, http.StatusOK, out)
}

// workspaceDocuments lists the documents of the workspace raw names, if
// the caller sees it, newest first.
func (s *Server) workspaceDocuments(r *http.Request, raw string, skip, limit int) ([]store.Document, error) {
	id, err := strconv.ParseUint(raw, 10, 64)
	if err != nil || id == 0 {
		return nil, errorf(http.StatusNotFound, "workspace not found")
	}
	docs, err := s.db.ScopeDocuments(r.Context(), viewer(r), id)
	if err != nil {
		return nil, workspaceError(err)
	}
	lo, hi := min(skip, len(docs)), len(docs)
	hi = min(lo+limit, hi)
	return docs[lo:hi], nil
}

// readableDocument loads the {id} document if the caller may read it.
func (s *Server) readableDocument(r *http.Request) (store.Document, error) {
	id, err := idParam(r, "document")
	if err != nil {
		return store.Document{}, err
	}
	d, err := s.db.Document(r.Context(), viewer(r), id)
	if err != nil {
		return d, storeError(err, "document")
	}
	return d, nil
}

func (s *Server) getDocument(w http.ResponseWriter, r *http.Request) {
	d, err := s.readableDocument(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.toDocumentJSON(viewer(r), &d))
}

// chunkJSON is a chunk as indexed.
type chunkJSON struct {
	Index    int      `json:"index"`
	Text     string   `json:"text"`
	Page     int      `json:"page,omitempty"`
	Headings []string `json:"headings,omitempty"`
	Start    int      `json:"start"`
	End      int      `json:"end"`
	// OCR is set when the text was read from a page image, with the
	// mean word confidence (0–100).
	OCR           bool     `json:"ocr,omitempty"`
	OCRConfidence *float64 `json:"ocr_confidence,omitempty"`
}

func (s *Server) documentChunks(w http.ResponseWriter, r *http.Request) {
	d, err := s.readableDocument(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	skip, limit, err := pageParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	chunks, err := s.db.ChunkPage(r.Context(), d.ID, skip, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]chunkJSON, 0, len(chunks))
	for _, c := range chunks {
		cj := chunkJSON{Index: c.Index, Text: c.Text, Page: c.Page, Headings: c.Headings, Start: c.Start, End: c.End, OCR: c.OCR}
		if c.OCR {
			cj.OCRConfidence = &c.OCRConfidence
		}
		out = append(out, cj)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) deleteDocument(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "document")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.library.Delete(r.Context(), viewer(r), id); err != nil {
		if errors.Is(err, store.ErrForbidden) {
			err = errorf(http.StatusForbidden, "only an admin can delete documents of the shared library")
		}
		s.fail(w, r, storeError(err, "document"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
