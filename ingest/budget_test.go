package ingest

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"docent/store"
)

// findingCSV is the file of the security review's first finding: 256
// column names of 1,000 characters and 240 rows of digits, 380 KB that
// became 81,920 chunks and 1.15 GB of memory.
func findingCSV() []byte {
	var b bytes.Buffer
	for c := range 256 {
		if c > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strings.Repeat(string(rune('a'+c%26)), 999) + string(rune('A'+c/26)))
	}
	b.WriteByte('\n')
	for r := range 240 {
		for c := range 256 {
			if c > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa((r*256 + c) % 10000))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Every loader reports its text against the file's budget (3 bytes of text
// per byte of file, at least 1 MiB): files built to expand stop early with
// a reason that says so, where before they became tens of megabytes of
// text under the 64 MiB cap.
func TestTextBudgetStopsExpandingFiles(t *testing.T) {
	epub := map[string]string{
		"mimetype":               "application/epub+zip",
		"META-INF/container.xml": `<container><rootfiles><rootfile full-path="o.opf"/></rootfiles></container>`,
		"o.opf":                  `<package><manifest><item id="c" href="c.xhtml"/></manifest><spine><itemref idref="c"/></spine></package>`}
	tests := []struct {
		name string
		f    Format
		data []byte
	}{
		{"CSV with long column names (finding 1)", CSV, findingCSV()},
		{"DOCX of repeated paragraphs", DOCX, bombZip(t, map[string]string{"[Content_Types].xml": `<Types/>`}, "word/document.xml",
			`<?xml version="1.0"?><w:document `+docxNS+`><w:body>`, para("", "The same sentence, written again and again."), 8<<20)},
		{"PPTX of repeated text", PPTX, bombZip(t, map[string]string{"ppt/presentation.xml": pptxPres, "ppt/_rels/presentation.xml.rels": pptxRels},
			"ppt/slides/slide1.xml", "<p:sld>", "<a:p><a:r><a:t>The same sentence, written again and again.</a:t></a:r></a:p>", 8<<20)},
		{"EPUB of repeated paragraphs", EPUB, bombZip(t, epub, "c.xhtml", "<html><body>", "<p>The same sentence, written again and again.</p>", 8<<20)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			x, err := Extract(context.Background(), tc.f, bytes.NewReader(tc.data), int64(len(tc.data)), Limits{})
			if d := time.Since(start); d > hangLimit {
				t.Errorf("took %v", d)
			}
			if err == nil {
				t.Fatalf("%d bytes became %d bytes of text: the budget is %d", len(tc.data), len(x.Text), Limits{}.TextBudget(int64(len(tc.data))))
			}
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(Reason(err), "times its size") {
				t.Errorf("err = %v, reason %q: want ErrTooLarge with a reason naming the budget", err, Reason(err))
			}
		})
	}
	// The same kinds of file at ordinary sizes are read.
	ok := []struct {
		name string
		f    Format
		data []byte
	}{
		{"CSV with ordinary column names", CSV, []byte("name,age,city\n" + strings.Repeat("Ann Smith,34,Lisbon\n", 20000))},
		{"DOCX of varied paragraphs", DOCX, makeDOCX(t, docxBody(strings.Repeat(para("", "Paragraph of a handbook about leave."), 500)), nil)},
	}
	for _, tc := range ok {
		if _, err := Extract(context.Background(), tc.f, bytes.NewReader(tc.data), int64(len(tc.data)), Limits{}); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestTextBudget(t *testing.T) {
	for _, c := range []struct {
		lim        Limits
		size, want int64
	}{
		{Limits{}, 1000, 1 << 20},
		{Limits{}, 1 << 20, 3 << 20},
		{Limits{}, 100 << 20, 64 << 20},
		{Limits{TextPerByte: 5, MinText: 10}, 4, 20},
	} {
		if got := c.lim.TextBudget(c.size); got != c.want {
			t.Errorf("%+v, %d bytes: budget %d, want %d", c.lim, c.size, got, c.want)
		}
	}
}

// Headings repeated on every chunk of their section are bounded: a heading
// of 200 KB or a spreadsheet header row of 2,000 columns puts at most
// maxHeadingPath bytes in front of each chunk, cut at a word.
func TestHeadingPathsAreBounded(t *testing.T) {
	long := strings.Repeat("word ", 40000)
	text := "# " + long + "\n\n" + strings.Repeat("Body sentence about something else entirely. ", 2000)
	x := parseMarkdown(text)
	chunks := Split(x, ChunkOptions{})
	if len(chunks) < 50 {
		t.Fatalf("%d chunks", len(chunks))
	}
	for _, c := range chunks {
		path, _, _ := strings.Cut(c.Text, "\n")
		n := 0
		for _, h := range c.Headings {
			n += len(h)
		}
		if len(path) > maxHeadingPath+10 || n > maxHeadingPath || !strings.HasSuffix(path, "…") {
			t.Fatalf("chunk %d: path line of %d bytes, headings of %d: %.80q", c.Index, len(path), n, path)
		}
	}
	deep := boundHeadings([]string{strings.Repeat("a", 250), "Chapter 2", strings.Repeat("b ", 200), "Section 2.1"})
	if len(deep) < 2 || deep[len(deep)-1] != "Section 2.1" || len(strings.Join(deep, "")) > maxHeadingPath {
		t.Errorf("deep path: %q", deep)
	}
	if got := clip("héllo wörld again", 12); got != "héllo…" {
		t.Errorf("clip: %q", got)
	}
}

// Through the pipeline, the finding's CSV fails at once with a readable
// reason and no chunk is stored.
func TestExpandingUploadFailsReadably(t *testing.T) {
	p, db, _ := testPipeline(t)
	start(t, p)
	ctx := context.Background()
	began := time.Now()
	d, _, err := p.Submit(ctx, spooled(t, p, "wide.csv", findingCSV()))
	if err != nil {
		t.Fatal(err)
	}
	d, _ = p.Wait(ctx, d.ID)
	if d.Status != store.StatusFailed || !strings.Contains(d.Error, "times its size") || d.Chunks != 0 {
		t.Errorf("the CSV of finding 1: %s, %d chunks, %q", d.Status, d.Chunks, d.Error)
	}
	if chunks, _ := db.Chunks(ctx, d.ID); len(chunks) != 0 {
		t.Errorf("%d chunks stored", len(chunks))
	}
	t.Logf("failed after %v: %s", time.Since(began).Round(time.Millisecond), d.Error)
}

// An OpenDocument text counts its paragraphs and headings against the
// budget as it writes them, not only once its whole text is built: deep
// headings over every short line (a 1 MiB file made 212 MiB of memory
// before the budget refused it) stop inside the loader.
func TestODFStopsAtTheBudgetAsItWrites(t *testing.T) {
	data := bombZip(t, map[string]string{"mimetype": "application/vnd.oasis.opendocument.text"}, "content.xml",
		"<office:document-content><office:body><office:text>",
		`<text:h text:outline-level="2">`+strings.Repeat("A long heading ", 14)+`</text:h><text:p>A short line.</text:p>`, 8<<20)
	lim := Limits{}.withDefaults()
	lim.textBudget = lim.TextBudget(int64(len(data)))
	x, err := extractODF(context.Background(), ODT, bytes.NewReader(data), int64(len(data)), lim)
	if err == nil {
		t.Fatalf("the loader built %d bytes of text against a budget of %d", len(x.Text), lim.textBudget)
	}
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(Reason(err), "times its size") {
		t.Errorf("err = %v, reason %q: want ErrTooLarge with a reason naming the budget", err, Reason(err))
	}
}
