package retrieval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// RemoteOptions configure the embedders that call a server (Ollama and
// OpenAI-compatible). The zero value means the defaults.
type RemoteOptions struct {
	BatchSize   int           // texts per request (default 64)
	Concurrency int           // requests in flight (default 2)
	MaxRetries  int           // retries of a request answered 429 or 5xx (default 5; negative = none)
	Backoff     time.Duration // first retry delay, doubled each time (default 500ms)
	MaxBackoff  time.Duration // longest wait between tries, Retry-After included (default 30s)
	Client      *http.Client  // default: a client with a 2-minute timeout
}

// withDefaults fills zero fields.
func (o RemoteOptions) withDefaults() RemoteOptions {
	if o.BatchSize <= 0 {
		o.BatchSize = 64
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 2
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 5
	}
	if o.Backoff <= 0 {
		o.Backoff = 500 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 2 * time.Minute}
	}
	return o
}

// ErrUnreachable is wrapped by errors for a server that cannot be reached.
var ErrUnreachable = errors.New("embedding server unreachable")

// remote is the machinery shared by the server embedders: batching,
// bounded concurrency, retries, normalisation and the dimension check.
type remote struct {
	opt  RemoteOptions
	name string // "Ollama" or "OpenAI-compatible server", for messages
	hint string // what to check when the server is unreachable
	dim  atomic.Int64
}

// embed splits texts into batches, runs call on each with bounded
// concurrency and returns the normalised vectors in order.
func (r *remote) embed(ctx context.Context, texts []string, call func(ctx context.Context, batch []string) ([][]float32, error)) ([][]float32, error) {
	out := make([][]float32, len(texts))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, r.opt.Concurrency)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for start := 0; start < len(texts); start += r.opt.BatchSize {
		end := min(start+r.opt.BatchSize, len(texts))
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			vecs, err := r.batch(ctx, texts[start:end], call)
			if err != nil {
				once.Do(func() { firstErr = err; cancel(err) })
				return
			}
			copy(out[start:end], vecs)
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("embed: %w", context.Cause(ctx))
	}
	return out, nil
}

// batch embeds one batch and checks the count, dimension and values.
func (r *remote) batch(ctx context.Context, batch []string, call func(ctx context.Context, batch []string) ([][]float32, error)) ([][]float32, error) {
	vecs, err := call(ctx, batch)
	if err != nil {
		return nil, err
	}
	if len(vecs) != len(batch) {
		return nil, fmt.Errorf("%s returned %d vectors for %d texts", r.name, len(vecs), len(batch))
	}
	for i, v := range vecs {
		if len(v) == 0 {
			return nil, fmt.Errorf("%s returned an empty vector for text %d", r.name, i)
		}
		if d := int64(len(v)); !r.dim.CompareAndSwap(0, d) && r.dim.Load() != d {
			return nil, fmt.Errorf("%s returned %d dimensions, earlier %d: %w", r.name, d, r.dim.Load(), ErrDimension)
		}
		if !normalize(v) {
			return nil, fmt.Errorf("%s returned a zero or non-finite vector for text %d", r.name, i)
		}
	}
	return vecs, nil
}

// post sends body as JSON to url and decodes the JSON answer into out,
// retrying 429 and 5xx answers with exponential backoff (or the server's
// Retry-After).
func (r *remote) post(ctx context.Context, url string, header http.Header, body, out any) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	wait := r.opt.Backoff
	for attempt := 0; ; attempt++ {
		retryAfter, err := r.try(ctx, url, header, payload, out)
		if err == nil {
			return nil
		}
		var re retryable
		if !errors.As(err, &re) || attempt >= r.opt.MaxRetries {
			if attempt > 0 {
				return fmt.Errorf("%w (after %d tries)", err, attempt+1)
			}
			return err
		}
		d := min(max(wait, retryAfter), r.opt.MaxBackoff)
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return fmt.Errorf("%s %s: %w", r.name, url, ctx.Err())
		}
		wait *= 2
	}
}

// retryable marks an answer worth retrying.
type retryable struct{ err error }

func (e retryable) Error() string { return e.err.Error() }
func (e retryable) Unwrap() error { return e.err }

// try makes one request. It returns the server's Retry-After delay, if any.
func (r *remote) try(ctx context.Context, url string, header http.Header, payload []byte, out any) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", r.name, err)
	}
	req.Header = header.Clone()
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.opt.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, fmt.Errorf("%s %s: %w", r.name, url, ctx.Err())
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return 0, retryable{fmt.Errorf("%s %s timed out: %w", r.name, url, err)}
		}
		return 0, fmt.Errorf("cannot reach %s at %s (%v): %s: %w", r.name, url, err, r.hint, ErrUnreachable)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return 0, retryable{fmt.Errorf("%s %s: read answer: %w", r.name, url, err)}
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return retryAfter(resp.Header.Get("Retry-After")), retryable{fmt.Errorf("%s %s: %s: %s", r.name, url, resp.Status, snippet(data))}
	}
	if resp.StatusCode/100 != 2 {
		return 0, fmt.Errorf("%s %s: %s: %s", r.name, url, resp.Status, snippet(data))
	}
	if err := json.Unmarshal(data, out); err != nil {
		return 0, fmt.Errorf("%s %s: decode answer: %w", r.name, url, err)
	}
	return 0, nil
}

// retryAfter parses a Retry-After header (seconds or an HTTP date).
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t))
	}
	return 0
}

// snippet returns the start of an error body for a message.
func snippet(b []byte) string {
	const n = 300
	b = bytes.TrimSpace(b)
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
