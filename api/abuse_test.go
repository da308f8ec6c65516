package api

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Abuse tables: hostile bodies, JSON and paging here; uploads in
// abuse_upload_test.go, hostile documents in abuse_hostile_test.go and
// logins in abuse_login_test.go. documents_test.go and server_test.go cover
// the first cases (one oversized file, one empty file, a few JSON bodies on
// POST /conversations, simple filenames); these add the measurements and
// the rest. Tests marked "Regression" found a bug that has been fixed since.

// countingReader counts the bytes the server took from a request body.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// repeated is an endless stream of one byte.
type repeated byte

func (b repeated) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// serveCounting sends body straight to the router (no sockets, so the
// count is exactly what the handler read) and returns the response and the
// number of body bytes read. declared sets Content-Length; -1 sends none.
func (e *testEnv) serveCounting(method, path, token, contentType string, body io.Reader, declared int64) (*httptest.ResponseRecorder, int64) {
	cr := &countingReader{r: body}
	req := httptest.NewRequest(method, path, cr)
	req.ContentLength = declared
	if declared < 0 {
		req.TransferEncoding = []string{"chunked"}
	}
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	return rec, cr.n.Load()
}

// hugeJSON is a 64 MiB JSON object with one string field.
func hugeJSON(field string) io.Reader {
	return io.MultiReader(strings.NewReader(`{"`+field+`":"`), io.LimitReader(repeated('x'), 64<<20), strings.NewReader(`"}`))
}

func TestOversizedBodiesAre413BeforeTheyAreRead(t *testing.T) {
	e := newTestEnv(t, Config{MaxUpload: 1 << 20})
	admin := e.register("admin")
	ann := e.register("ann")
	conv := e.conversation(ann.Token)
	const slack = 64 << 10 // what buffered readers may take beyond a limit
	json := []struct {
		method, path, token, field string
	}{
		{"POST", "/api/v1/auth/register", "", "username"},
		{"POST", "/api/v1/auth/token", "", "password"},
		{"POST", "/api/v1/conversations", ann.Token, "title"},
		{"PUT", sprintf("/api/v1/conversations/%d", conv), ann.Token, "title"},
		{"POST", sprintf("/api/v1/conversations/%d/messages", conv), ann.Token, "content"},
		{"POST", "/api/v1/search", ann.Token, "query"},
		{"PATCH", "/api/v1/users/me", ann.Token, "username"},
		{"PATCH", sprintf("/api/v1/users/%d", ann.ID), admin.Token, "role"},
	}
	for _, c := range json {
		for _, declared := range []int64{-1, 64<<20 + 100} {
			name := sprintf("%s %s, Content-Length %d", c.method, c.path, declared)
			rec, n := e.serveCounting(c.method, c.path, c.token, "application/json", hugeJSON(c.field), declared)
			if rec.Code != http.StatusRequestEntityTooLarge || n > maxJSONBody+slack {
				t.Errorf("%s: %d after reading %d bytes, want 413 after at most %d: %s", name, rec.Code, n, maxJSONBody+slack, rec.Body)
			}
		}
	}
	// Uploads: a 64 MiB file part stops at the 1 MiB per-file limit; a
	// declared body over the whole-request limit is refused unread.
	upload := func() (io.Reader, string) {
		boundary := "abuse-boundary"
		head := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\nContent-Type: text/plain\r\n\r\n"
		return io.MultiReader(strings.NewReader(head), io.LimitReader(repeated('a'), 64<<20), strings.NewReader("\r\n--"+boundary+"--\r\n")),
			"multipart/form-data; boundary=" + boundary
	}
	body, ct := upload()
	rec, n := e.serveCounting("POST", "/api/v1/documents?wait=true", ann.Token, ct, body, -1)
	if rec.Code != http.StatusRequestEntityTooLarge || n > 1<<20+slack {
		t.Errorf("64 MiB file, limit 1 MiB: %d after reading %d bytes: %s", rec.Code, n, rec.Body)
	}
	body, ct = upload()
	rec, n = e.serveCounting("POST", "/api/v1/documents?wait=true", ann.Token, ct, body, 1<<40)
	if rec.Code != http.StatusRequestEntityTooLarge || n != 0 {
		t.Errorf("declared 1 TiB upload: %d after reading %d bytes, want 413 unread", rec.Code, n)
	}
	// Not authenticated: nothing is read at all.
	rec, n = e.serveCounting("POST", "/api/v1/documents", "", ct, hugeJSON("x"), -1)
	if rec.Code != http.StatusUnauthorized || n != 0 {
		t.Errorf("anonymous upload: %d after reading %d bytes", rec.Code, n)
	}
	expectNoDocuments(t, e, ann)

	// Over a real socket, the answer comes while the client is still
	// sending: the chunked body never ends, so waiting for it would hang.
	for _, c := range []struct{ path, ct, start string }{
		{sprintf("/api/v1/conversations/%d/messages", conv), "application/json", `{"content":"`},
		{"/api/v1/documents", ct, "--abuse-boundary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n\r\n"},
	} {
		status, err := endlessBody(e, ann.Token, c.path, c.ct, c.start)
		if err != nil || status != http.StatusRequestEntityTooLarge {
			t.Errorf("endless body to %s: %d %v, want 413 while still sending", c.path, status, err)
		}
	}
	expect(t, "still serving", e.do("GET", "/health", "", nil), 200)
}

