package qaeval

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"docent/internal/testpdf"
	"docent/retrieval"
)

// lookAlikeFilings writes quarterly reports of different companies that
// share every sentence but the cover page and their figures: the passage
// that answers "What was X's total net revenue?" says "the Company", and
// X is named only on the cover page and in the file name. It returns the
// questions and, for each, the figure its answer holds.
func lookAlikeFilings(t *testing.T) (dir string, questions, figures []string) {
	t.Helper()
	dir = t.TempDir()
	companies := []string{"Aurora Dynamics", "Borealis Foods", "Cobalt Mining", "Delta Textiles", "Ember Software", "Fjord Shipping", "Granite Insurance", "Halcyon Pharma"}
	boiler := []string{
		"The Company is subject to risks that could affect its results of operations and financial condition.",
		"Management believes the Company has adequate liquidity to meet its obligations for the next twelve months.",
		"The Company recognizes revenue when control of the promised goods or services is transferred to customers.",
		"Operating expenses include research, selling, general and administrative costs incurred during the quarter.",
		"We are party to legal proceedings arising in the ordinary course of business none of which is material.",
	}
	for i, name := range companies {
		slug := strings.ToLower(strings.ReplaceAll(name, " ", "-"))
		file := fmt.Sprintf("%s-2023-q2-10q.pdf", slug)
		pages := [][]string{{"UNITED STATES SECURITIES AND EXCHANGE COMMISSION", "FORM 10-Q", name + " Inc.", "For the quarterly period ended June 30, 2023"}}
		figure := fmt.Sprintf("$%d.%d million", 100+37*i, i)
		for p := range 6 {
			var lines []string
			for j := range 8 {
				lines = append(lines, boiler[(p+j)%len(boiler)])
			}
			if p == 3 {
				lines = append(lines, fmt.Sprintf("Total net revenue for the quarter was %s, compared with $%d.0 million a year ago.", figure, 90+31*i))
			}
			pages = append(pages, lines)
		}
		if err := os.WriteFile(filepath.Join(dir, file), testpdf.Pages(pages...), 0o644); err != nil {
			t.Fatal(err)
		}
		questions = append(questions, fmt.Sprintf("What was %s's total net revenue for the quarter?", name))
		figures = append(figures, figure)
	}
	return dir, questions, figures
}

// TestDocumentIdentityFindsTheNamedFiling: a question naming a company
// finds that company's revenue passage in the top 3, above every other
// company's look-alike one — which only the document's identity (title and
// file name) and the document-level evidence can tell apart: without them
// the revenue passages of all filings tie, and most questions get another
// company's figure first.
func TestDocumentIdentityFindsTheNamedFiling(t *testing.T) {
	ctx := context.Background()
	dir, questions, figures := lookAlikeFilings(t)
	c, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// rank returns the 1-based rank of the first revenue passage and
	// whether it is the right company's.
	rank := func(q, figure string, mode retrieval.Mode) (int, bool) {
		res, err := c.Library.Search(ctx, viewerAll, retrieval.SearchRequest{Text: q, TopK: 10, Mode: mode})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if strings.Contains(r.Text, "Total net revenue") {
				return i + 1, strings.Contains(r.Text, figure)
			}
		}
		return 0, false
	}
	for _, mode := range []retrieval.Mode{retrieval.ModeHybrid, retrieval.ModeKeyword} {
		for i, q := range questions {
			if r, right := rank(q, figures[i], mode); !right || r > 3 {
				t.Errorf("%s %q: first revenue passage at rank %d, the right company's: %v", mode, q, r, right)
			}
		}
	}
	if err := c.Reindex(ctx, retrieval.Options{TitleWeight: -1, DocWeight: -1}); err != nil {
		t.Fatal(err)
	}
	wrong := 0
	for i, q := range questions {
		if _, right := rank(q, figures[i], retrieval.ModeHybrid); !right {
			wrong++
		}
	}
	if wrong < len(questions)/2 {
		t.Errorf("without the document's identity only %d of %d questions get another company's figure first: the corpus does not test what it should", wrong, len(questions))
	}
}

// TestBelenProbableCause: with the NTSB report of the shared evaluation
// PDFs, the probable cause (in the chunk after the one that names Belen)
// is in the top 3 passages.
func TestBelenProbableCause(t *testing.T) {
	src := filepath.Join(sharedEval, "pdfs", "ntsb-20080102X00005.pdf")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Skip("the shared evaluation PDFs are not here:", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, filepath.Base(src)), data, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Library.Search(ctx, viewerAll, retrieval.SearchRequest{Text: "What was the probable cause of the accident in Belen, New Mexico?", TopK: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if strings.Contains(r.Text, "loss of directional control during landing") {
			return
		}
	}
	out, _ := json.MarshalIndent(res, "", "  ")
	t.Errorf("the probable cause is not in the top 3:\n%s", out)
}
