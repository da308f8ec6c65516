package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"docent/chat"
	"docent/ingest"
	"docent/store"
)

// Fuzz targets for the HTTP surface, through the real router. Seed corpora
// live in testdata/fuzz/<FuzzName>/; run one with
//
//	go test ./api -run '^$' -fuzz '^FuzzJSONBodies$' -fuzztime 60s
//
// Every input must end in a 2xx or a problem+json 4xx, never a 5xx, and
// leave the store as consistent as it found it.

// fuzzEnv is a server for one fuzzing process: admin, ann (a plain user
// with a conversation) and bob.
type fuzzEnv struct {
	*testEnv
	admin, ann, bob uint64
	conv            uint64
	ws              uint64 // ann's workspace
}

// newFuzzEnv is newTestEnv for a fuzz target: the rate limits are out of
// the way and extraction is bounded tightly so that one input stays fast.
func newFuzzEnv(f *testing.F, cfg Config) *fuzzEnv {
	f.Helper()
	cfg.LoginRate, cfg.RegisterRate = 1<<30, 1<<30
	engine, _ := chat.New(chat.Config{})
	var log *slog.Logger // DOCENT_FUZZ_LOG=1 shows the server log, for finding the cause of a 5xx
	if os.Getenv("DOCENT_FUZZ_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	fe := &fuzzEnv{testEnv: startEnv(f, cfg, envDeps{tokenTTL: time.Hour, chat: engine, log: log,
		ingest: ingest.Options{Limits: ingest.Limits{MaxBytes: 1 << 20, MaxExtracted: 1 << 20, Timeout: 5 * time.Second}}})}

	register := func(name string) uint64 {
		rec := fe.serve("POST", "/api/v1/auth/register", "", "application/json",
			[]byte(sprintf(`{"username":%q,"email":"%s@example.com","password":"password-%s"}`, name, name, name)))
		var u userJSON
		if rec.Code != http.StatusCreated || json.Unmarshal(rec.Body.Bytes(), &u) != nil {
			f.Fatalf("register %s: %d %s", name, rec.Code, rec.Body)
		}
		return u.ID
	}
	fe.admin, fe.ann, fe.bob = register("admin"), register("ann"), register("bob")
	rec := fe.serve("POST", "/api/v1/conversations", fe.token(f, fe.ann), "application/json", []byte(`{"title":"fuzz"}`))
	var c conversationJSON
	if rec.Code != http.StatusCreated || json.Unmarshal(rec.Body.Bytes(), &c) != nil {
		f.Fatalf("conversation: %d %s", rec.Code, rec.Body)
	}
	fe.conv = c.ID
	rec = fe.serve("POST", "/api/v1/workspaces", fe.token(f, fe.ann), "application/json", []byte(`{"name":"fuzz","visibility":"members"}`))
	var ws workspaceJSON
	if rec.Code != http.StatusCreated || json.Unmarshal(rec.Body.Bytes(), &ws) != nil {
		f.Fatalf("workspace: %d %s", rec.Code, rec.Body)
	}
	fe.ws = ws.ID
	rec = fe.serve("POST", "/api/v1/documents?wait=true", fe.token(f, fe.ann), "multipart/form-data; boundary=B",
		[]byte("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"guide.md\"\r\n\r\n"+string(campingGuide.data)+"\r\n--B--\r\n"))
	if rec.Code != http.StatusCreated {
		f.Fatalf("upload: %d %s", rec.Code, rec.Body)
	}
	return fe
}

