package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"

	"docent/store"
)

// Attachments (of e-mails) become documents of their own, owned like the
// message, right after it is indexed. When the message has a source path,
// each attachment's path is the message's path, "#" and its file name: a
// changed message replaces its attachments, one whose file is gone from a
// folder takes them with it, and attachments no longer in the message are
// deleted. Attachments of attachments are followed maxAttachDepth deep.

const maxAttachDepth = 2

type attachDepthKey struct{}

// AttachmentSep separates a message's path from its attachment's name in
// an attachment document's path.
const AttachmentSep = "#"

func (p *Pipeline) indexAttachments(ctx context.Context, parent *store.Document, atts []Attachment) {
	depth, _ := ctx.Value(attachDepthKey{}).(int)
	if depth >= maxAttachDepth || len(atts) == 0 && parent.Path == "" {
		return
	}
	ctx = context.WithValue(ctx, attachDepthKey{}, depth+1)
	keep := map[string]bool{}
	for _, a := range atts {
		if ctx.Err() != nil {
			return
		}
		f, err := DetectReader(a.Filename, bytes.NewReader(a.Data), int64(len(a.Data)))
		if err != nil {
			p.opt.Log.Info("attachment skipped", "document_id", parent.ID, "attachment", a.Filename, "reason", ReasonDetail(err))
			continue
		}
		sum := sha256.Sum256(a.Data)
		d := store.Document{Owner: parent.Owner, UploadedBy: parent.UploadedBy, Filename: a.Filename,
			ContentType: ContentType(f), Format: string(f), Size: int64(len(a.Data)), SHA256: hex.EncodeToString(sum[:]),
			Folder: parent.Folder}
		if parent.Path != "" {
			d.Path = parent.Path + AttachmentSep + a.Filename
			keep[d.Path] = true
			old, err := p.db.DocumentByPath(ctx, parent.Owner, d.Path)
			switch {
			case err == nil && old.SHA256 == d.SHA256 && old.Status == store.StatusReady:
				continue
			case err == nil && old.Status == store.StatusReady:
				d.Replaces = old.ID
			case err == nil:
				d.Replaces = old.Replaces
				p.db.DeleteDocumentByID(ctx, old.ID)
			}
		}
		if _, dup, err := p.db.CreateDocument(ctx, &d); err != nil || dup {
			continue
		}
		if err := p.Process(ctx, &d, bytes.NewReader(a.Data), int64(len(a.Data))); err != nil {
			p.opt.Log.Info("attachment failed", "document_id", d.ID, "reason", ReasonDetail(err))
		}
	}
	if parent.Path != "" {
		p.dropStaleAttachments(ctx, parent, keep)
	}
}

// dropStaleAttachments deletes the attachment documents of parent's path
// that are not in keep.
func (p *Pipeline) dropStaleAttachments(ctx context.Context, parent *store.Document, keep map[string]bool) {
	docs, err := p.db.OwnedDocuments(ctx, parent.Owner)
	if err != nil {
		return
	}
	prefix := parent.Path + AttachmentSep
	for _, d := range docs {
		if strings.HasPrefix(d.Path, prefix) && !keep[d.Path] && !strings.Contains(d.Path[len(prefix):], AttachmentSep) {
			if _, err := p.ix.Delete(ctx, store.Viewer{UserID: d.Owner, Admin: true}, d.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				p.opt.Log.Warn("stale attachment not deleted", "document_id", d.ID, "err", err)
			}
		}
	}
}

// attachmentOf reports whether a document path is an attachment of a file
// whose path is in present.
func attachmentOf(docPath string, present map[string]bool) bool {
	for i := strings.Index(docPath, AttachmentSep); i >= 0; {
		if present[docPath[:i]] {
			return true
		}
		j := strings.Index(docPath[i+1:], AttachmentSep)
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}
