package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests never let a packet leave the machine: names resolve through
// fakeResolver, and every connection goes through loopbackOnly, whose
// Control hook fails the test (and refuses the connection) for any address
// outside 127.0.0.0/8 — even if the Fetcher's own check were broken.

type fakeResolver map[string][]netip.Addr

func (r fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if ips, ok := r[host]; ok {
		return ips, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func loopbackOnly(t *testing.T) *net.Dialer {
	return &net.Dialer{Timeout: 5 * time.Second, Control: func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !ap.Addr().Unmap().IsLoopback() {
			t.Errorf("a connection to %s was attempted", address)
			return errors.New("test: non-loopback connection refused")
		}
		return nil
	}}
}

func addrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

// stand is a loopback address the tests treat as public: a server bound
// to it plays a web site on the internet.
var stand = netip.MustParseAddr("127.0.0.2")

// publicServer serves h on 127.0.0.2, which the returned Fetcher treats
// as a public address (and nothing else of loopback).
func publicServer(t *testing.T, h http.Handler) (*httptest.Server, *Fetcher) {
	ln, err := net.Listen("tcp", stand.String()+":0")
	if err != nil {
		t.Skipf("cannot listen on %s: %v", stand, err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h}}
	srv.Start()
	t.Cleanup(srv.Close)
	f := &Fetcher{Dialer: loopbackOnly(t), Resolver: fakeResolver{
		"site.example":     addrs(stand.String()),
		"internal.example": addrs("10.0.0.1"),
		"router.example":   addrs("192.168.1.1"),
		"meta.example":     addrs("169.254.169.254"),
		"local.example":    addrs("::1"),
		"mixed.example":    addrs(stand.String(), "10.0.0.1"),
	}}
	f.public = func(ip netip.Addr) bool { return ip == stand || publicAddr(ip) }
	return srv, f
}

func TestFetchRefusesPrivateAddresses(t *testing.T) {
	srv, f := publicServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	}))
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	site := fmt.Sprintf("http://site.example:%d/?to=", port)
	targets := []string{
		"http://10.0.0.1/", "http://192.168.1.1/admin", "http://169.254.169.254/latest/meta-data/",
		"http://[::1]:8080/", "http://127.0.0.1:8080/", "http://[fd00:ec2::254]/", "http://100.64.0.1/",
		"http://0.0.0.0/", "http://[::ffff:10.0.0.1]/", "http://internal.example/", "http://router.example/",
		"http://meta.example/latest/meta-data/", "http://local.example/", fmt.Sprintf("http://mixed.example:%d/", port),
	}
	var urls []string
	for _, u := range targets {
		urls = append(urls, u, site+u) // directly, and as a redirect from a public site
	}
	urls = append(urls, "file:///etc/passwd", "gopher://10.0.0.1/", site+"file:///etc/passwd")
	for _, u := range urls {
		var dst bytes.Buffer
		_, err := f.Fetch(context.Background(), u, &dst)
		if !errors.Is(err, ErrURLRefused) {
			t.Errorf("%s: err = %v, want ErrURLRefused", u, err)
		}
		if dst.Len() > 0 {
			t.Errorf("%s: %d bytes fetched", u, dst.Len())
		}
	}
}