// token is a fresh token for user id at its current token version, so a
// fuzzed password change never locks the target out.
func (fe *fuzzEnv) token(tb testing.TB, id uint64) string {
	u, err := fe.db.UserByID(context.Background(), id)
	if err != nil {
		tb.Fatalf("user %d: %v", id, err)
	}
	tok, err := fe.tokens.Issue(u.ID, u.TokenVersion)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// serve sends one request straight to the router.
func (fe *fuzzEnv) serve(method, target, token, contentType string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	fe.srv.Handler().ServeHTTP(rec, req)
	return rec
}

// checkAnswer fails unless rec is a 2xx with a JSON (or event-stream) body
// or a 4xx problem+json with a detail that leaks no Go internals.
func checkAnswer(t *testing.T, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	ct := rec.Header().Get("Content-Type")
	switch {
	case rec.Code >= 500 || rec.Code < 200 || (rec.Code >= 300 && rec.Code < 400):
		t.Fatalf("%s: status %d: %s", what, rec.Code, rec.Body)
	case rec.Code >= 400 && strings.Contains(what, " /v1/"):
		var e openAIError
		if ct != "application/json" || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error.Message == "" || e.Error.Type == "" {
			t.Fatalf("%s: %d is not an OpenAI error (%s): %s", what, rec.Code, ct, rec.Body)
		}
	case rec.Code >= 400:
		var p Problem
		if ct != "application/problem+json" || json.Unmarshal(rec.Body.Bytes(), &p) != nil || p.Status != rec.Code || p.Detail == "" {
			t.Fatalf("%s: %d is not a problem+json with status and detail (%s): %s", what, rec.Code, ct, rec.Body)
		}
		for _, leak := range []string{"json:", "runtime error", ".go:", "goroutine", "reflect."} {
			if strings.Contains(p.Detail, leak) {
				t.Fatalf("%s: detail %q leaks %q", what, p.Detail, leak)
			}
		}
	case ct == "text/event-stream" && strings.Contains(what, " /v1/"):
		if b := rec.Body.String(); !strings.HasSuffix(b, "data: [DONE]\n\n") && !strings.Contains(b, `data: {"error"`) {
			t.Fatalf("%s: event stream neither done nor failed: %s", what, b)
		}
	case ct == "text/event-stream":
		if b := rec.Body.String(); !strings.Contains(b, "event: done") && !strings.Contains(b, "event: error") {
			t.Fatalf("%s: event stream neither done nor failed: %s", what, b)
		}
	default:
		if ct != "application/json" || !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s: %d with %q and body %s", what, rec.Code, ct, rec.Body)
		}
	}
}

// jsonTargets are the endpoints with a JSON body; {conv} and {bob} are
// filled with the fuzz environment's ids.
var jsonTargets = []struct {
	method, path string
	as           string // "", "ann" or "admin"
}{
	{"POST", "/api/v1/auth/register", ""},
	{"POST", "/api/v1/auth/token", ""},
	{"POST", "/api/v1/conversations", "ann"},
	{"PUT", "/api/v1/conversations/{conv}", "ann"},
	{"POST", "/api/v1/conversations/{conv}/messages", "ann"},
	{"POST", "/api/v1/search", "ann"},
	{"PATCH", "/api/v1/users/me", "ann"},
	{"PATCH", "/api/v1/users/{bob}", "admin"},
	{"POST", "/api/v1/ask", "ann"},
	{"POST", "/v1/chat/completions", "ann"},
	{"POST", "/api/v1/workspaces", "ann"},
	{"PATCH", "/api/v1/workspaces/{ws}", "ann"},
	{"PUT", "/api/v1/workspaces/{ws}/members/{bob}", "ann"},
	{"POST", "/api/v1/keys", "ann"},
}

// fuzzContentTypes are the request content types tried.
var fuzzContentTypes = []string{
	"application/json", "", "application/json; charset=utf-8", "text/plain",
	"application/x-www-form-urlencoded", "multipart/form-data; boundary=B",
}

func FuzzJSONBodies(f *testing.F) {
	seeds := []string{
		`{"username":"fuzzer","email":"fuzzer@example.com","password":"long-enough"}`,
		`{"username":"ann","password":"password-ann"}`,
		`{"title":"Trip"}`,
		`{"content":"How long should water boil at altitude?","top_k":3}`,
		`{"content":"Osprey tent?","stream":true}`,
		`{"query":"tent weight","top_k":5,"mode":"keyword","document_ids":[1]}`,
		`{"email":"ann2@example.com"}`,
		`{"question":"How long should water boil?","top_k":2,"stream":true}`,
		`{"is_active":false,"role":"admin"}`,
		`username=ann&password=password-ann&grant_type=password`,
		"--B\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nann\r\n--B--\r\n",
		`{"title":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`,
		"{\"title\":\"\xff\"}", `{"top_k":1e400}`, `{} {}`, `null`, `[]`, ``,
		`{"model":"docent","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"How long to boil water?"}],"stream":true}`,
		`{"model":"docent/fuzz","messages":[{"role":"user","content":[{"type":"text","text":"tent?"},{"type":"image_url"}]}],"max_tokens":5}`,
		`{"messages":[{"role":"assistant","content":null}],"n":2,"temperature":-1}`,
		`{"name":"Team","visibility":"members"}`, `{"access":"write"}`, `{"name":"key","scope":"write"}`,
		`{"workspace_id":1,"document_ids":[1]}`,
	}
	for i := range jsonTargets {
		for _, s := range seeds {
			f.Add(uint8(i), uint8(0), []byte(s))
		}
	}
	fe := newFuzzEnv(f, Config{})
	f.Fuzz(func(t *testing.T, target, contentType uint8, body []byte) {
		tg := jsonTargets[int(target)%len(jsonTargets)]
		ct := fuzzContentTypes[int(contentType)%len(fuzzContentTypes)]
		path := strings.NewReplacer("{conv}", sprintf("%d", fe.conv), "{bob}", sprintf("%d", fe.bob), "{ws}", sprintf("%d", fe.ws)).Replace(tg.path)
		token := ""
		switch tg.as {
		case "ann":
			token = fe.token(t, fe.ann)
		case "admin":
			token = fe.token(t, fe.admin)
		}
		rec := fe.serve(tg.method, path, token, ct, body)
		checkAnswer(t, tg.method+" "+tg.path, rec)
	})
}

