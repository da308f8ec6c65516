// Package retrieval finds the passages that answer a question. It owns the
// embedders (built-in, Ollama, OpenAI-compatible), the index — BM25 over
// chunk terms, quantised vector search, document identity and evidence —
// its persisted form, fusion, filters, and the evaluation metrics. The
// Index itself knows nothing of the store. The Library, which keeps an
// Index in step with docent's store, imports package store for its record
// types (Document, Chunk, Viewer) and reads and writes through the small
// Store interface declared beside it, which every backend (bbolt,
// PostgreSQL) satisfies: the store feeds it chunks (with persisted Terms
// and vectors) and keeps the truth; the index is a copy that can always
// be rebuilt from it. store is the only docent package retrieval imports.
//
// # Data model
//
//	Chunk ──Add──▶ Index ─┬─ segments (files, memory-mapped; persist.go, segment.go):
//	                      │    per term: hash, posting list (ordinal delta, tf)
//	                      │    per chunk: id, document, [start,end), page, content hash,
//	                      │      length, forward list of terms, unit vector, quantised code
//	                      │    per document: id, owner, chunk range, identity terms
//	                      └─ tail (in memory): the same for chunks added since the last flush
//
// A chunk's ordinal is its position over the parts, segments first.
// Chunk text is not kept. Deletes mark ordinals dead (and take them out of
// the term statistics at once); the tail is compacted once a quarter of
// it is dead, segments are rewritten by merges. Every statistic — chunk
// and document counts, lengths, document frequencies — is summed over the
// parts, so a chunk scores the same wherever it sits and an index made of
// segments answers exactly like one rebuilt in memory (Library.Verify
// checks it, TestSegmentsAnswerLikeMemory and the crash tests too).
//
// # Persistence
//
// With LibraryOptions.Persist (docent serve) the index lives in
// <data>/index: immutable segment files, checksummed per 1 MiB block and
// versioned, and a manifest naming them with their dead chunks and the
// store's change-log version they reflect (store.IndexVersion). A start
// maps the files (a million chunks: about 1.4 GB on disk, verified and
// mapped in a second, tens of MB resident) and re-reads from the store
// only the documents its log names after that version. Writes go to the
// tail; once they settle for two seconds (or the tail holds 256k chunks)
// the tail's documents are read back from the store into a new segment,
// which takes them over without changing any result; segments of similar
// size are merged eight at a time, a segment a third dead is rewritten.
// A missing, damaged, stale or foreign file means a rebuild from the
// store: deleting the folder loses nothing.
//
// # Analysis
//
// Text is split into Unicode letter/digit runs, lower-cased (full-width
// forms folded), English stop words dropped and English words reduced by
// the Snowball stemmer (cached per Analyzer). '.', '_' and apostrophes
// inside a run keep it whole ("v1.2", "x86_64", "patient's"); such a run is
// indexed whole and also part by part. A hyphen splits ("COVID-19" is
// "covid" "19"). A word mixing letters and digits is indexed whole and
// also as its letter and digit runs ("IL6" is "il6" "il" "6", so it matches
// "IL-6"); Greek letters are spelled out ("NF-κB" matches "NF-kappaB"); an
// acronym's plural 's' is dropped ("MSCs" is "msc"). Han, Hiragana,
// Katakana and Hangul runs become overlapping character bigrams (one
// character for a run of one), so Chinese and Japanese questions match
// without a dictionary. Analyze returns Terms, a compact serialised
// term→frequency form the store persists so that a restart rebuilds the
// index without tokenising again. Terms carry the analyser's version (2);
// a chunk stored with older Terms is analysed again from its text when the
// index is loaded.
//
// # Keyword search
//
// Okapi BM25 with the Lucene idf ln(1+(N−df+0.5)/(df+0.5)), k1 = 1.5 and
// b = 0.5 (best on the SciFact train split and on train + Cranfield; the
// plateau is flat, ±0.003 nDCG@10). In a question of fewer than 12
// distinct terms a repeated term counts once (repetition there is mostly
// inflection merged by the stemmer). A longer question is a passage — an
// argument to answer, a paper to match — and its terms count as often as
// they occur, with b = 0.75 (CISI, whose queries are half whole papers:
// nDCG@10 0.33 → 0.41; no short-question set changes; EVAL.md). Filters
// are checked for every posting while scoring, so a
// restrictive filter never starves the result list. Tried and left out
// (EVAL.md): query-term frequency, idf powers, BM25+, other idf forms, a
// lighter stemmer, hyphenated compounds as terms, ordered/unordered term
// pairs (sequential dependence: +0.002 on train, needs positions), a
// first-line field boost (+0.001 to +0.005, but a chunk's first line is a
// heading only when its document has headings) and RM3 feedback (helps
// Cranfield, hurts SciFact).
//
// # Document identity and document evidence
//
// A question often names what its answer's document is about (a company,
// a product, a paper) while the passage that answers it says "the
// Company" or "we". Two signals carry the document into every passage's
// keyword score (identity.go, docscore.go):
//
//   - Identity: the document's title (metadata title when meaningful, else
//     its first heading or the largest text of a PDF's first page; see
//     ingest.DocumentTitle) and its file name made readable
//     ("aapl-20230701-10q.pdf" → "aapl 2023 07 01 10q") form a field of
//     every chunk: each question term found there adds 0.5 × its idf
//     (TitleWeight) to each of the document's chunks the question reaches,
//     and counts as covered for the relevance floor.
//   - Evidence: every document is also scored as a whole with BM25 (term
//     frequencies summed over its chunks), and a chunk gets 0.5 × the best
//     chunk score × its document's score over the best document's
//     (DocWeight). With one chunk per document this changes nothing.
//
// # Passages
//
// The ranked chunks become passages (passages.go): a chunk with the same
// content as a better one is left out (the same file in a user's space and
// in the shared library); chunks of one document that overlap, or follow
// one another across a page break, are merged into one passage of up to 3
// chunks, at the best one's rank (an overlapping chunk that states the
// answer is never hidden; chunks of different sections are never merged); then each further passage of a document already in the results
// is demoted by 0.2 × the best score (DocPenalty), except the document the
// question names (the one whose identity matches it best), so near-ties go
// to other documents while a named document keeps its depth.
//
// # The built-in embedder
//
// Builtin hashes features into 256 signed buckets (1 KiB per chunk): each
// stem, and the character 3- to 5-grams of each word between boundary
// marks, sharing one weight per word (each n-gram weighs 1/√count). Feature
// weights are 1+ln(tf); the vector is L2-normalised. Document vectors use
// no corpus statistics, so a stored vector never changes as the corpus
// grows. Corpus statistics enter on the query side only (the SMART
// "lnc.ltc" scheme): each query feature is weighted by the BM25 idf of the
// word it comes from, read from the index at query time.
//
// Hashing 1,000+ features into 256 dimensions adds noise of about 1/√256 to
// every cosine. On SciFact train the same features score nDCG@10 0.69 as
// an exact (unhashed) sparse vector (BM25: 0.71), 0.58 hashed into 512
// dimensions and 0.51 into 256: the noise, not the features, limits the
// built-in vector. Fused with BM25, though, 384 or 512 dimensions and
// other feature sets (words only, 4-grams, 3–4-grams, 5-grams) do no
// better than 256, and even the exact features add only +0.007 over BM25
// on SciFact train: lexical features cannot supply the vocabulary-mismatch
// signal SciFact needs. Hence:
//
// # Hybrid search and fusion
//
// With the built-in (or any corpus-aware) embedder the vector half is
// pseudo-relevance feedback: the query vector moves to
// normalise(q̂ + 3·ĉ), ĉ the normalised centroid of the best 3 BM25
// chunks' vectors (Rocchio in the hashed space), and each BM25 candidate
// (Depth = 100) gets its cosine with it; no scan of all vectors is made
// (all vector features come from the query's words, so a chunk without
// any of them could only enter through hashing noise). The two are fused
// by score: bm25/max bm25 + 0.5·cos/max cos over the candidates (1.0
// before the document signals; 0.5 is best over all shared sets), which
// keeps how far apart candidates are (rank fusion, RRF with k = 10…60, did
// less well on SciFact train and Cranfield). This adds +0.004 ± 0.003
// nDCG@10 on SciFact train and +0.024 ± 0.005 on Cranfield (paired
// standard errors); the feedback, not the similarity of the query itself,
// does the work (fused without feedback: +0.001).
//
// With a neural embedder (Ollama, OpenAI) the vector list is a search
// over the caller's collections, its hits join the candidates, every
// candidate is ranked by cosine, and the lists are fused by weighted
// reciprocal rank fusion, score = wk/(k+rank_bm25) + wv/(k+rank_vector),
// k = 60, wk = 1, wv = 0.5 (scores of different models are not
// comparable; these settings could not be tuned here without such a
// model).
//
// The vectors are searched on quantised codes (4-bit codes for the
// built-in embedder, sign bits and 2-bit codes for neural vectors) over
// every part the caller may see at once, and the best candidates are
// re-scored exactly on the float32 vectors (vector_search.go, PERF.md);
// chromem-go's exhaustive scan is the reference the tests and docent
// bench compare with.
//
// After fusion the chunks become passages (above); Query.Diversify
// reorders them by maximal marginal relevance (λ = 0.7) on the stored
// vectors instead of the document penalty.
//
// # Filters and owners
//
// A vector search looks only at the caller's chunks and the shared
// library's (owner 0) — the tail's per-owner parts and each segment's
// runs of those owners' documents — plus the chunks of the documents
// shared with the caller through workspaces (Filter.Granted, taken from
// the store's workspaces at each search), and with Filter.DocumentIDs
// only at those documents' chunks, so a user gets top_k results from
// their own documents however many chunks others have. A search in one
// workspace is its documents' chunks (and the shared library's for the
// library's workspace). BM25 applies the same visibility while it
// scores, never afterwards. A zero Filter sees the shared library only.
//
// # Relevance floor
//
// Each hit carries Coverage, the idf-weighted share of the query's terms
// the chunk contains, and Cosine, its cosine with the query vector (before
// feedback). Coverage uses a smoothed idf, as if 100 more chunks held every
// term at a rate of 5%: a library of a few passages says little about which
// words are rare, and unsmoothed, the question's words it happens not to
// contain would outweigh the ones its answer shares. A hit is BelowFloor when Coverage < 0.30 and Cosine < 0.35
// (the cosine rescue applies to the built-in embedder by default; cosine
// scales differ between models). Calibration (TestCalibrateFloor,
// DOCENT_CALIBRATE=1): answers = relevant chunks in the hybrid top 10 of
// the SciFact train questions; non-answers = the top hit for questions
// whose answer is not in the library (SciFact train questions asked of the
// Cranfield corpus and Cranfield questions asked of SciFact). The rule:
// keep at least 95% of answers above the floor, then flag the most
// non-answers: Coverage 0.30 and Cosine 0.35 keep 95.4% of answers and
// flag 86.5% of non-answers (smoothed coverage, analyser v2, score fusion).
//
// # Evaluation
//
// NDCG, Recall and MRR follow trec_eval (linear gain, log2(rank+1)
// discount, ideal ranking from all judged relevant documents). LoadBEIR
// and Evaluate run a BEIR folder; measured numbers are in EVAL.md.
package retrieval
