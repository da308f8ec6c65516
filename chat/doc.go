// Package chat answers questions from retrieved passages: prompt building,
// LLM providers, streaming, the extractive answerer, the history window,
// query condensing and conversation titles.
package chat
