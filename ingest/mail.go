package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"path"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
)

// E-mail: an EML file is one message, an MBOX file many (split at "From "
// lines, ">From " unescaped). Each message is a section headed by its
// subject whose text starts with its headers (From, To, Cc, Date and the
// names of its attachments), then its body: the text/plain alternative,
// else the text of the HTML one, in the charset the message declares.
// Attachments (and attached messages) are returned in
// Extracted.Attachments, which the pipeline indexes as documents of their
// own. MIME nesting, parts and attachments are bounded.

const (
	maxMIMEDepth    = 16
	maxMIMEParts    = 1000
	maxAttachments  = 200
	maxMailMessages = 100000
)

// Attachment is a file carried inside a document (an e-mail attachment),
// indexed as a document of its own.
type Attachment struct {
	Filename string
	Data     []byte
}

func extractMail(ctx context.Context, f Format, r io.ReaderAt, size int64, lim Limits) (*Extracted, error) {
	raw := make([]byte, size)
	if _, err := r.ReadAt(raw, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: read failed", ErrCorrupt)
	}
	msgs := [][]byte{raw}
	if f == MBOX {
		msgs = splitMbox(raw)
	}
	sb := &sectionBuilder{}
	x := &Extracted{}
	var written int64
	for i, m := range msgs {
		if i&63 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		mr := &mailReader{ctx: ctx, lim: lim}
		subject, text, err := mr.message(m)
		if err != nil {
			if f == EML {
				return nil, err
			}
			continue // one damaged message in a mailbox does not lose the rest
		}
		sb.heading(1, subject)
		sb.write(text)
		written += int64(len(text))
		if err := lim.checkText(written); err != nil {
			return nil, err
		}
		if x.Title == "" && f == EML {
			x.Title = subject
		}
		for _, a := range mr.attachments {
			if len(x.Attachments) < maxAttachments {
				x.Attachments = append(x.Attachments, a)
			}
		}
	}
	out := sb.extracted()
	out.Title, out.Attachments = x.Title, x.Attachments
	return out, nil
}

// splitMbox cuts an mbox file into messages at "From " lines that start
// the file or follow a blank line, and unescapes ">From " lines.
func splitMbox(raw []byte) [][]byte {
	var msgs [][]byte
	var cur bytes.Buffer
	prevBlank := true
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64<<10), len(raw)+1)
	for sc.Scan() {
		line := sc.Bytes()
		if prevBlank && bytes.HasPrefix(line, []byte("From ")) {
			if cur.Len() > 0 && len(msgs) < maxMailMessages {
				msgs = append(msgs, bytes.Clone(cur.Bytes()))
			}
			cur.Reset()
			prevBlank = false
			continue
		}
		if bytes.HasPrefix(bytes.TrimLeft(line, ">"), []byte("From ")) && line[0] == '>' {
			line = line[1:]
		}
		cur.Write(line)
		cur.WriteByte('\n')
		prevBlank = len(bytes.TrimSpace(line)) == 0
	}
	if cur.Len() > 0 && len(msgs) < maxMailMessages {
		msgs = append(msgs, cur.Bytes())
	}
	return msgs
}

// mailReader reads one message's MIME tree.
type mailReader struct {
	ctx         context.Context
	lim         Limits
	parts       int
	attachments []Attachment
}

var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return nil, err
	}
	return enc.NewDecoder().Reader(r), nil
}

func decodeHeader(s string) string {
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		s = d
	}
	return strings.Join(strings.Fields(s), " ")
}

// message returns a message's subject and its text: headers, then body.
func (mr *mailReader) message(raw []byte) (subject, text string, err error) {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return "", "", fmt.Errorf("%w: not a valid e-mail message", ErrCorrupt)
	}
	subject = decodeHeader(m.Header.Get("Subject"))
	if subject == "" {
		subject = "(no subject)"
	}
	body, err := mr.part(m.Header, m.Body, 0)
	if err != nil {
		return "", "", err
	}
	var b strings.Builder
	for _, h := range []string{"From", "To", "Cc", "Date"} {
		if v := decodeHeader(m.Header.Get(h)); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	if len(mr.attachments) > 0 {
		names := make([]string, len(mr.attachments))
		for i, a := range mr.attachments {
			names[i] = a.Filename
		}
		fmt.Fprintf(&b, "Attachments: %s\n", strings.Join(names, ", "))
	}
	b.WriteString("\n")
	b.WriteString(body)
	return subject, b.String(), nil
}

// header is what part needs of a MIME header.
type header interface{ Get(string) string }

