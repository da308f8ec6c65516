package ingest

import (
	"context"
	"os"
	"strings"
	"testing"
)

func TestMarkdown(t *testing.T) {
	data, err := os.ReadFile("testdata/guide.md")
	if err != nil {
		t.Fatal(err)
	}
	x, err := extractBytes(t, Markdown, data)
	if err != nil {
		t.Fatal(err)
	}
	if x.Title != "Guide" {
		t.Errorf("title %q", x.Title)
	}
	want := []struct {
		path  string
		start string
	}{
		{"", "Intro paragraph"},
		{"Guide", "Guide\n\nWelcome"},
		{"Guide/Install", "Install\n\nInstall steps"},
		{"Guide/Install/Linux", "Linux\n\nRun the installer:\n\n```sh\n# not a heading"},
		{"Guide/Setext Section", "Setext Section\n\nText under"},
		{"Guide/Usage", "Usage\n\nUse it well."},
	}
	if len(x.Sections) != len(want) {
		t.Fatalf("got %d sections: %+v\n%s", len(x.Sections), x.Sections, x.Text)
	}
	for i, s := range x.Sections {
		body := x.Text[s.Start:s.End]
		if strings.Join(s.Headings, "/") != want[i].path || !strings.HasPrefix(body, want[i].start) {
			t.Errorf("section %d: %q %q, want %q %q", i, s.Headings, body, want[i].path, want[i].start)
		}
	}
	checkSections(t, x)
	if strings.Contains(x.Text, "title: Front") {
		t.Error("front matter kept")
	}
}

func TestMarkdownHeadings(t *testing.T) {
	tests := []struct {
		in   string
		want string // heading paths of the sections, ";"-separated
	}{
		{"# A\n## B\n### C\n## D\n# E", "A;A/B;A/B/C;A/D;E"},
		{"#NotHeading\n####### seven\n    # indented code", ""},
		{"# Closed ##\ntext", "Closed"},
		{"# *Emph* and [link](http://x) `code`\n", "Emph and link code"},
		{"~~~\n# in fence\n~~~\n# after", ";after"},
		{"````\n```\n# still fenced\n````\n", ""},
		{"Para\n\n---\nthematic break", ""},
		{"- item\n---\n", ""},
		{"Title\n=====\nbody", "Title"},
		{"---\ntitle: Only Front\n---\nbody", ""},
	}
	for _, tt := range tests {
		x := parseMarkdown(tt.in)
		var paths []string
		for _, s := range x.Sections {
			paths = append(paths, strings.Join(s.Headings, "/"))
		}
		if got := strings.Join(paths, ";"); got != tt.want {
			t.Errorf("%q: sections %q, want %q", tt.in, got, tt.want)
		}
	}
	if x := parseMarkdown("---\ntitle: Only Front\n---\nbody"); x.Title != "Only Front" {
		t.Errorf("front matter title %q", x.Title)
	}
}

func TestExtractFileChinese(t *testing.T) {
	want, err := os.ReadFile("testdata/zh.txt")
	if err != nil {
		t.Fatal(err)
	}
	x, err := ExtractFile(context.Background(), "testdata/zh.txt", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if x.Format != Text || x.Text != strings.TrimSpace(string(want)) {
		t.Errorf("Chinese text changed: format %q\n%q", x.Format, x.Text)
	}
	chunks := Split(x, ChunkOptions{Size: 80, Overlap: -1})
	if len(chunks) < 5 {
		t.Fatalf("only %d chunks", len(chunks))
	}
	for _, c := range chunks[:len(chunks)-1] {
		last := []rune(c.Text)
		if !strings.ContainsRune("。！？；，：、", last[len(last)-1]) {
			t.Errorf("chunk does not end at Chinese punctuation: %q", c.Text)
		}
		if n := len([]rune(c.Text)); n > 80 {
			t.Errorf("chunk of %d runes", n)
		}
	}
	checkChunks(t, x, chunks, 80, 0)
}