func TestFetchFromASite(t *testing.T) {
	page := "<html><head><title>Camping</title></head><body><h1>Boiling water</h1><p>Boil water for three minutes above 2000 metres.</p></body></html>"
	srv, f := publicServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/guide":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, page)
		case "/big":
			w.Write(bytes.Repeat([]byte("a"), 2048))
		case "/slow":
			time.Sleep(2 * time.Second)
		case "/missing":
			http.NotFound(w, r)
		default: // /hop/N redirects N more times, then to the guide
			var n int
			fmt.Sscanf(r.URL.Path, "/hop/%d", &n)
			to := "/guide"
			if n > 0 {
				to = fmt.Sprintf("/hop/%d", n-1)
			}
			http.Redirect(w, r, to, http.StatusFound)
		}
	}))
	base := fmt.Sprintf("http://site.example:%d", srv.Listener.Addr().(*net.TCPAddr).Port)
	var dst bytes.Buffer
	got, err := f.Fetch(context.Background(), base+"/hop/4", &dst)
	if err != nil || dst.String() != page || got.Filename != "guide.html" || got.URL != base+"/guide" {
		t.Fatalf("five redirects: %+v %v (%d bytes)", got, err, dst.Len())
	}
	tests := []struct {
		path  string
		fetch Fetcher
		want  error
	}{
		{"/hop/5", Fetcher{}, ErrFetch},                               // six redirects
		{"/big", Fetcher{MaxBytes: 1024}, ErrTooLarge},                // size limit
		{"/slow", Fetcher{Timeout: 300 * time.Millisecond}, ErrFetch}, // time limit
		{"/missing", Fetcher{}, ErrFetch},
	}
	for _, tc := range tests {
		g := tc.fetch
		g.Dialer, g.Resolver, g.public = f.Dialer, f.Resolver, f.public
		start := time.Now()
		_, err := g.Fetch(context.Background(), base+tc.path, io.Discard)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.path, err, tc.want)
		}
		if time.Since(start) > 10*time.Second {
			t.Errorf("%s took %v", tc.path, time.Since(start))
		}
	}
	if _, err := f.Fetch(context.Background(), "http://nowhere.example/", io.Discard); !errors.Is(err, ErrFetch) ||
		!strings.Contains(err.Error(), "resolved") {
		t.Errorf("unknown host: %v", err)
	}
}

// With AllowPrivate (--allow-private-urls) a loopback server is reached.
func TestFetchAllowPrivate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "plain words") }))
	defer srv.Close()
	f := &Fetcher{Dialer: loopbackOnly(t)}
	if _, err := f.Fetch(context.Background(), srv.URL+"/notes.txt", io.Discard); !errors.Is(err, ErrURLRefused) {
		t.Errorf("without AllowPrivate: %v", err)
	}
	f.AllowPrivate = true
	var dst bytes.Buffer
	got, err := f.Fetch(context.Background(), srv.URL+"/notes.txt", &dst)
	if err != nil || dst.String() != "plain words" || got.Filename != "notes.txt" {
		t.Errorf("with AllowPrivate: %+v %v %q", got, err, dst.String())
	}
}

func TestWebPageKeepsTheArticle(t *testing.T) {
	nav := strings.Repeat(`<li><a href="/x">Menu entry for another part of the site</a></li>`, 20)
	body := strings.Repeat("<p>Boil water for three minutes above 2000 metres, because water boils at a lower temperature up there and germs survive longer. Carry enough fuel for it.</p>", 6)
	page := `<html><head><title>Camping guide | Outdoor Site</title></head><body><div class="sidebar"><ul>` + nav +
		`</ul></div><article><h1>Boiling water in the mountains</h1>` + body +
		`</article><div class="comments"><p>Great post! Visit my shop for cheap tents.</p></div><footer>Copyright Outdoor Site</footer></body></html>`
	f, err := DetectFetched("guide.html", strings.NewReader(page), int64(len(page)))
	if err != nil || f != WebPage {
		t.Fatalf("DetectFetched = %q, %v", f, err)
	}
	x, err := Extract(context.Background(), f, strings.NewReader(page), int64(len(page)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(x.Text, "three minutes above 2000 metres") {
		t.Errorf("article text lost: %q", x.Text)
	}
	for _, junk := range []string{"Menu entry", "cheap tents"} {
		if strings.Contains(x.Text, junk) {
			t.Errorf("kept %q: %q", junk, x.Text)
		}
	}
	// A page without an article keeps its text.
	short := "<html><body><p>Opening hours: 9 to 5.</p></body></html>"
	x, err = Extract(context.Background(), WebPage, strings.NewReader(short), int64(len(short)), Limits{})
	if err != nil || !strings.Contains(x.Text, "Opening hours") {
		t.Errorf("short page: %v %+v", err, x)
	}
}
