package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strings"
	"syscall"
	"time"
)

// Web pages and files by URL. A Fetcher downloads with a size and a time
// limit, follows at most MaxRedirects redirects (http and https only), and
// refuses loopback, private, link-local (cloud metadata included), CGNAT,
// multicast and unspecified addresses unless AllowPrivate is set. The check
// is made on the addresses the name resolves to, for the first request and
// for every redirect, and the connection is made to the checked address
// itself, so a name that resolves differently the second time (DNS
// rebinding) cannot slip through. No proxy from the environment is used:
// it would hide the destination from the check.

// Errors of Fetch. Their messages are shown to users.
var (
	// ErrURLRefused reports a URL whose host is an address docent does not
	// reach (private, loopback, link-local, metadata), or a scheme other
	// than http and https.
	ErrURLRefused = errors.New("docent does not fetch this URL")
	// ErrFetch reports a URL that could not be downloaded.
	ErrFetch = errors.New("the URL could not be fetched")
)

// Default Fetcher limits.
const (
	DefaultFetchTimeout = 30 * time.Second
	DefaultMaxRedirects = 5
	maxURLLen           = 8192
)

// Resolver looks up a host's addresses (net.DefaultResolver does).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Fetcher downloads documents by URL. The zero value is ready to use.
type Fetcher struct {
	// MaxBytes is the largest body accepted (default DefaultMaxBytes).
	MaxBytes int64
	// Timeout bounds the whole download (default 30 s).
	Timeout time.Duration
	// MaxRedirects is how many redirects are followed (default 5).
	MaxRedirects int
	// AllowPrivate lets URLs reach private and loopback addresses.
	AllowPrivate bool
	// Resolver resolves host names (default net.DefaultResolver).
	Resolver Resolver
	// Dialer makes the connections (default a net.Dialer with a 10 s
	// timeout); its Control hook, if any, runs first on every connection.
	Dialer *net.Dialer

	// public, when set, replaces publicAddr (tests make a loopback
	// address stand for a public one).
	public func(netip.Addr) bool
}

// Fetched describes a downloaded document.
type Fetched struct {
	URL         string // after redirects
	Filename    string // from Content-Disposition or the URL's path
	ContentType string // as the server declared it
	Size        int64
}

// Fetch downloads rawURL into dst. Errors wrap ErrURLRefused, ErrFetch or
// ErrTooLarge, or are the context's.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string, dst io.Writer) (Fetched, error) {
	u, err := checkURL(rawURL)
	if err != nil {
		return Fetched{}, err
	}
	timeout, maxBytes, maxRedirects := f.Timeout, f.MaxBytes, f.MaxRedirects
	if timeout <= 0 {
		timeout = DefaultFetchTimeout
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if maxRedirects <= 0 {
		maxRedirects = DefaultMaxRedirects
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{
		Transport: &http.Transport{
			Proxy:                  nil,
			DialContext:            f.dial,
			TLSHandshakeTimeout:    10 * time.Second,
			ResponseHeaderTimeout:  timeout,
			MaxResponseHeaderBytes: 1 << 20,
			DisableKeepAlives:      true,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return fmt.Errorf("%w: more than %d redirects", ErrFetch, maxRedirects)
			}
			if _, err := checkURL(req.URL.String()); err != nil {
				return err
			}
			return nil
		},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Fetched{}, fmt.Errorf("%w: %s", ErrFetch, "not a valid URL")
	}
	req.Header.Set("User-Agent", "docent (document indexer)")
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.8")
	resp, err := client.Do(req)
	if err != nil {
		return Fetched{}, fetchError(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Fetched{}, fmt.Errorf("%w: the server answered %s", ErrFetch, resp.Status)
	}
	if resp.ContentLength > maxBytes {
		return Fetched{}, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, resp.ContentLength, maxBytes)
	}
	n, err := io.Copy(dst, io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return Fetched{}, fetchError(ctx, err)
	}
	if n > maxBytes {
		return Fetched{}, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, maxBytes)
	}
	return Fetched{URL: resp.Request.URL.String(), Filename: fetchedName(resp), ContentType: resp.Header.Get("Content-Type"), Size: n}, nil
}

