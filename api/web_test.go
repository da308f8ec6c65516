package api

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/net/html"
)

var hashedRef = regexp.MustCompile(`/assets/([A-Za-z0-9_-]+)\.([0-9a-f]{12})\.(js|css|svg)`)

func getWith(e *testEnv, path string, header map[string]string) response {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.http.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return e.send(req)
}

func TestRootServesPageWithHashedAssets(t *testing.T) {
	e := newTestEnv(t, Config{})
	r := getWith(e, "/", map[string]string{"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
	expect(t, "page", r, 200)
	if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q, want no-cache", cc)
	}
	if r.Header.Get("Content-Security-Policy") == "" {
		t.Error("the page has no Content-Security-Policy")
	}
	page := string(r.Body)
	for _, want := range []string{"app.js", "app.css"} {
		name, ext, _ := strings.Cut(want, ".")
		if !regexp.MustCompile(`/assets/` + name + `\.[0-9a-f]{12}\.` + ext).MatchString(page) {
			t.Errorf("the page does not reference a hashed %s", want)
		}
	}
	if regexp.MustCompile(`/assets/[a-z]+\.(js|css|svg)\b`).MatchString(page) {
		t.Error("the page references an asset without its hash")
	}

	// A plain GET (curl's */*) gets the page too; an API client asking for JSON the banner.
	if r := e.do("GET", "/", "", nil); !bytes.Contains(r.Body, []byte("<!doctype html>")) {
		t.Errorf("GET / without Accept: %.80s", r.Body)
	}
	r = getWith(e, "/", map[string]string{"Accept": "application/json"})
	var banner map[string]string
	r.JSON(t, &banner)
	if banner["message"] == "" {
		t.Errorf("JSON banner %s", r.Body)
	}
}

// TestAssetsImmutableWithContentTypes follows every reference from the
// page and from module imports, so each served module can load its imports.
func TestAssetsImmutableWithContentTypes(t *testing.T) {
	e := newTestEnv(t, Config{})
	types := map[string]string{"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8", "svg": "image/svg+xml"}
	seen := map[string]bool{}
	todo := hashedRef.FindAllStringSubmatch(string(e.do("GET", "/", "", nil).Body), -1)
	imports := regexp.MustCompile(`from\s*"\./([A-Za-z0-9_-]+)\.([0-9a-f]{12})\.js"`)
	total := 0
	for len(todo) > 0 {
		m := todo[0]
		todo = todo[1:]
		ext := m[len(m)-1]
		path := "/assets/" + m[1] + "." + m[2] + "." + ext
		if seen[path] {
			continue
		}
		seen[path] = true
		r := e.do("GET", path, "", nil)
		expect(t, path, r, 200)
		if got := r.Header.Get("Content-Type"); got != types[ext] {
			t.Errorf("%s: Content-Type %q, want %q", path, got, types[ext])
		}
		if got := r.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", path, got)
		}
		if r.Header.Get("Content-Security-Policy") == "" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: security headers missing", path)
		}
		total += len(r.Body)
		if ext == "js" {
			for _, im := range imports.FindAllStringSubmatch(string(r.Body), -1) {
				todo = append(todo, []string{im[0], im[1], im[2], "js"})
			}
			if bytes.Contains(r.Body, []byte(`from "./`)) && !imports.Match(r.Body) {
				t.Errorf("%s imports an unhashed module", path)
			}
		}
	}
	for _, name := range []string{"app", "api", "ui", "markdown", "documents", "chat", "search"} {
		found := false
		for p := range seen {
			found = found || strings.HasPrefix(p, "/assets/"+name+".")
		}
		if !found {
			t.Errorf("module %s.js is not reachable from the page", name)
		}
	}
	if total > 200<<10 {
		t.Errorf("assets weigh %d bytes, over the 200 KiB budget", total)
	}
	t.Logf("%d assets, %d bytes", len(seen), total)
}