// documentIDs lists the ids of ann's documents (and the shared library's).
func (fe *fuzzEnv) documentIDs(t *testing.T) []uint64 {
	docs, err := fe.db.Documents(context.Background(), fe.ann, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]uint64, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	slices.Sort(ids)
	return ids
}

func FuzzMultipartUpload(f *testing.F) {
	part := func(name, filename, data string) string {
		d := `form-data; name="` + name + `"`
		if filename != "" {
			d += `; filename="` + filename + `"`
		}
		return "--B\r\nContent-Disposition: " + d + "\r\n\r\n" + data + "\r\n"
	}
	ct := "multipart/form-data; boundary=B"
	f.Add(ct, []byte(part("file", "a.txt", "some words about tents")+"--B--\r\n"))
	f.Add(ct, []byte(part("file", "a.md", "# Title\n\nBody text.")+part("file", "b.csv", "a,b\n1,2\n")+"--B--\r\n"))
	f.Add(ct, []byte(part("path", "", "notes/a.txt")+part("file", "a.txt", "replaced text")+"--B--\r\n"))
	f.Add(ct, []byte(part("file", "page.html", "<html><body><h1>T</h1><p>x</p></body></html>")+"--B--\r\n"))
	f.Add(ct, []byte(part("file", "empty.txt", "")+"--B--\r\n"))
	f.Add(ct, []byte(part("junk", "", "x")+"--B--\r\n"))
	f.Add(ct, []byte(part("file", "x.pdf", "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF")+"--B--\r\n"))
	f.Add(ct, []byte(part("file", "x.docx", "PK\x03\x04\x14\x00\x00\x00\x08\x00")+"--B--\r\n"))
	f.Add(ct, []byte(part("file", "a.txt", "ok")+part("file", "b.exe", "MZ\x90\x00")+"--B--\r\n"))
	f.Add(ct, []byte("--B\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''%e2%80%ae.txt\r\nContent-Type: application/pdf\r\n\r\ntext\r\n--B--\r\n"))
	f.Add(ct, []byte("--B\r\n\r\n--B--"))
	f.Add("multipart/form-data; boundary=\"a b\"", []byte("--a b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"q.txt\"\r\n\r\nquoted boundary\r\n--a b--\r\n"))
	f.Add("multipart/mixed; boundary=B", []byte(part("file", "a.txt", "mixed")+"--B--\r\n"))
	f.Add("application/json", []byte(`{"file":"x"}`))
	fe := newFuzzEnv(f, Config{MaxUpload: 64 << 10})
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		before := fe.documentIDs(t)
		rec := fe.serve("POST", "/api/v1/documents?wait=true", fe.token(t, fe.ann), contentType, body)
		checkAnswer(t, "upload", rec)
		if left := spooled(fe.testEnv); len(left) != 0 {
			t.Fatalf("%d upload left %v in the spool", rec.Code, left)
		}
		after := fe.documentIDs(t)
		if rec.Code >= 400 {
			if !slices.Equal(before, after) {
				t.Fatalf("rejected upload (%d %s) changed the documents: %v → %v", rec.Code, rec.Body, before, after)
			}
			return
		}
		var docs []documentJSON
		if err := json.Unmarshal(rec.Body.Bytes(), &docs); err != nil || len(docs) == 0 {
			t.Fatalf("accepted upload answered %s", rec.Body)
		}
		for _, d := range docs {
			if !d.Duplicate && d.Status != "ready" && d.Status != "failed" {
				t.Fatalf("waited-for document is %s: %+v", d.Status, d)
			}
			if d.Status == "failed" && d.Error == "" {
				t.Fatalf("failed without a reason: %+v", d)
			}
			if !d.Duplicate && slices.Contains(before, d.ID) {
				t.Fatalf("new document reuses id %d", d.ID)
			}
			got, err := fe.db.Document(context.Background(), store.Viewer{UserID: fe.ann}, d.ID)
			if err != nil {
				// Only a later file of the same source path may have replaced it.
				if !slices.ContainsFunc(docs, func(o documentJSON) bool { return o.ID > d.ID && o.Path != "" && o.Path == d.Path }) {
					t.Fatalf("answered document %d is not stored: %v", d.ID, err)
				}
				continue
			}
			if got.Filename != d.Filename || !utf8.ValidString(got.Filename) || len(got.Filename) > maxFilename {
				t.Fatalf("stored %+v answered %+v", got, d)
			}
		}
	})
}

