package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
)

// webFiles are the web page and its assets. The end-to-end tests and the
// screenshot beside them in api/web are not embedded.
//
//go:embed web/*.html web/*.js web/*.css web/*.svg
var webFiles embed.FS

// site is the web page with content-hashed asset names, built when the
// process starts. The embedded files are checked by the tests, so a failure
// here is a build mistake and stops the process at once.
var site = mustBuildSite(webFiles)

// webAsset is one embedded file under its content-hashed name.
type webAsset struct {
	contentType string
	etag        string
	body        []byte
	gzipped     []byte // nil when compression does not pay
}

// webSite is the pages (index.html, the app; docs.html, the API reference),
// rewritten to name the hashed assets, and the assets.
//
//	index.html ── /assets/app.css  → /assets/app.3f0c…e1.css
//	           └─ /assets/app.js   → /assets/app.9ab2…07.js ── "./api.js" → "./api.5d1e…c4.js"
//
// An asset's hash covers its bytes after its own imports were rewritten, so
// changing a module changes the names of every module that imports it.
type webSite struct {
	index  webAsset             // pages["index.html"]
	pages  map[string]*webAsset // by file name
	assets map[string]*webAsset // by hashed name, "app.9ab20c33d107.js"
	hashed map[string]string    // plain name → hashed name
}

// assetTypes are the Content-Types of the kinds of file api/web may hold.
var assetTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".svg": "image/svg+xml",
}

var (
	// htmlAssetRef is a reference to an asset in index.html.
	htmlAssetRef = regexp.MustCompile(`/assets/([A-Za-z0-9_-]+\.[a-z]+)`)
	// jsImport is a static or dynamic import of a sibling module.
	jsImport = regexp.MustCompile(`(\b(?:from|import)\s*\(?\s*)(["'])\./([A-Za-z0-9_-]+\.js)(["'])`)
)

const hashLen = 12 // hex digits of SHA-256 in asset names

func mustBuildSite(files fs.FS) *webSite {
	sub, err := fs.Sub(files, "web")
	if err != nil {
		panic(err)
	}
	s, err := buildSite(sub)
	if err != nil {
		panic("api: embedded web page: " + err.Error())
	}
	return s
}

// buildSite hashes every asset of dir and rewrites the references to them.
func buildSite(dir fs.FS) (*webSite, error) {
	entries, err := fs.ReadDir(dir, ".")
	if err != nil {
		return nil, err
	}
	raw := map[string][]byte{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || path.Ext(name) == ".html" {
			continue
		}
		if _, ok := assetTypes[path.Ext(name)]; !ok {
			return nil, fmt.Errorf("%s: no content type for this kind of file", name)
		}
		if raw[name], err = fs.ReadFile(dir, name); err != nil {
			return nil, err
		}
	}
	s := &webSite{assets: map[string]*webAsset{}, hashed: map[string]string{}}
	visiting := map[string]bool{}
	var resolve func(name string) (string, error)
	resolve = func(name string) (string, error) {
		if h, ok := s.hashed[name]; ok {
			return h, nil
		}
		body, ok := raw[name]
		if !ok {
			return "", fmt.Errorf("no asset %q", name)
		}
		if visiting[name] {
			return "", fmt.Errorf("%s imports itself through a cycle", name)
		}
		visiting[name] = true
		if path.Ext(name) == ".js" {
			var err error
			body, err = replaceAll(jsImport, body, func(m [][]byte) ([]byte, error) {
				dep, err := resolve(string(m[3]))
				if err != nil {
					return nil, fmt.Errorf("%s: %w", name, err)
				}
				return fmt.Appendf(nil, "%s%s./%s%s", m[1], m[2], dep, m[4]), nil
			})
			if err != nil {
				return "", err
			}
		}
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])[:hashLen]
		ext := path.Ext(name)
		hashedName := strings.TrimSuffix(name, ext) + "." + hash + ext
		s.hashed[name] = hashedName
		s.assets[hashedName] = newWebAsset(assetTypes[ext], hash, body)
		return hashedName, nil
	}
	for name := range raw {
		if _, err := resolve(name); err != nil {
			return nil, err
		}
	}
	s.pages = map[string]*webAsset{}
	for _, e := range entries {
		if name := e.Name(); !e.IsDir() && path.Ext(name) == ".html" {
			if s.pages[name], err = buildPage(dir, name, s.hashed); err != nil {
				return nil, err
			}
		}
	}
	index, ok := s.pages["index.html"]
	if !ok {
		return nil, fmt.Errorf("no index.html")
	}
	s.index = *index
	return s, nil
}

