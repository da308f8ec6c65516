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
//
// Answers are judged on conversations (EvalAnswers), one per line:
//
//	{"turns": [{"question": "...", "source_file": "a.pdf", "answer": "38"}, ...]}
//
// Each turn is asked through the chat engine with the retriever of the chat
// API and the earlier turns as history; its sources are judged by file
// (hit@1, hit@5), the passages it cites and its text by whether they hold
// the gold answer, and its text by token F1 against it.
package qaeval