// FuzzWebSocketFrames sends one client message (text or binary) on an
// authenticated socket, then a ping: every server frame must be a known
// JSON frame and the pong must come, unless the message was over the read
// limit. In raw mode the bytes go onto the connection after the handshake,
// as they are: the server may close, but must do so once the client stops
// sending, without a panic.
func FuzzWebSocketFrames(f *testing.F) {
	f.Add(false, false, []byte(`{"type":"ping"}`))
	f.Add(false, false, []byte(`{"type":"chat","conversation_id":1,"content":"How heavy is the Osprey tent?"}`))
	f.Add(false, false, []byte(`{"type":"chat","conversation_id":"1","content":"water","top_k":2,"document_ids":[1]}`))
	f.Add(false, false, []byte(`{"type":"chat","conversation_id":999,"content":"x"}`))
	f.Add(false, false, []byte(`{"type":"chat","conversation_id":1,"content":""}`))
	f.Add(false, false, []byte(`{"type":"nope"}`))
	f.Add(false, false, []byte(`{not json`))
	f.Add(false, true, []byte("\x00\x01\xff"))
	f.Add(false, false, []byte(""))
	f.Add(true, false, []byte("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"))             // masked "Hello"
	f.Add(true, false, []byte("\x88\x82\x00\x00\x00\x00\x03\xe8"))                         // masked close 1000
	f.Add(true, false, []byte("\x81\x05Hello"))                                            // unmasked: a protocol error
	f.Add(true, false, []byte("\x01\x80\x00\x00\x00\x00\x80\x80\x00\x00\x00\x00"))         // fragmented
	f.Add(true, false, []byte("\x89\xfe\x01\x00\x00\x00\x00\x00"))                         // oversized ping
	f.Add(true, false, []byte("\x82\xff\x7f\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00")) // 2^63-byte frame
	fe := newFuzzEnv(f, Config{})
	token := fe.token(f, fe.ann)
	url := "ws" + strings.TrimPrefix(fe.http.URL, "http") + "/api/v1/ws"
	f.Fuzz(func(t *testing.T, raw, binary bool, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if raw {
			rawFrames(ctx, t, fe.http.Listener.Addr().String(), token, data)
			return
		}
		c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		c.SetReadLimit(-1)
		typ := websocket.MessageText
		if binary {
			typ = websocket.MessageBinary
		}
		if err := c.Write(ctx, typ, data); err != nil {
			t.Fatal(err)
		}
		if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"ping"}`)); err != nil {
			t.Fatal(err)
		}
		for {
			_, msg, err := c.Read(ctx)
			if err != nil {
				if len(data) > maxJSONBody && websocket.CloseStatus(err) == websocket.StatusMessageTooBig {
					return
				}
				t.Fatalf("socket closed after %d bytes %q: %v", len(data), data[:min(len(data), 200)], err)
			}
			var fr struct {
				Type   string `json:"type"`
				Detail string `json:"detail"`
			}
			if err := json.Unmarshal(msg, &fr); err != nil {
				t.Fatalf("server frame is not JSON: %q", msg)
			}
			switch fr.Type {
			case "pong":
				return
			case "sources", "delta", "chat_response":
			case "error":
				if fr.Detail == "" || strings.Contains(fr.Detail, "internal error") {
					t.Fatalf("error frame %s for %q", msg, data)
				}
			default:
				t.Fatalf("unknown server frame %s", msg)
			}
		}
	})
}

// rawFrames upgrades a connection by hand, writes data as it is, stops
// sending and waits for the server to close.
func rawFrames(ctx context.Context, t *testing.T, addr, token string, data []byte) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(15 * time.Second))
	req := "GET /api/v1/ws HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer " + token + "\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	conn.Write(data) // the server may already have closed
	conn.(*net.TCPConn).CloseWrite()
	buf := make([]byte, 4096)
	for {
		if _, err := br.Read(buf); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("server still holds the socket 15 s after the client stopped sending %q", data[:min(len(data), 200)])
			}
			return
		}
	}
}