// buildPage reads the page name and points its asset references at the
// hashed names.
func buildPage(dir fs.FS, name string, hashed map[string]string) (*webAsset, error) {
	page, err := fs.ReadFile(dir, name)
	if err != nil {
		return nil, err
	}
	page, err = replaceAll(htmlAssetRef, page, func(m [][]byte) ([]byte, error) {
		h, ok := hashed[string(m[1])]
		if !ok {
			return nil, fmt.Errorf("%s: no asset %q", name, m[1])
		}
		return []byte("/assets/" + h), nil
	})
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(page)
	return newWebAsset("text/html; charset=utf-8", hex.EncodeToString(sum[:])[:hashLen], page), nil
}

// replaceAll is regexp.ReplaceAllFunc with submatches and an error.
func replaceAll(re *regexp.Regexp, src []byte, repl func(m [][]byte) ([]byte, error)) ([]byte, error) {
	var out bytes.Buffer
	last := 0
	for _, loc := range re.FindAllSubmatchIndex(src, -1) {
		m := make([][]byte, len(loc)/2)
		for i := range m {
			if loc[2*i] >= 0 {
				m[i] = src[loc[2*i]:loc[2*i+1]]
			}
		}
		r, err := repl(m)
		if err != nil {
			return nil, err
		}
		out.Write(src[last:loc[0]])
		out.Write(r)
		last = loc[1]
	}
	out.Write(src[last:])
	return out.Bytes(), nil
}

func newWebAsset(contentType, hash string, body []byte) *webAsset {
	a := &webAsset{contentType: contentType, etag: `"` + hash + `"`, body: body}
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	if z.Len() < len(body)*9/10 {
		a.gzipped = z.Bytes()
	}
	return a
}

// serve writes a, gzipped when the client takes it, or 304 when the
// client's copy is current.
func (a *webAsset) serve(w http.ResponseWriter, r *http.Request, cacheControl string) {
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", cacheControl)
	h.Set("ETag", a.etag)
	h.Set("Vary", "Accept-Encoding")
	if etagMatches(r.Header.Get("If-None-Match"), a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if a.gzipped != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body = a.gzipped
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// etagMatches reports whether an If-None-Match header names etag.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// page serves index.html. It is revalidated on every visit (no-cache)
// so a new release is picked up at once; the assets it names never change.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	site.index.serve(w, r, "no-cache")
}

// docs serves the API reference page, which renders /openapi.json in the
// browser with the page's own scripts: nothing comes from elsewhere, so it
// works offline.
func (s *Server) docs(w http.ResponseWriter, r *http.Request) {
	site.pages["docs.html"].serve(w, r, "no-cache")
}

// asset serves a content-hashed asset, cached for a year. A name that
// is not the current hash of an asset is 404.
func (s *Server) asset(w http.ResponseWriter, r *http.Request) {
	a := site.assets[chi.URLParam(r, "name")]
	if a == nil {
		writeProblem(w, r, http.StatusNotFound, "no such asset", nil)
		return
	}
	a.serve(w, r, "public, max-age=31536000, immutable")
}

// prefersJSON reports whether a client asked for JSON rather than a page,
// as API clients that predate the web page do.
func prefersJSON(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html")
}
