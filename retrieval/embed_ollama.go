package retrieval

import (
	"context"
	"net/http"
	"strings"
)

// Defaults of the Ollama embedder.
const (
	DefaultOllamaHost  = "http://127.0.0.1:11434"
	DefaultOllamaModel = "nomic-embed-text"
)

// Ollama embeds texts with an Ollama server (POST {host}/api/embed).
type Ollama struct {
	host, model string
	r           *remote
}

// NewOllama returns an embedder for model on the Ollama server at host
// (DefaultOllamaHost and DefaultOllamaModel when empty).
func NewOllama(host, model string, opt RemoteOptions) *Ollama {
	if host == "" {
		host = DefaultOllamaHost
	}
	if model == "" {
		model = DefaultOllamaModel
	}
	return &Ollama{
		host:  strings.TrimRight(host, "/"),
		model: model,
		r: &remote{
			opt:  opt.withDefaults(),
			name: "Ollama",
			hint: "is `ollama serve` running, and does OLLAMA_HOST point to it? (pull the model with `ollama pull " + model + "`)",
		},
	}
}

// ID returns "ollama/<model>".
func (o *Ollama) ID() string { return "ollama/" + o.model }

// Dim returns the dimension seen in the first answer, 0 before it.
func (o *Ollama) Dim() int { return int(o.r.dim.Load()) }

// Embed returns one normalised vector per text.
func (o *Ollama) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	return o.r.embed(ctx, texts, o.call)
}

// call embeds one batch.
func (o *Ollama) call(ctx context.Context, batch []string) ([][]float32, error) {
	req := struct {
		Model string   `json:"model"`
		Input []string `json:"input"`
	}{o.model, batch}
	var resp struct {
		Embeddings [][]float32 `json:"embeddings"`
	}
	if err := o.r.post(ctx, o.host+"/api/embed", http.Header{}, req, &resp); err != nil {
		return nil, err
	}
	return resp.Embeddings, nil
}