func TestAssetWrongHashIs404(t *testing.T) {
	e := newTestEnv(t, Config{})
	m := hashedRef.FindStringSubmatch(string(e.do("GET", "/", "", nil).Body))
	if m == nil {
		t.Fatal("no hashed asset in the page")
	}
	for _, path := range []string{
		"/assets/" + m[1] + ".000000000000." + m[3], // stale hash
		"/assets/" + m[1] + "." + m[3],              // no hash
		"/assets/index.html",
		"/assets/nothing.0123456789ab.js",
		"/assets/..%2findex.html",
		"/assets/",
	} {
		r := e.do("GET", path, "", nil)
		if r.Status != 404 {
			t.Errorf("%s: status %d, want 404", path, r.Status)
		}
		if r.Header.Get("Cache-Control") != "" {
			t.Errorf("%s: a 404 is cacheable: %q", path, r.Header.Get("Cache-Control"))
		}
	}
}

func TestAssetsGzipAndRevalidation(t *testing.T) {
	e := newTestEnv(t, Config{})
	page := e.do("GET", "/", "", nil)
	js := regexp.MustCompile(`/assets/app\.[0-9a-f]{12}\.js`).FindString(string(page.Body))
	plain := e.do("GET", js, "", nil)

	req, _ := http.NewRequest("GET", e.http.URL+js, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req) // the transport would undo the gzip itself
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("not gzipped: %v", resp.Header)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if !bytes.Equal(unzipped, plain.Body) {
		t.Error("the gzipped asset differs from the plain one")
	}

	for _, path := range []string{js, "/"} {
		etag := e.do("GET", path, "", nil).Header.Get("ETag")
		if etag == "" {
			t.Fatalf("%s: no ETag", path)
		}
		r := getWith(e, path, map[string]string{"If-None-Match": etag})
		if r.Status != http.StatusNotModified || len(r.Body) != 0 {
			t.Errorf("%s revalidated: %d, %d bytes", path, r.Status, len(r.Body))
		}
	}
}

// TestPageHasNoInlineCode checks what the Content-Security-Policy would
// refuse: inline scripts, event handler attributes, style attributes and
// <style> elements; and that the scripts never hand text to the HTML parser.
func TestPageHasNoInlineCode(t *testing.T) {
	if len(site.pages) < 2 {
		t.Fatalf("pages: %v", site.pages)
	}
	for name, page := range site.pages {
		t.Run(name, func(t *testing.T) { checkNoInlineCode(t, page.body) })
	}
	for name, a := range site.assets {
		if !strings.HasSuffix(name, ".js") {
			continue
		}
		for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
			if bytes.Contains(a.body, []byte(bad)) {
				t.Errorf("%s uses %s", name, bad)
			}
		}
	}
}

