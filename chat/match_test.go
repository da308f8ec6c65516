package chat

import (
	"strings"
	"testing"
)

// warnTable is a table as PDF extraction gives it: a header row of column
// names, then one line per row.
var warnTable = []Passage{{DocumentID: 1, Filename: "warn.pdf", Page: 1, Text: "Notice Date Effective Received Company City No. Of Layoff/Closure\n" +
	"06/22/2015 03/25/2016 07/01/2015 Maxim Integrated Product San Jose 150 Closure Permanent\n" +
	"02/10/2016 04/11/2016 02/10/2016 Yahoo! Burbank 90 Closure Permanent\n" +
	"06/30/2015 09/15/2015 07/06/2015 KLA-Tencor Corporation Milpitas 213 Layoff Permanent\n\n" +
	"The report lists the notices received under the WARN Act."}}

// expenses is a ruled table whose rows carry document codes that differ
// only in their last digit.
var expenses = []Passage{{DocumentID: 2, Filename: "expenses.pdf", Page: 1, Text: "DHAW20190005 05/28/2019 CITIBANK - TRAVEL CBA CARD 798.90\nAIRFARE FOR SEN HAWLEY WASHINGTON DC TO SAINT LOUIS\n" +
	"DHAW20190003 05/03/2019 CITIBANK - TRAVEL CBA CARD 737.94\nAIRFARE FOR M BERG WASHINGTON DC TO SAINT LOUIS AND RETURN\n" +
	"DHAW20190031 05/28/2019 CITIBANK - SENATOR IBA CARD 618.00\nTRAIN FARE FOR SEN HAWLEY WASHINGTON DC TO NEW YORK NY"}}

// protocol is a form page followed by prose.
var protocol = []Passage{
	{DocumentID: 3, Filename: "protocol.pdf", Page: 1, Text: "Principal Investigator: Gao Lei\n\nResearch Institution: Second Affiliated Hospital of Army Medical University\n\n" +
		"Department: Hematology\n\nThe principal investigator of the study leads a team of physicians who treat patients after transplantation."},
	{DocumentID: 3, Filename: "protocol.pdf", Page: 2, Text: "4.1 Number of Cases\nA total of 38 patients will be enrolled.\n\n4.2 Inclusion Criteria\n" +
		"Patients undergoing stem cell transplantation. Both genders, aged ≥18 and ≤60.\n\n" +
		"The patients in this study are observed by the researchers for six weeks."},
}

// study is prose that names its groups with letters and says in its own
// words what questions say plainly.
var study = []Passage{{DocumentID: 4, Filename: "study.pdf", Page: 3, Text: "Participants in the study were employed as shift workers in three industrial sites. " +
	"Across the three sites there were 503 participants in total. The shift workers in the study worked rotating twelve-hour shifts.\n\n" +
	"In Group A, the shift workers received advice on diet. The sessions were held in the canteen.\n\n" +
	"In Group B, the shift workers received advice on sleep. The sessions were given by the industrial nurse and an outside trainer.\n\n" +
	"Each speaker at the review was allotted three (3) minutes. Speakers may not yield their time to other speakers of the review.\n\n" +
	"The airplane crashed into the sea shortly after takeoff, resulting in 189 fatalities. The crash of the airplane was investigated by the authorities."}}

// notices are two pages of one document that repeat an address block, with
// a running header on both.
var notices = []Passage{
	{DocumentID: 5, Filename: "register.pdf", Page: 2, Text: "Federal Register / Vol. 85, No. 152 / Proposed Rules 47699\n" +
		"You may send comments by mail.\n• Mail: U.S. Department of\nTransportation, Docket Operations, M–\n30, West Building Ground Floor, Room\nW12–140, 1200 New Jersey Avenue SE,\nWashington, DC 20590.\n"},
	{DocumentID: 5, Filename: "register.pdf", Page: 9, Text: "Federal Register / Vol. 85, No. 152 / Proposed Rules 47706\n" +
		"The FAA proposes a second rule.\n• Mail: U.S. Department of\nTransportation, Docket Operations, M–\n30, West Building Ground Floor, Room\nW12–140, 1200 New Jersey Avenue SE,\nWashington, DC 20590.\n"},
}

