// Package qaeval measures docent on document question answering: a folder
// of files is ingested through the real pipeline (extraction, chunking,
// store, index) into a temporary data directory, and labelled questions are
// asked of it. Retrieval is judged by the files (and pages) the passages
// come from: hit@1, hit@5 and MRR@5 by source file, and page hits where
// pages are labelled.
//
// The question file is JSON Lines, one question per line:
//
//	{"question": "...", "source_files": ["a.pdf"], "source_pages": [{"file": "a.pdf", "page": 7}]}
//
// source_pages is optional; unknown keys are ignored. File names match a
// document by its path relative to the folder or by its base name.
package qaeval