// endlessBody posts a chunked body that starts with start and never ends,
// on a raw connection, and returns the status the server answers with.
func endlessBody(e *testEnv, token, path, contentType, start string) (int, error) {
	conn, err := net.Dial("tcp", e.http.Listener.Addr().String())
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	go func() {
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: docent\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n",
			path, token, contentType, len(start), start)
		chunk := []byte(sprintf("%x\r\n%s\r\n", 32<<10, strings.Repeat("z", 32<<10)))
		for {
			if _, err := conn.Write(chunk); err != nil {
				return // the server has closed: the test is over
			}
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// The OAuth2 form of the token endpoint is a body too: over the limit it is
// 413, like the JSON form.
func TestOversizedLoginFormIs413(t *testing.T) {
	e := newTestEnv(t, Config{})
	e.register("ann")
	form := io.MultiReader(strings.NewReader("username=ann&password="), io.LimitReader(repeated('x'), 64<<20))
	rec, n := e.serveCounting("POST", "/api/v1/auth/token", "", "application/x-www-form-urlencoded", form, -1)
	if n > maxJSONBody+64<<10 {
		t.Errorf("read %d bytes of a 64 MiB login form", n)
	}
	if rec.Code != http.StatusRequestEntityTooLarge {
		// Regression: readTokenRequest once ignored ParseMultipartForm's
		// http.ErrNotMultipart, which for a urlencoded body hid the failure
		// of its ParseForm: the MaxBytesError was dropped, the form was
		// empty, and the answer was 422 "username: is required".
		t.Errorf("64 MiB login form: %d, want 413: %s", rec.Code, rec.Body)
	}
}

// JSON abuse on every JSON endpoint: 4xx with a detail that says what is
// wrong (naming the field where there is one), never a 5xx, never a Go
// error string.
func TestJSONAbuseOnEveryEndpoint(t *testing.T) {
	e := newTestEnv(t, Config{})
	admin := e.register("admin")
	ann := e.register("ann")
	conv := e.conversation(ann.Token)
	endpoints := []struct {
		method, path, token string
		str, num, list      string // a string, a number and an array-of-ids field of the body, if any
	}{
		{"POST", "/api/v1/auth/register", "", "username", "", ""},
		{"POST", "/api/v1/auth/token", "", "username", "", ""},
		{"POST", "/api/v1/conversations", ann.Token, "title", "", ""},
		{"PUT", sprintf("/api/v1/conversations/%d", conv), ann.Token, "title", "", ""},
		{"POST", sprintf("/api/v1/conversations/%d/messages", conv), ann.Token, "content", "top_k", "document_ids"},
		{"POST", "/api/v1/search", ann.Token, "query", "top_k", "document_ids"},
		{"PATCH", "/api/v1/users/me", ann.Token, "email", "", ""},
		{"PATCH", sprintf("/api/v1/users/%d", ann.ID), admin.Token, "role", "", ""},
	}
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, ep := range endpoints {
		type abuse struct {
			name, body string
			status     int    // 0: any 4xx
			detail     string // the detail must contain this
		}
		cases := []abuse{
			{"unknown field", `{"zz_unknown_field":1}`, 422, "zz_unknown_field"},
			{"unknown nested object", `{"zz_extra":{"a":[1,2,{"b":null}]}}`, 422, "zz_extra"},
			{"string field as number", sprintf(`{"%s":12345}`, ep.str), 422, ep.str},
			{"string field as object", sprintf(`{"%s":{"$ne":null}}`, ep.str), 422, ep.str},
			{"string field as array", sprintf(`{"%s":["a","b"]}`, ep.str), 422, ep.str},
			{"string field as bool", sprintf(`{"%s":true}`, ep.str), 422, ep.str},
			{"deep nesting in a field", sprintf(`{"%s":%s}`, ep.str, deep(100000)), 400, ""}, // detail: TestDeepJSONSaysNestedTooDeeply
			{"deep nesting under the limit", sprintf(`{"%s":%s}`, ep.str, deep(9000)), 422, ep.str},
			{"deep objects", strings.Repeat(`{"a":`, 50000) + "1" + strings.Repeat("}", 50000), 400, ""},
			{"invalid UTF-8 in a value", "{\"" + ep.str + "\":\"a\xc3\x28b\"}", 400, "UTF-8"},
			{"invalid UTF-8 in a key", "{\"\xff\xfe\":\"a\"}", 400, "UTF-8"},
			{"overlong UTF-8 slash", "{\"" + ep.str + "\":\"\xc0\xaf\"}", 400, "UTF-8"},
			{"UTF-16 body", "\xff\xfe{\x00}\x00", 400, "UTF-8"},
			{"byte order mark", "\xef\xbb\xbf{}", 400, "JSON"},
			{"top-level array", `[{}]`, 422, "object"},
			{"top-level string", `"hello"`, 422, "object"},
			{"top-level number", `1e999`, 422, "object"},
			{"truncated", `{"` + ep.str + `":"abc`, 400, "JSON"},
			{"trailing garbage", `{} trailing`, 400, ""},
			{"two objects", `{}{}`, 400, "more than one"},
			{"single quotes", `{'` + ep.str + `':'x'}`, 400, "JSON"},
			{"comments", `{/* c */}`, 400, "JSON"},
			{"NaN", `{"` + ep.str + `":NaN}`, 400, "JSON"},
			{"empty body", ``, 400, "empty"},
			{"whitespace body", "  \n\t ", 400, "empty"},
		}
		if ep.num != "" {
			cases = append(cases,
				abuse{"number overflows float64", sprintf(`{"%s":"q","%s":1e400}`, ep.str, ep.num), 422, ep.num},
				abuse{"number overflows int64", sprintf(`{"%s":"q","%s":99999999999999999999999}`, ep.str, ep.num), 422, ep.num},
				abuse{"fraction for an integer", sprintf(`{"%s":"q","%s":2.5}`, ep.str, ep.num), 422, ep.num},
				abuse{"negative zero", sprintf(`{"%s":"q","%s":-0}`, ep.str, ep.num), 422, ep.num},
				abuse{"max int64", sprintf(`{"%s":"q","%s":9223372036854775807}`, ep.str, ep.num), 422, ep.num},
				abuse{"min int64", sprintf(`{"%s":"q","%s":-9223372036854775808}`, ep.str, ep.num), 422, ep.num},
				abuse{"number as string", sprintf(`{"%s":"q","%s":"5"}`, ep.str, ep.num), 422, ep.num},
				abuse{"id over uint64", sprintf(`{"%s":"q","%s":[18446744073709551616]}`, ep.str, ep.list), 422, ep.list},
				abuse{"negative id", sprintf(`{"%s":"q","%s":[-1]}`, ep.str, ep.list), 422, ep.list},
				abuse{"ids as object", sprintf(`{"%s":"q","%s":{"1":1}}`, ep.str, ep.list), 422, ep.list},
				abuse{"2000 ids", sprintf(`{"%s":"q","%s":[%s1]}`, ep.str, ep.list, strings.Repeat("1,", 1999)), 422, ep.list},
			)
		}
		if ep.path == "/api/v1/conversations" {
			// An empty body is allowed here: the title is optional.
			cases = slices.DeleteFunc(cases, func(c abuse) bool { return c.name == "empty body" })
		}
		for _, c := range cases {
			name := ep.method + " " + ep.path + ": " + c.name
			r := e.do(ep.method, ep.path, ep.token, c.body)
			if r.Status < 400 || r.Status >= 500 || (c.status != 0 && r.Status != c.status) {
				t.Errorf("%s: %d, want %d: %.300s", name, r.Status, c.status, r.Body)
				continue
			}
			p := problemOf(t, name, r)
			if !strings.Contains(p.Detail, c.detail) {
				t.Errorf("%s: detail %q lacks %q", name, p.Detail, c.detail)
			}
			for _, leak := range []string{"json:", "Go ", "struct", "api.", ".go", "uint64", "int64", "float64", "reflect", "unmarshal"} {
				if strings.Contains(p.Detail, leak) {
					t.Errorf("%s: detail %q leaks Go internals (%q)", name, p.Detail, leak)
				}
			}
		}
	}
	// Nothing abusive was stored.
	var msgs []messageJSON
	e.do("GET", sprintf("/api/v1/conversations/%d/messages", conv), ann.Token, nil).JSON(t, &msgs)
	if len(msgs) != 0 {
		t.Errorf("abusive questions were stored: %+v", msgs)
	}
	expect(t, "ann's account unchanged", e.do("GET", "/api/v1/auth/me", ann.Token, nil), 200)
}

// JSON nested deeper than the decoder allows is valid JSON; the answer
// should say what is wrong with it, as jsonError means to ("nested too
// deeply"), not call it invalid.
func TestDeepJSONSaysNestedTooDeeply(t *testing.T) {
	e := newTestEnv(t, Config{})
	ann := e.register("ann")
	body := `{"title":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`
	r := e.do("POST", "/api/v1/conversations", ann.Token, body)
	expect(t, "deep JSON", r, http.StatusBadRequest)
	if d := r.Detail(); !strings.Contains(d, "nested too deeply") {
		// Regression: encoding/json reports the depth limit as a
		// *json.SyntaxError, so a SyntaxError case placed before the depth
		// case calls deep JSON invalid.
		t.Errorf("20000 nested arrays: detail %q, want it to say the body is nested too deeply", d)
	}
}

// Paging parameters: out of range or overflowing values are 422, never a
// 5xx; the largest valid skip is an empty page.
//
// Regression (GET /api/v1/documents/{id}/chunks): documentChunks computed
// min(skip+limit, len(chunks)); skip+limit overflowed for skips near
// MaxInt64, chunks[lo:hi] panicked and the recoverer answered 500.
func TestPagingAbuse(t *testing.T) {
	e := newTestEnv(t, Config{})
	admin := e.register("admin")
	doc := e.ingest(admin.Token, campingGuide)[0]
	conv := e.conversation(admin.Token)
	lists := []string{"/api/v1/users", "/api/v1/conversations", "/api/v1/documents",
		sprintf("/api/v1/conversations/%d/messages", conv), sprintf("/api/v1/documents/%d/chunks", doc.ID)}
	for _, list := range lists {
		for _, q := range []string{"skip=-1", "limit=0", "limit=1001", "limit=-5", "skip=abc", "limit=1e3", "skip=9223372036854775808",
			"skip=99999999999999999999", "limit=%00"} {
			r := e.do("GET", list+"?"+q, admin.Token, nil)
			if r.Status != 422 {
				t.Errorf("%s?%s: %d, want 422: %s", list, q, r.Status, r.Body)
			}
		}
		// The largest skips are valid and past the end: an empty page.
		for _, q := range []string{"skip=9223372036854775807", "skip=9223372036854775807&limit=1000", "skip=9223372036854774999&limit=1000"} {
			r := e.do("GET", list+"?"+q, admin.Token, nil)
			if r.Status != 200 || strings.TrimSpace(string(r.Body)) != "[]" {
				t.Errorf("%s?%s: %d %s, want 200 []", list, q, r.Status, r.Body)
			}
		}
	}
}
