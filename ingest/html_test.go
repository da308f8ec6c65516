package ingest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestHTML(t *testing.T) {
	page := `<!DOCTYPE html><html><head><title>The  Page &amp; Title</title>
<style>body { color: red }</style><script>var x = "<p>not text</p>";</script></head>
<body>
<header><nav><a href="/">Home</a> | <a href="/about">About</a></nav></header>
<main><article>
<header><h1>Main <em>Heading</em></h1></header>
<p>First paragraph with <b>bold</b>
 and   spaces.</p>
<noscript>Enable JavaScript</noscript>
<h2>Sub</h2><p>Under sub.<br>New line.</p>
<div hidden>secret</div><span style="display: none">also secret</span>
<svg><title>icon</title><text>svg text</text></svg>
<table><tr><th>Name</th><th>Age</th></tr><tr><td>Ada</td><td>36</td></tr></table>
<pre>  keep
    indentation  </pre>
<h3></h3>
<ul><li>one</li><li>two</li></ul>
</article></main>
<aside>Related links</aside>
<footer>Copyright 2024</footer>
<template><p>template</p></template>
</body></html>`
	x, err := extractBytes(t, HTML, []byte(page))
	if err != nil {
		t.Fatal(err)
	}
	want := "Main Heading\n\nFirst paragraph with bold and spaces.\n\nSub\n\nUnder sub.\nNew line.\n\nName | Age\nAda | 36\n\nkeep\nindentation\n\none\ntwo"
	if x.Text != want {
		t.Errorf("text\n%q\nwant\n%q", x.Text, want)
	}
	if x.Title != "The Page & Title" {
		t.Errorf("title %q", x.Title)
	}
	if len(x.Sections) != 2 || strings.Join(x.Sections[1].Headings, "/") != "Main Heading/Sub" {
		t.Errorf("sections %+v", x.Sections)
	}
	checkSections(t, x)
}

func TestHTMLTitleFallsBackToH1(t *testing.T) {
	x, err := extractBytes(t, HTML, []byte("<h1>Only H1</h1><p>x</p><h2>Unclosed <p>y"))
	if err != nil {
		t.Fatal(err)
	}
	if x.Title != "Only H1" || !strings.Contains(x.Text, "Unclosed") {
		t.Errorf("title %q text %q", x.Title, x.Text)
	}
}

func TestHTMLDeepNesting(t *testing.T) {
	for _, tag := range []string{"div", "b", "nav"} {
		deep := strings.Repeat("<"+tag+">", 200000) + "deep text" + strings.Repeat("</"+tag+">", 200000) + "<p>after</p>"
		start := time.Now()
		x, err := extractBytes(t, HTML, []byte(deep))
		if err != nil {
			t.Fatal(err)
		}
		if time.Since(start) > hangLimit {
			t.Errorf("%s: took %v", tag, time.Since(start))
		}
		if !strings.Contains(x.Text, "after") {
			t.Errorf("%s: lost the text after the nesting: %q", tag, x.Text)
		}
	}
}

func TestHTMLCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	page := []byte(strings.Repeat("<p>x</p>", 10000))
	if _, err := Extract(ctx, HTML, strings.NewReader(string(page)), int64(len(page)), Limits{}); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v", err)
	}
}