// checkNoInlineCode checks one page.
func checkNoInlineCode(t *testing.T, page []byte) {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	scripts := 0
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			src := ""
			for _, a := range n.Attr {
				switch {
				case strings.HasPrefix(strings.ToLower(a.Key), "on"):
					t.Errorf("<%s %s=…>: inline event handler", n.Data, a.Key)
				case strings.EqualFold(a.Key, "style"):
					t.Errorf("<%s style=…>: inline style", n.Data)
				case a.Key == "src":
					src = a.Val
				case a.Key == "href" && strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:"):
					t.Errorf("<%s href=javascript:…>", n.Data)
				}
			}
			switch n.Data {
			case "script":
				scripts++
				if src == "" || n.FirstChild != nil {
					t.Errorf("inline <script> (src %q)", src)
				}
			case "style":
				t.Error("inline <style> element")
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if scripts != 1 {
		t.Errorf("%d scripts, want the one module", scripts)
	}
}

// The API reference is a page of docent's own: served to anyone, under the
// same Content-Security-Policy, naming only docent's assets, with a script
// that reads /openapi.json and nothing else.
func TestDocsPageIsSelfContained(t *testing.T) {
	e := newTestEnv(t, Config{})
	r := e.do("GET", "/docs", "", nil)
	expect(t, "GET /docs", r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" || !strings.Contains(r.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("Content-Type %q, CSP %q", ct, r.Header.Get("Content-Security-Policy"))
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(string(r.Body), -1)
	scripts := 0
	for _, m := range refs {
		ref := m[1]
		switch {
		case ref == "/" || ref == "/openapi.json" || strings.HasPrefix(ref, "#"):
		case strings.HasPrefix(ref, "/assets/"):
			expect(t, ref, e.do("GET", ref, "", nil), http.StatusOK)
			if strings.HasSuffix(ref, ".js") {
				scripts++
				js := string(e.do("GET", ref, "", nil).Body)
				if strings.Count(js, "fetch(") != 1 || !strings.Contains(js, `fetch("/openapi.json"`) || regexp.MustCompile(`https?://`).MatchString(js) {
					t.Errorf("%s fetches something besides /openapi.json", ref)
				}
			}
		default:
			t.Errorf("the page refers to %q, outside docent", ref)
		}
	}
	if scripts != 1 {
		t.Errorf("%d scripts on the page", scripts)
	}
}

func TestBuildSiteHashesThroughImports(t *testing.T) {
	files := fstest.MapFS{
		"index.html": {Data: []byte(`<link href="/assets/app.css"><script type="module" src="/assets/app.js"></script>`)},
		"app.js":     {Data: []byte(`import { x } from "./lib.js";` + "\n" + `import("./lazy.js");`)},
		"lib.js":     {Data: []byte(`export const x = 1;`)},
		"lazy.js":    {Data: []byte(`export {};`)},
		"app.css":    {Data: []byte(`body{}`)},
	}
	s, err := buildSite(files)
	if err != nil {
		t.Fatal(err)
	}
	app := s.assets[s.hashed["app.js"]]
	for _, dep := range []string{"lib.js", "lazy.js"} {
		if !bytes.Contains(app.body, []byte(`"./`+s.hashed[dep]+`"`)) {
			t.Errorf("app.js does not import %s by its hashed name: %s", dep, app.body)
		}
	}
	if !bytes.Contains(s.index.body, []byte("/assets/"+s.hashed["app.js"])) || !bytes.Contains(s.index.body, []byte("/assets/"+s.hashed["app.css"])) {
		t.Errorf("index not rewritten: %s", s.index.body)
	}

	// Changing a dependency renames it and every module importing it.
	files["lib.js"] = &fstest.MapFile{Data: []byte(`export const x = 2;`)}
	s2, err := buildSite(files)
	if err != nil {
		t.Fatal(err)
	}
	if s2.hashed["lib.js"] == s.hashed["lib.js"] || s2.hashed["app.js"] == s.hashed["app.js"] {
		t.Error("a changed import did not change the importer's hash")
	}
	if s2.hashed["app.css"] != s.hashed["app.css"] || s2.hashed["lazy.js"] != s.hashed["lazy.js"] {
		t.Error("unrelated assets changed names")
	}

	broken := map[string]fstest.MapFS{
		"cycle":          {"index.html": {}, "a.js": {Data: []byte(`import "./b.js";`)}, "b.js": {Data: []byte(`import "./a.js";`)}},
		"missing import": {"index.html": {}, "a.js": {Data: []byte(`import { y } from "./gone.js";`)}},
		"missing asset":  {"index.html": {Data: []byte(`<script src="/assets/gone.js"></script>`)}},
		"unknown type":   {"index.html": {}, "notes.txt": {Data: []byte("x")}},
		"no index":       {"a.js": {Data: []byte("")}},
	}
	for name, fsys := range broken {
		if _, err := buildSite(fsys); err == nil {
			t.Errorf("%s: built without error", name)
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"": false, "gzip": true, "deflate, gzip;q=0.8": true, "br, GZIP": true, "gzip;q=0": false, "identity": false, "x-gzip": false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v", header, got)
		}
	}
}