// checkURL accepts absolute http and https URLs with a host.
func checkURL(raw string) (*url.URL, error) {
	if len(raw) > maxURLLen {
		return nil, fmt.Errorf("%w: the URL is longer than %d bytes", ErrFetch, maxURLLen)
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: not an absolute http or https URL", ErrFetch)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%w: only http and https URLs are fetched", ErrURLRefused)
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("%w: not an absolute http or https URL", ErrFetch)
	}
	return u, nil
}

// fetchError maps a client error to the package's errors, keeping refusals.
func fetchError(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, ErrURLRefused), errors.Is(err, ErrFetch):
		var ue *url.Error
		if errors.As(err, &ue) {
			return ue.Err
		}
		return err
	case ctx.Err() != nil:
		return fmt.Errorf("%w: no complete answer in time", ErrFetch)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return fmt.Errorf("%w: the host name could not be resolved", ErrFetch)
	}
	return fmt.Errorf("%w: the server could not be reached", ErrFetch)
}

// dial resolves the host, refuses it if any of its addresses is not
// public (unless allowed), and connects to the first address that works.
func (f *Fetcher) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%w: bad address", ErrFetch)
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		ips = []netip.Addr{ip}
	} else {
		res := f.Resolver
		if res == nil {
			res = net.DefaultResolver
		}
		if ips, err = res.LookupNetIP(ctx, "ip", host); err != nil || len(ips) == 0 {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
	}
	public := f.public
	if public == nil {
		public = publicAddr
	}
	for _, ip := range ips {
		if !f.AllowPrivate && !public(ip) {
			return nil, fmt.Errorf("%w: %s is a private, loopback or link-local address", ErrURLRefused, host)
		}
	}
	d := f.Dialer
	if d == nil {
		d = &net.Dialer{Timeout: 10 * time.Second}
	}
	guarded := *d
	inner := d.Control
	guarded.Control = func(network, address string, c syscall.RawConn) error {
		if inner != nil {
			if err := inner(network, address, c); err != nil {
				return err
			}
		}
		if ap, err := netip.ParseAddrPort(address); err != nil || !f.AllowPrivate && !public(ap.Addr()) {
			return fmt.Errorf("%w: a private, loopback or link-local address", ErrURLRefused) // the address checked above is the one dialled; this is belt and braces
		}
		return nil
	}
	var lastErr error
	for _, ip := range ips {
		c, err := guarded.DialContext(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
		if err == nil {
			return c, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// metadataV6 is the IPv6 address of cloud metadata services (AWS).
var metadataV6 = netip.MustParseAddr("fd00:ec2::254")

// cgnat is the shared address space of carrier-grade NAT (RFC 6598).
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// publicAddr reports whether ip is a global unicast address outside the
// private, loopback, link-local, CGNAT and metadata ranges.
func publicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid(), ip.IsLoopback(), ip.IsPrivate(), ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(),
		ip.IsMulticast(), ip.IsUnspecified(), ip.IsInterfaceLocalMulticast(), !ip.IsGlobalUnicast(),
		ip == metadataV6, cgnat.Contains(ip):
		return false
	case ip.Is4() && ip.As4()[0] == 0: // "this network"
		return false
	}
	return true
}

// fetchedName picks a file name: Content-Disposition's, else the last
// segment of the URL path, else the host; with an extension from the
// content type when it has none, so detection by name agrees.
func fetchedName(resp *http.Response) string {
	name := ""
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil {
		name = path.Base(strings.ReplaceAll(params["filename"], "\\", "/"))
	}
	if name == "" || name == "." || name == "/" {
		name = path.Base(resp.Request.URL.Path)
	}
	if name == "" || name == "." || name == "/" {
		name = resp.Request.URL.Hostname()
	}
	if path.Ext(name) == "" {
		if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil {
			switch mt {
			case "text/html", "application/xhtml+xml":
				name += ".html"
			case "application/pdf":
				name += ".pdf"
			case "text/plain":
				name += ".txt"
			case "text/markdown":
				name += ".md"
			case "text/csv":
				name += ".csv"
			}
		}
	}
	return name
}

// DetectFetched is DetectReader for a document fetched by URL: an HTML
// page becomes a WebPage, whose article text is kept.
func DetectFetched(name string, r io.ReaderAt, size int64) (Format, error) {
	f, err := DetectReader(name, r, size)
	if f == HTML {
		f = WebPage
	}
	return f, err
}
