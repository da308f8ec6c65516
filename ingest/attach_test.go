package ingest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"docent/store"
)

// mailWith returns an e-mail whose attachments are name → CSV content.
func mailWith(subject string, atts ...[2]string) []byte {
	s := "From: alice@example.com\r\nTo: bob@example.com\r\nSubject: " + subject +
		"\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=BB\r\n\r\n--BB\r\nContent-Type: text/plain\r\n\r\nSee the attached tables.\r\n"
	for _, a := range atts {
		s += fmt.Sprintf("--BB\r\nContent-Type: text/csv; name=%q\r\nContent-Disposition: attachment; filename=%q\r\n\r\n%s\r\n", a[0], a[0], a[1])
	}
	return []byte(s + "--BB--\r\n")
}

// Attachments of a mail in a folder are documents of their own that
// follow their message: replaced when it changes, dropped when they leave
// it, pruned with it.
func TestMailAttachmentsFollowTheirMessage(t *testing.T) {
	p, db, _ := testPipeline(t)
	ctx := context.Background()
	paths := func() []string {
		docs, err := db.OwnedDocuments(ctx, store.Shared)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range docs {
			if d.Status != store.StatusReady {
				t.Errorf("%s is %s: %s", d.Path, d.Status, d.Error)
			}
			out = append(out, d.Path)
		}
		slices.Sort(out)
		return out
	}
	fsys := fstest.MapFS{"inbox/q1.eml": {Data: mailWith("Q1", [2]string{"costs.csv", "item,cost\ntent,120\n"}, [2]string{"trips.csv", "city,days\nGeneva,3\n"})}}
	opt := FolderOptions{Owner: store.Shared, Root: "/m", Prune: true}
	run := func(want ...string) {
		t.Helper()
		if _, err := p.IngestFolder(ctx, fsys, opt); err != nil {
			t.Fatal(err)
		}
		if got := paths(); !slices.Equal(got, want) {
			t.Errorf("documents %q, want %q", got, want)
		}
	}
	run("/m/inbox/q1.eml", "/m/inbox/q1.eml#costs.csv", "/m/inbox/q1.eml#trips.csv")
	run("/m/inbox/q1.eml", "/m/inbox/q1.eml#costs.csv", "/m/inbox/q1.eml#trips.csv") // unchanged
	fsys["inbox/q1.eml"] = &fstest.MapFile{Data: mailWith("Q1 again", [2]string{"costs.csv", "item,cost\ntent,130\n"})}
	run("/m/inbox/q1.eml", "/m/inbox/q1.eml#costs.csv")
	d, err := db.DocumentByPath(ctx, store.Shared, "/m/inbox/q1.eml#costs.csv")
	if err != nil {
		t.Fatal(err)
	}
	chunks, _ := db.Chunks(ctx, d.ID)
	if len(chunks) == 0 || !containsText(chunks, "130") {
		t.Errorf("the changed attachment was not replaced: %+v", chunks)
	}
	delete(fsys, "inbox/q1.eml")
	run()
}

func containsText(chunks []store.Chunk, s string) bool {
	for _, c := range chunks {
		if strings.Contains(c.Text, s) {
			return true
		}
	}
	return false
}
