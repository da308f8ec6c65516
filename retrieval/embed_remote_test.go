package retrieval

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeEmbedServer speaks the Ollama or OpenAI wire format. Text "t<i>"
// embeds to the unnormalised vector (i+1, 1, 0). plan decides, per request
// number (0-based), an HTTP status to fail with (0 = answer) and a
// Retry-After value; drop removes vectors from a successful answer.
type fakeEmbedServer struct {
	t        *testing.T
	provider string
	plan     func(n int) (status int, retryAfter string)
	drop     int

	mu       sync.Mutex
	requests int
	sizes    []int
	auth     []string
}

func (f *fakeEmbedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	n := f.requests
	f.requests++
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	f.mu.Unlock()
	wantPath := map[string]string{"ollama": "/api/embed", "openai": "/v1/embeddings"}[f.provider]
	if r.Method != http.MethodPost || r.URL.Path != wantPath {
		http.Error(w, "wrong endpoint "+r.Method+" "+r.URL.Path, http.StatusNotFound)
		return
	}
	var req struct {
		Model string   `json:"model"`
		Input []string `json:"input"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model != "m" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if f.plan != nil {
		if status, ra := f.plan(n); status != 0 {
			if ra != "" {
				w.Header().Set("Retry-After", ra)
			}
			http.Error(w, "try later", status)
			return
		}
	}
	f.mu.Lock()
	f.sizes = append(f.sizes, len(req.Input))
	f.mu.Unlock()
	vecs := make([][]float32, 0, len(req.Input))
	for _, in := range req.Input {
		i, _ := strconv.Atoi(strings.TrimPrefix(in, "t"))
		vecs = append(vecs, []float32{float32(i + 1), 1, 0})
	}
	vecs = vecs[:len(vecs)-min(f.drop, len(vecs))]
	if f.provider == "ollama" {
		_ = json.NewEncoder(w).Encode(map[string]any{"embeddings": vecs})
		return
	}
	type item struct {
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	}
	data := make([]item, len(vecs))
	for i := range vecs { // answer in reverse order: clients must use index
		j := len(vecs) - 1 - i
		data[i] = item{j, vecs[j]}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"data": data, "model": "m"})
}

// newRemote builds the provider's embedder against url.
func newRemote(provider, url string, opt RemoteOptions) Embedder {
	if provider == "ollama" {
		return NewOllama(url, "m", opt)
	}
	return NewOpenAI(url+"/v1", "secret", "m", opt)
}

func texts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "t" + strconv.Itoa(i)
	}
	return out
}

func TestRemoteEmbedders(t *testing.T) {
	fast := RemoteOptions{BatchSize: 3, Concurrency: 2, MaxRetries: 3, Backoff: time.Millisecond, MaxBackoff: 5 * time.Second}
	cases := []struct {
		name         string
		plan         func(n int) (int, string)
		drop         int
		n            int
		wantErr      string
		wantRequests int
		minElapsed   time.Duration
	}{
		{name: "batches in order", n: 10, wantRequests: 4},
		{name: "429 then success", n: 2, wantRequests: 2,
			plan: func(n int) (int, string) {
				if n == 0 {
					return http.StatusTooManyRequests, "0"
				}
				return 0, ""
			}},
		{name: "Retry-After respected", n: 1, wantRequests: 2, minElapsed: time.Second,
			plan: func(n int) (int, string) {
				if n == 0 {
					return http.StatusTooManyRequests, "1"
				}
				return 0, ""
			}},
		{name: "500 forever", n: 1, wantRequests: 4, wantErr: "500",
			plan: func(int) (int, string) { return http.StatusInternalServerError, "" }},
		{name: "400 is not retried", n: 1, wantRequests: 1, wantErr: "400",
			plan: func(int) (int, string) { return http.StatusBadRequest, "" }},
		{name: "wrong vector count", n: 3, drop: 1, wantRequests: 1, wantErr: "2 vectors for 3 texts"},
	}
	for _, provider := range []string{"ollama", "openai"} {
		for _, tc := range cases {
			t.Run(provider+"/"+tc.name, func(t *testing.T) {
				f := &fakeEmbedServer{t: t, provider: provider, plan: tc.plan, drop: tc.drop}
				srv := httptest.NewServer(f)
				defer srv.Close()
				e := newRemote(provider, srv.URL, fast)
				t0 := time.Now()
				vecs, err := e.Embed(context.Background(), texts(tc.n))
				elapsed := time.Since(t0)
				if f.requests != tc.wantRequests {
					t.Errorf("requests = %d, want %d", f.requests, tc.wantRequests)
				}
				if elapsed < tc.minElapsed {
					t.Errorf("took %v, want at least %v", elapsed, tc.minElapsed)
				}
				if tc.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
						t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				checkFakeVectors(t, vecs, tc.n)
				if e.Dim() != 3 {
					t.Errorf("Dim() = %d, want 3", e.Dim())
				}
				if provider == "openai" && f.auth[0] != "Bearer secret" {
					t.Errorf("Authorization = %q", f.auth[0])
				}
			})
		}
	}
}

// checkFakeVectors checks order and normalisation of the fake's vectors.
func checkFakeVectors(t *testing.T, vecs [][]float32, n int) {
	t.Helper()
	if len(vecs) != n {
		t.Fatalf("got %d vectors, want %d", len(vecs), n)
	}
	for i, v := range vecs {
		norm := math.Hypot(float64(i+1), 1)
		want := []float64{float64(i+1) / norm, 1 / norm, 0}
		for j := range want {
			if math.Abs(float64(v[j])-want[j]) > 1e-6 {
				t.Fatalf("vector %d = %v, want %v", i, v, want)
			}
		}
	}
}

func TestRemoteBatchSizes(t *testing.T) {
	f := &fakeEmbedServer{t: t, provider: "ollama"}
	srv := httptest.NewServer(f)
	defer srv.Close()
	e := NewOllama(srv.URL, "m", RemoteOptions{BatchSize: 4, Concurrency: 1})
	if _, err := e.Embed(context.Background(), texts(10)); err != nil {
		t.Fatal(err)
	}
	if got := f.sizes; len(got) != 3 || got[0] != 4 || got[1] != 4 || got[2] != 2 {
		t.Errorf("batch sizes = %v, want [4 4 2]", got)
	}
}

func TestRemoteUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	for _, provider := range []string{"ollama", "openai"} {
		t.Run(provider, func(t *testing.T) {
			e := newRemote(provider, url, RemoteOptions{Backoff: time.Millisecond})
			_, err := e.Embed(context.Background(), texts(1))
			if !errors.Is(err, ErrUnreachable) {
				t.Fatalf("err = %v, want ErrUnreachable", err)
			}
			if !strings.Contains(err.Error(), url) {
				t.Errorf("error %q does not name %s", err, url)
			}
			hint := map[string]string{"ollama": "OLLAMA_HOST", "openai": "OPENAI_BASE_URL"}[provider]
			if !strings.Contains(err.Error(), hint) {
				t.Errorf("error %q does not say to check %s", err, hint)
			}
		})
	}
}

func TestRemoteIDs(t *testing.T) {
	if id := NewOllama("", "", RemoteOptions{}).ID(); id != "ollama/"+DefaultOllamaModel {
		t.Errorf("ollama ID = %q", id)
	}
	if id := NewOpenAI("", "", "text-embedding-3-large", RemoteOptions{}).ID(); id != "openai/text-embedding-3-large" {
		t.Errorf("openai ID = %q", id)
	}
}