// TestExtractiveAnswerTablesFormsAndWording checks the answer a user sees
// when the answer sits in a table row, a form field, a sentence that says
// it in other words, or a paragraph about one lettered group.
func TestExtractiveAnswerTablesFormsAndWording(t *testing.T) {
	tests := []struct {
		name            string
		question, query string // query: the question as resolved ("" = the question)
		passages        []Passage
		first           string   // the answer starts with it, or holds it when it starts with "…"
		not             []string // nor does the answer hold any of these
	}{
		{"a table row answers whole", "How many employees did Yahoo! lay off in Burbank?", "", warnTable,
			"02/10/2016 04/11/2016 02/10/2016 Yahoo! Burbank 90 Closure Permanent [1]", []string{"Notice Date", "Layoff/Closure", "Maxim"}},
		{"a header row is no answer, its names count for the rows", "When was the notice dated?", "When was the notice dated? kla tencor milpitas", warnTable,
			"06/30/2015 09/15/2015 07/06/2015 KLA-Tencor Corporation Milpitas 213 Layoff Permanent [1]", []string{"Notice Date", "Effective Received"}},
		{"a code matches only itself", "What was the amount of expense document DHAW20190003?", "", expenses,
			"DHAW20190003 05/03/2019 CITIBANK - TRAVEL CBA CARD 737.94 AIRFARE FOR M BERG", []string{"DHAW20190005", "DHAW20190031"}},
		{"a form field names what is asked", "What department is the principal investigator in?", "", protocol,
			"Department: Hematology [1]", []string{"Number of Cases", "Inclusion Criteria"}},
		{"how old: aged", "How old can the patients be?", "", protocol,
			"Both genders, aged ≥18 and ≤60 [2].", []string{"Inclusion Criteria"}},
		{"took part: participants, counted", "How many shift workers took part in the study?", "", study,
			"…Across the three sites there were 503 participants in total [1].", nil},
		{"died: fatalities", "How many people died when the airplane crashed?", "", study,
			"The airplane crashed into the sea shortly after takeoff, resulting in 189 fatalities [1].", nil},
		{"how long: a number with its unit", "How long may each speaker talk at the review?", "", study,
			"Each speaker at the review was allotted three (3) minutes [1].", nil},
		{"a letter label", "What did Group B receive?", "", study,
			"In Group B, the shift workers received advice on sleep [1].", []string{"Group A", "diet"}},
		{"a letter label holds for its paragraph", "Who gave the sessions for Group B?", "", study,
			"The sessions were given by the industrial nurse and an outside trainer [1].", []string{"canteen"}},
		{"an address a document repeats is no running header", "What is the mailing address of Docket Operations?", "", notices,
			"Mail: U.S. Department of Transportation, Docket Operations, M– 30, West Building Ground Floor, Room W12–140, 1200 New Jersey Avenue SE, Washington, DC 20590 [1].",
			[]string{"Federal Register", "47699"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			query := tt.query
			if query == "" {
				query = tt.question
			}
			got := extractiveAnswer(tt.question, query, tt.passages)
			if has, ok := strings.CutPrefix(tt.first, "…"); ok {
				if !strings.Contains(got, has) {
					t.Errorf("answer %q\nlacks %q", got, has)
				}
			} else if !strings.HasPrefix(got, tt.first) {
				t.Errorf("answer %q\ndoes not start with %q", got, tt.first)
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("answer %q holds %q", got, n)
				}
			}
		})
	}
}

func TestLetterLabels(t *testing.T) {
	tests := []struct {
		question string
		want     []string
	}{
		{"What about site C?", []string{"site c"}},
		{"What training did site A give its shift workers?", []string{"site a"}},
		{"A question about Group B and Appendix D", []string{"group b", "appendix d"}},
		{"Is it true that I was there?", nil},
		{"What is a cat?", nil},
	}
	for _, tt := range tests {
		got := letterLabels(tt.question)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("letterLabels(%q) = %q, want %q", tt.question, got, tt.want)
		}
	}
}
