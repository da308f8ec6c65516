// Package chat answers questions from retrieved passages: query condensing,
// prompt building within a token budget, LLM providers (langchaingo's
// Ollama and OpenAI-compatible clients), streaming, the extractive answerer
// used when no LLM is configured, conversation titles and document
// summaries.
//
// An Engine answers in stages, each visible to the caller:
//
//	question + history
//	  └─ query: the question as resolved in its conversation. With an LLM a
//	     follow-up is condensed into a standalone question (the model may
//	     answer STANDALONE); without one (followup.go) a question that
//	     depends on the conversation (a connective, a pronoun, a fragment,
//	     one content word) gets the key terms of the turn it follows, one
//	     that stands alone is searched as asked, and a short one with no
//	     sign either way is searched both ways
//	  └─ Retriever.Retrieve(query, topK)     (the caller's search, already
//	     scoped to what the user may read; LibraryRetriever is the one the
//	     API, docent ask and docent eval use)
//	  └─ Event{sources, mode, model}         (passages below the retriever's
//	     floor are dropped; none left ⇒ a plain "not found" answer, or
//	     "no documents yet" for an empty library, written without the LLM
//	     and so in ModeExtractive)
//	  └─ Event{delta}, Event{delta}, …        (the LLM's reply streamed, or
//	     the extractive answer in small pieces)
//	  └─ Answer{Content, Sources, Mode, Model, TokensUsed, Partial, NotFound}
//
// The extractive answerer (extractive.go) cuts passages into clean
// sentences first (blocks.go: reflowed lines; headings, page furniture,
// running headers and list markers kept out; table rows and form fields
// kept whole) and scores them against the resolved question (kinds.go:
// the kind of answer asked for, implied form labels, acronyms).
//
// Answers cite their sources as [1], [2], … in the order of Answer.Sources.
// The package opens no files and no sockets of its own: HTTP goes through
// Config.HTTPClient, and token counts are estimated offline (EstimateTokens).
package chat
