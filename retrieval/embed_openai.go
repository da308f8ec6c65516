package retrieval

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// Defaults of the OpenAI-compatible embedder.
const (
	DefaultOpenAIBaseURL = "https://api.openai.com/v1"
	DefaultOpenAIModel   = "text-embedding-3-small"
)

// OpenAI embeds texts with an OpenAI-compatible server
// (POST {base}/embeddings). The API key is optional for local servers.
type OpenAI struct {
	base, key, model string
	r                *remote
}

// NewOpenAI returns an embedder for model at baseURL (DefaultOpenAIBaseURL
// and DefaultOpenAIModel when empty), sending apiKey as a bearer token
// when it is not empty.
func NewOpenAI(baseURL, apiKey, model string, opt RemoteOptions) *OpenAI {
	if baseURL == "" {
		baseURL = DefaultOpenAIBaseURL
	}
	if model == "" {
		model = DefaultOpenAIModel
	}
	return &OpenAI{
		base:  strings.TrimRight(baseURL, "/"),
		key:   apiKey,
		model: model,
		r: &remote{
			opt:  opt.withDefaults(),
			name: "OpenAI-compatible server",
			hint: "check OPENAI_BASE_URL (it must end in /v1 or the server's equivalent), that the server is running and the network reaches it",
		},
	}
}

// ID returns "openai/<model>".
func (o *OpenAI) ID() string { return "openai/" + o.model }

// Dim returns the dimension seen in the first answer, 0 before it.
func (o *OpenAI) Dim() int { return int(o.r.dim.Load()) }

// Embed returns one normalised vector per text.
func (o *OpenAI) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	return o.r.embed(ctx, texts, o.call)
}

// call embeds one batch, placing each answer by its index.
func (o *OpenAI) call(ctx context.Context, batch []string) ([][]float32, error) {
	req := struct {
		Model string   `json:"model"`
		Input []string `json:"input"`
	}{o.model, batch}
	var resp struct {
		Data []struct {
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		} `json:"data"`
	}
	h := http.Header{}
	if o.key != "" {
		h.Set("Authorization", "Bearer "+o.key)
	}
	if err := o.r.post(ctx, o.base+"/embeddings", h, req, &resp); err != nil {
		return nil, err
	}
	if len(resp.Data) != len(batch) {
		return nil, fmt.Errorf("%s returned %d vectors for %d texts", o.r.name, len(resp.Data), len(batch))
	}
	out := make([][]float32, len(batch))
	for _, d := range resp.Data {
		if d.Index < 0 || d.Index >= len(out) || out[d.Index] != nil {
			return nil, fmt.Errorf("%s returned a bad or repeated index %d", o.r.name, d.Index)
		}
		out[d.Index] = d.Embedding
	}
	return out, nil
}