// part returns the text of one MIME part, collecting attachments.
func (mr *mailReader) part(h header, body io.Reader, depth int) (string, error) {
	if mr.parts++; mr.parts > maxMIMEParts || depth > maxMIMEDepth {
		return "", fmt.Errorf("%w: the message nests too many parts", ErrCorrupt)
	}
	if err := mr.ctx.Err(); err != nil {
		return "", err
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		mt, params = "text/plain", map[string]string{}
	}
	body = transferDecoder(h.Get("Content-Transfer-Encoding"), body)
	body = &limitedReader{r: body, n: mr.lim.MaxExtracted, ctx: mr.ctx}
	disp, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	name := decodeHeader(dparams["filename"])
	if name == "" {
		name = decodeHeader(params["name"])
	}
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		return mr.multipart(mt, params["boundary"], body, depth)
	case disp == "attachment" || !strings.HasPrefix(mt, "text/") || name != "" && disp != "inline":
		data, err := io.ReadAll(body)
		if err != nil {
			return "", err
		}
		if len(data) == 0 {
			return "", nil
		}
		if name == "" {
			name = fmt.Sprintf("attachment-%d", len(mr.attachments)+1)
			if mt == "message/rfc822" {
				name += ".eml"
			}
		}
		mr.attachments = append(mr.attachments, Attachment{Filename: path.Base(strings.ReplaceAll(name, "\\", "/")), Data: data})
		return "", nil
	}
	data, err := io.ReadAll(body)
	if err != nil {
		return "", err
	}
	text := decodeCharset(data, params["charset"])
	if mt == "text/html" {
		x, err := parseHTML(mr.ctx, text)
		if err != nil {
			return "", err
		}
		return x.Text + "\n", nil
	}
	return text + "\n", nil
}

// multipart reads the parts of a multipart body: all of them, except that
// of alternatives only the plain text one (else the first) is kept.
func (mr *mailReader) multipart(mt, boundary string, body io.Reader, depth int) (string, error) {
	if boundary == "" {
		return "", fmt.Errorf("%w: a multipart part without a boundary", ErrCorrupt)
	}
	rd := multipart.NewReader(body, boundary)
	var texts []string
	alt := ""
	for {
		p, err := rd.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if len(texts) > 0 || alt != "" {
				break // a truncated last part: keep what was read
			}
			return "", fmt.Errorf("%w: damaged multipart body", ErrCorrupt)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		text, err := mr.part(p.Header, p, depth+1)
		if err != nil {
			return "", err
		}
		if mt == "multipart/alternative" {
			if alt == "" || ct == "text/plain" && strings.TrimSpace(text) != "" {
				alt = text
			}
			continue
		}
		if strings.TrimSpace(text) != "" {
			texts = append(texts, text)
		}
	}
	if mt == "multipart/alternative" {
		return alt, nil
	}
	return strings.Join(texts, "\n"), nil
}

func transferDecoder(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &base64Cleaner{r: r})
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	}
	return r
}

// base64Cleaner drops the bytes base64 does not use (line breaks, spaces)
// and stops at the first padding-free garbage, as mail readers do.
type base64Cleaner struct{ r io.Reader }

func (c *base64Cleaner) Read(p []byte) (int, error) {
	for {
		n, err := c.r.Read(p)
		j := 0
		for _, b := range p[:n] {
			if b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '+' || b == '/' || b == '=' {
				p[j] = b
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

// decodeCharset converts a part's text to UTF-8 from its declared charset
// (unknown charsets are read as decodeText reads files).
func decodeCharset(data []byte, charset string) string {
	if charset != "" && !strings.EqualFold(charset, "utf-8") && !strings.EqualFold(charset, "us-ascii") {
		if enc, err := htmlindex.Get(charset); err == nil {
			if out, err := enc.NewDecoder().Bytes(data); err == nil {
				return string(out)
			}
		}
	}
	return decodeText(data)
}

// looksLikeMail reports whether text starts with e-mail headers: at least
// two of the usual ones before the first blank line.
func looksLikeMail(s string) bool {
	known := 0
	for _, line := range strings.Split(s, "\n")[:min(strings.Count(s, "\n")+1, 40)] {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue // a folded header
		}
		name, _, ok := strings.Cut(line, ":")
		if !ok || strings.ContainsAny(name, " \t") {
			return false
		}
		switch strings.ToLower(name) {
		case "from", "to", "subject", "date", "message-id", "received", "return-path", "mime-version", "delivered-to", "cc":
			known++
		}
	}
	return known >= 2
}

// looksLikeMbox reports whether text starts like an mbox file: a "From "
// separator line followed by e-mail headers.
func looksLikeMbox(s string) bool {
	first, rest, ok := strings.Cut(s, "\n")
	return ok && strings.HasPrefix(first, "From ") && looksLikeMail(rest)
}
