// Package chat answers questions from retrieved passages: query condensing,
// prompt building within a token budget, LLM providers (langchaingo's
// Ollama and OpenAI-compatible clients), streaming, the extractive answerer
// used when no LLM is configured, conversation titles and document
// summaries.
//
// An Engine answers in stages, each visible to the caller:
//
//	question + history
//	  └─ query: condensed by the LLM into a standalone question when there is
//	     history (without an LLM: the question plus the previous question's
//	     key terms)
//	  └─ Retriever.Retrieve(query, topK)     (the caller's search, already
//	     scoped to what the user may read)
//	  └─ Event{sources}                       (passages below the retriever's
//	     floor are dropped; none left ⇒ a plain "not found" answer)
//	  └─ Event{delta}, Event{delta}, …        (the LLM's reply streamed, or
//	     the extractive answer in small pieces)
//	  └─ Answer{Content, Sources, Mode, Model, TokensUsed, Partial, NotFound}
//
// Answers cite their sources as [1], [2], … in the order of Answer.Sources.
// The package opens no files and no sockets of its own: HTTP goes through
// Config.HTTPClient, and token counts are estimated offline (EstimateTokens).
package chat
