package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"docent/chat"
	"docent/ingest"
	"docent/retrieval"
)

// embedFlags choose the embedder; every command that reads or writes the
// index takes them, so all agree on what built the vectors.
type embedFlags struct {
	Embedder   string `name:"embedder" env:"DOCENT_EMBEDDER" default:"builtin" enum:"builtin,ollama,openai" help:"Embedder for passages and questions: builtin (offline, no download), ollama (OLLAMA_HOST) or openai (any OpenAI-compatible server: OPENAI_BASE_URL, OPENAI_API_KEY)."`
	EmbedModel string `name:"embed-model" env:"DOCENT_EMBED_MODEL" help:"Embedding model name (default: the provider's usual embedding model)."`
}

// embedder builds the configured embedder. The remote ones read
// OLLAMA_HOST, or OPENAI_BASE_URL and OPENAI_API_KEY, from the environment.
func (f embedFlags) embedder() (retrieval.Embedder, error) {
	switch f.Embedder {
	case "builtin", "":
		if f.EmbedModel != "" {
			return nil, fmt.Errorf("--embed-model needs --embedder ollama or openai; the built-in embedder has no models")
		}
		return retrieval.NewBuiltin(0), nil
	case "ollama":
		return retrieval.NewOllama(ollamaHost(), f.EmbedModel, retrieval.RemoteOptions{}), nil
	case "openai":
		return retrieval.NewOpenAI(os.Getenv("OPENAI_BASE_URL"), os.Getenv("OPENAI_API_KEY"), f.EmbedModel, retrieval.RemoteOptions{}), nil
	}
	return nil, fmt.Errorf("unknown embedder %q (builtin, ollama, openai)", f.Embedder)
}

// llmFlags choose how answers are written.
type llmFlags struct {
	LLM           string        `name:"llm" env:"DOCENT_LLM" default:"none" enum:"none,ollama,openai" help:"Answer writer: none (extractive answers from the documents' own sentences), ollama (OLLAMA_HOST) or openai (any OpenAI-compatible server: OPENAI_BASE_URL, OPENAI_API_KEY; a key is optional for local servers)."`
	LLMModel      string        `name:"llm-model" env:"DOCENT_LLM_MODEL" help:"Chat model name (default: llama3.2 for ollama, gpt-4o-mini for openai)."`
	LLMTimeout    time.Duration `name:"llm-timeout" env:"DOCENT_LLM_TIMEOUT" default:"120s" help:"Longest silence from the LLM server (connecting, first token, between tokens) before the answer fails."`
	ContextTokens int           `name:"context-tokens" env:"DOCENT_CONTEXT_TOKENS" default:"4096" help:"The model's context window in tokens: sources and history are trimmed to fit."`
	SystemPrompt  string        `name:"system-prompt" env:"DOCENT_SYSTEM_PROMPT" help:"Replace the built-in system prompt (answer only from the numbered sources, cite them as [n])."`
}

// engine builds the chat engine.
func (f llmFlags) engine() (*chat.Engine, error) {
	return chat.New(chat.Config{
		Provider:      f.LLM,
		Model:         f.LLMModel,
		Timeout:       f.LLMTimeout,
		ContextTokens: f.ContextTokens,
		SystemPrompt:  f.SystemPrompt,
	})
}

// ingestFlags tune extraction and chunking.
type ingestFlags struct {
	MaxUpload    string `name:"max-upload" env:"DOCENT_MAX_UPLOAD" default:"50MiB" help:"Largest file accepted (e.g. 50MiB, 1GB)."`
	ChunkSize    int    `name:"chunk-size" env:"DOCENT_CHUNK_SIZE" default:"1000" help:"Target chunk length in characters."`
	ChunkOverlap int    `name:"chunk-overlap" env:"DOCENT_CHUNK_OVERLAP" default:"150" help:"Characters shared by neighbouring chunks."`
	Workers      int    `name:"workers" env:"DOCENT_WORKERS" help:"Documents processed at once (default: the number of CPUs)."`
	OCRLang      string `name:"ocr-lang" env:"DOCENT_OCR_LANG" default:"eng" help:"Tesseract languages for scanned pages and images, joined by + (e.g. eng+deu, chi_sim+eng); each needs its language pack."`
}

// options returns the pipeline options the flags describe.
func (f ingestFlags) options() (ingest.Options, int64, error) {
	limit, err := parseSize(f.MaxUpload)
	if err != nil {
		return ingest.Options{}, 0, fmt.Errorf("--max-upload: %w", err)
	}
	if err := ingest.ValidateLanguages(f.OCRLang); err != nil {
		return ingest.Options{}, 0, fmt.Errorf("--ocr-lang: %w", err)
	}
	workers := f.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	return ingest.Options{
		Workers:  workers,
		Limits:   ingest.Limits{MaxBytes: limit, OCR: ingest.OCR{Languages: f.OCRLang}},
		Chunking: ingest.ChunkOptions{Size: f.ChunkSize, Overlap: f.ChunkOverlap},
	}, limit, nil
}

// parseSize reads "50MiB", "1GB", "512k" or a plain byte count.
func parseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	units := []struct {
		suffix string
		mult   int64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"kb", 1000}, {"mb", 1000 * 1000}, {"gb", 1000 * 1000 * 1000},
		{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"b", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a size like 50MiB", s)
	}
	return int64(n * float64(mult)), nil
}

// ollamaHost reads OLLAMA_HOST, which Ollama users often set without a
// scheme ("0.0.0.0:11434").
func ollamaHost() string {
	h := os.Getenv("OLLAMA_HOST")
	if h != "" && !strings.Contains(h, "://") {
		h = "http://" + h
	}
	return h
}
