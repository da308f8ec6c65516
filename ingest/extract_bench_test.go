package ingest

import (
	"context"
	"strings"
	"testing"
)

// BenchmarkExtractText measures extraction (decoding, normalisation,
// structure) of 1 MB documents of each textual format, reported as MB/s.
func BenchmarkExtractText(b *testing.B) {
	para := "The glacier carved the valley over ten thousand years; its meltwater feeds the river delta, " +
		"where sediment settles and the estuary's tides sort sand from silt. Naïve visitors rarely notice it.\n\n"
	body := strings.Repeat(para, 1<<20/len(para))
	docs := map[Format]string{
		Text:     body,
		Markdown: "# Rivers\n\n## Deltas\n\n" + body,
		HTML:     "<html><head><title>Rivers</title></head><body><h1>Rivers</h1><p>" + strings.ReplaceAll(body, "\n\n", "</p>\n<p>") + "</p></body></html>",
	}
	for _, f := range []Format{Text, Markdown, HTML} {
		doc := docs[f]
		b.Run(string(f), func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				if _, err := Extract(context.Background(), f, strings.NewReader(doc), int64(len(doc)), Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
