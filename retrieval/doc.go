// Package retrieval finds the passages that answer a question. It owns the
// embedders (built-in, Ollama, OpenAI-compatible), the in-memory vector index
// (chromem-go), the BM25 keyword index, their fusion, filters, and the
// evaluation metrics.
package retrieval
