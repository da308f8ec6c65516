// Package ingest turns files into indexed documents: it detects a file's
// format, extracts its text (with page numbers and headings), normalises it,
// splits it into chunks and runs the ingest pipeline that embeds and commits
// them. It knows nothing about HTTP.
package ingest
