package chat

import (
	"strings"
	"testing"
)

// pdfPassages are passages as PDF extraction gives them: hard-wrapped
// lines, numbered headings, page furniture, table rows and form fields.
var pdfPassages = []Passage{
	{DocumentID: 1, Filename: "plan.pdf", Page: 18, Text: "Deploy protective capabilities, tools, and services across federal civilian government systems\n" +
		"_63ed741c-c0c9-11ec-a4ba-aeec1c83ea00\n\n3.1.2. Cybersecurity\nImprove cybersecurity for federal civilian departments and agencies by measuring and enforcing baseline\n" +
		"policies and practices.\n\nPage 18Strategic Plan U.S. Department of Homeland Security"},
	{DocumentID: 2, Filename: "notice.pdf", Page: 12, Text: "(a) Comments Due Date\nThe FAA must receive comments on this\nAD action by September 21, 2020.\n\n" +
		"(b) Affected ADs\nThis AD replaces AD 2018–23–51.\n\nVerDate Sep<11>2014 16:21 Aug 05, 2020 Jkt 250001 PO 00000 Frm 00012 Fmt 4702 Sfmt 4702 E:\\FR\\FM\\06AUP1.SGM 06AUP1"},
	{DocumentID: 3, Filename: "report.pdf", Page: 2, Text: "Airport Information\nAirport: Alexander Municipal Airport (E80) Runway Surface Type: Asphalt\n\n" +
		"Airport Elevation: 5194 ft Runway Surface Condition: Dry\n\nPage 2 of 4 DEN08CA034"},
	{DocumentID: 4, Filename: "checks.pdf", Page: 1, Text: "NICS Firearm Background Checks\nNovember - 2015\nState Permit Handgun Long Gun Totals\n" +
		"Kansas 894 7,086 8,702 18,433\nKentucky 264,140 12,155 14,847 295,891\nLouisiana 1,945 14,708 17,368 37,752\n\n" +
		"These statistics represent the number of firearm background checks initiated through the NICS."},
	{DocumentID: 5, Filename: "protocol.pdf", Page: 3, Text: "Version: v1.0 Date: September 13, 2023\n4.2 Inclusion Criteria\n\nThe following criteria must be met for patient inclusion:\n\n" +
		"Patients undergoing allogeneic hematopoietic stem cell transplantation. Both genders, aged ≥18 and ≤60."},
	{DocumentID: 5, Filename: "protocol.pdf", Page: 4, Text: "Version: v1.0 Date: September 13, 2023\n5.1 Methods of stem cell administration\n\n" +
		"MSCs (1×10^9/ml) dressing was applied 4 times/day for 2 weeks."},
}

func TestAnswerSentencesHoldNoHeadingOrFurniture(t *testing.T) {
	headings := []string{"Cybersecurity Improve", "Comments Due Date", "Affected ADs", "Airport Information", "Inclusion Criteria",
		"Methods of stem cell", "NICS Firearm", "3.1.2", "(a)", "Page 2", "DEN08CA034", "VerDate", "Strategic Plan U.S.", "Version: v1.0", "_63ed"}
	tests := []struct {
		question string
		want     string
	}{
		{"How does DHS improve cybersecurity for federal civilian agencies?", "Improve cybersecurity for federal civilian departments and agencies by measuring and enforcing baseline policies and practices"},
		{"When is the comments due date for the AD?", "The FAA must receive comments on this AD action by September 21, 2020"},
		{"What is the airport elevation?", "Airport Elevation: 5194 ft"},
		{"How many firearm background checks were there in Kentucky?", "Kentucky 264,140 12,155 14,847 295,891"},
		{"Which genders and ages are eligible?", "aged ≥18 and ≤60"},
		{"How often was the dressing applied?", "4 times/day for 2 weeks"},
	}
	for _, tt := range tests {
		got := extractiveAnswer(tt.question, tt.question, pdfPassages)
		if !strings.Contains(got, tt.want) {
			t.Errorf("%q: answer %q lacks %q", tt.question, got, tt.want)
		}
		for _, h := range headings {
			if strings.Contains(got, h) {
				t.Errorf("%q: answer %q holds the heading or furniture %q", tt.question, got, h)
			}
		}
		if !strings.HasPrefix(got, tt.want) && !strings.HasPrefix(got, "…") && strings.Index(got, tt.want) > 0 && strings.Count(got, "[") > 1 {
			// The best sentence comes first.
			if first := got[:strings.Index(got, "[")]; !strings.Contains(first, tt.want) {
				t.Errorf("%q: answer %q does not start with the best sentence", tt.question, got)
			}
		}
	}
}

func TestBlocks(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []block
	}{
		{"reflowed paragraph", "A line that\nwraps here.", []block{{text: "A line that\nwraps here."}}},
		{"numbered heading", "3.1.2. Cybersecurity\nImprove cybersecurity for agencies.", []block{{"Cybersecurity", true, false}, {"Improve cybersecurity for agencies.", false, false}}},
		{"lettered heading", "(a) Comments Due Date\nThe FAA must receive comments.", []block{{"Comments Due Date", true, false}, {"The FAA must receive comments.", false, false}}},
		{"glued section number", "5.Treatment Protocol\nThe patient's mouth was treated.", []block{{"Treatment Protocol", true, false}, {"The patient's mouth was treated.", false, false}}},
		{"list items", "Intro:\n- first item\n- second item\n1. numbered item", []block{{"Intro:", true, false}, {"first item", false, false}, {"second item", false, false}, {"numbered item", false, false}}},
		{"heading in capitals", "1.1. Intelligence\nCOLLECT, ANALYZE, AND SHARE ACTIONABLE INTELLIGENCE\nEffective homeland security operations rely on intelligence.",
			[]block{{"Intelligence", true, false}, {"COLLECT, ANALYZE, AND SHARE ACTIONABLE INTELLIGENCE", true, false}, {"Effective homeland security operations rely on intelligence.", false, false}}},
		{"label in capitals", "DATES: The FAA must receive comments by September 21, 2020.", []block{{"The FAA must receive comments by September 21, 2020.", false, false}}},
		{"form fields stay", "Age: 48, Male\n\nDate of Incident: 01/09/2015", []block{{"Age: 48, Male", false, false}, {"Date of Incident: 01/09/2015", false, false}}},
		{"furniture dropped", "Page 1 of 4\n17\nThe pilot landed.\n- 3 -\n06AUP1.SGM_0001234", []block{{"The pilot landed.", false, false}}},
		{"table of contents dropped", "3.1.2. Cybersecurity ..................... 18\nText follows here.", []block{{"Text follows here.", false, false}}},
		{"dot leaders in a table row", "AOA sensor system test ......... 40 work-hours × $85 per hour = $0 ........ $3,400 ....... $248,200.",
			[]block{{"AOA sensor system test … 40 work-hours × $85 per hour = $0 … $3,400 … $248,200.", false, false}}},
		{"numbered transcript lines", "12 The above-entitled matter came on for oral\n\n13 argument before the Supreme Court of the United States\n\n14 at 1:01 p.m.\n\n15 APPEARANCES:\n\n16 STEVEN E. MERCER, ESQ., Deputy Attorney General, Los\n\n17 Angeles, Cal.; on behalf of the Petitioner.",
			[]block{{"The above-entitled matter came on for oral\nargument before the Supreme Court of the United States\nat 1:01 p.m.", false, false}, {"APPEARANCES:", true, false},
				{"STEVEN E. MERCER, ESQ., Deputy Attorney General, Los\nAngeles, Cal.; on behalf of the Petitioner.", false, false}}},
		{"table rows", "Kansas 894 7,086 18,433\nKentucky 264,140 12,155 295,891", []block{{"Kansas 894 7,086 18,433", false, true}, {"Kentucky 264,140 12,155 295,891", false, true}}},
		{"row with a cell continued", "DHAW20190031 05/28/2019 CITIBANK 618.00\nTRAIN FARE FOR SEN HAWLEY\nDHAW20190032 06/13/2019 CITIBANK 553.30",
			[]block{{"DHAW20190031 05/28/2019 CITIBANK 618.00\nTRAIN FARE FOR SEN HAWLEY", false, true}, {"DHAW20190032 06/13/2019 CITIBANK 553.30", false, true}}},
		{"prose with dates is not a row", "The FAA must receive comments on this\nAD action by September 21, 2020.", []block{{"The FAA must receive comments on this\nAD action by September 21, 2020.", false, false}}},
		{"a decimal is not a section", "3.5 million people were counted.", []block{{"3.5 million people were counted.", false, false}}},
		{"prose about a page stays", "page 3 of the report says so", []block{{"page 3 of the report says so", false, false}}},
		{"header row of a table", "Notice Date Effective Received Company City No. Of Layoff/Closure\n06/30/2015 09/15/2015 07/06/2015 KLA-Tencor Corporation Milpitas 213 Layoff Permanent",
			[]block{{"Notice Date Effective Received Company City No. Of Layoff/Closure", true, false}, {"06/30/2015 09/15/2015 07/06/2015 KLA-Tencor Corporation Milpitas 213 Layoff Permanent", false, true}}},
		{"a sentence above a row is no header", "Counts for the three states were\nKansas 894 7,086 18,433",
			[]block{{"Counts for the three states were", false, false}, {"Kansas 894 7,086 18,433", false, true}}},
		{"drawn rule dropped", "- - - - - - - - - - - - - - - - - x\nWashington, D.C.", []block{{"Washington, D.C.", false, false}}},
		{"a line ending with a comma is no row", "30, West Building Ground Floor, Room\nW12–140, 1200 New Jersey Avenue SE,\nWashington, DC 20590.",
			[]block{{"30, West Building Ground Floor, Room\nW12–140, 1200 New Jersey Avenue SE,\nWashington, DC 20590.", false, false}}},
		{"chinese", "员工每年享有十五天带薪年假。", []block{{"员工每年享有十五天带薪年假。", false, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := blocks(tt.in, nil)
			if len(got) != len(tt.want) {
				t.Fatalf("blocks(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("blocks(%q)[%d] = %+v, want %+v", tt.in, i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestRunningHeadersAcrossPages(t *testing.T) {
	texts := []string{"Version: v1.0 Date: September 13, 2023\nFirst page text.", "Version: v1.0 Date: September 13, 2023\nSecond page text.\nAcme annual report 2",
		"Acme annual report 3\nThird page text."}
	rep := repeatedLines(texts, []int{1, 2, 3}, 2)
	for _, l := range []string{"Version: v1.0 Date: September 13, 2023", "Acme annual report 5"} {
		if !rep[lineKey(l)] {
			t.Errorf("%q is not taken for a running header", l)
		}
	}
	if rep[lineKey("Second page text.")] {
		t.Error("body text taken for a running header")
	}
	// Table rows about the same company on two pages are not headers.
	rows := []string{"09/11/2015 09/14/2015 09/14/2015 Cisco Systems, Inc. San Jose 20 Layoff Permanent",
		"07/21/2015 07/22/2015 07/22/2015 Cisco Systems, Inc. San Jose 192 Layoff Permanent"}
	if rep := repeatedLines(rows, []int{1, 2}, 2); rep != nil {
		t.Errorf("table rows taken for running headers: %v", rep)
	}
	headers := []string{"47700 Federal Register / Vol. 85, No. 152 / Thursday, August 6, 2020 / Proposed Rules\nText.",
		"Federal Register / Vol. 85, No. 152 / Thursday, August 6, 2020 / Proposed Rules 47703\nMore text.",
		"47702 Federal Register / Vol. 85, No. 152 / Thursday, August 6, 2020 / Proposed Rules\nOther text."}
	if rep := repeatedLines(headers, []int{2, 6, 4}, 2); !rep[lineKey("47704 Federal Register / Vol. 85, No. 152 / Thursday, August 6, 2020 / Proposed Rules")] {
		t.Errorf("a running header with its page number first: %v", rep)
	}
	// The same line twice on one page (overlapping chunks) is body text.
	if rep := repeatedLines(texts[:2], []int{1, 1}, 2); rep != nil {
		t.Errorf("overlapping chunks of one page: %v", rep)
	}
}

func TestInitialisms(t *testing.T) {
	got := initialisms("The National Transportation Safety Board (NTSB) and the Department of Homeland Security met in New York.")
	want := []string{"ntsb", "dhs", "ny"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("initialisms = %q, want %q", got, want)
	}
	q := "What did the NTSB determine was the probable cause?"
	passages := []Passage{
		{DocumentID: 1, Filename: "a.pdf", Text: "NTSB accident and incident dockets serve as permanent archival information for the NTSB's investigations."},
		{DocumentID: 1, Filename: "a.pdf", ChunkIndex: 1, Text: "The National Transportation Safety Board determines the probable cause of this accident to be the pilot's loss of directional control."},
	}
	if got := extractiveAnswer(q, q, passages); !strings.HasPrefix(got, "The National Transportation Safety Board determines the probable cause") {
		t.Errorf("answer %q: the acronym does not match its expansion", got)
	}
}

func TestAnswersFromFormsAndSections(t *testing.T) {
	form := []Passage{{DocumentID: 1, Filename: "report.pdf", Page: 1, Text: "Location: Belen, NM Accident Number: DEN08CA034\n\n" +
		"Crew Injuries: 1 None Aircraft Damage: Substantial\n\nAge: 48, Male Seat Occupied: Front\n\n" +
		"Runway Length/Width: 6601 ft / 60 ft VFR Approach/Landing: Full Stop"}}
	protocol := []Passage{{DocumentID: 2, Filename: "protocol.pdf", Page: 3, Text: "4.3 Exclusion Criteria\n\n" +
		"Patients meeting any of the following criteria are not eligible: severe heart, kidney, or liver dysfunction.\n\n" +
		"5.1 Methods of stem cell administration\n\nThe patient's mouth (including buccal mucosa, tongue and lip) was applied with MSCs: MSCs (1×10^9/ml) dressing was applied 4 times/day for 2 weeks."}}
	tests := []struct {
		question string
		passages []Passage
		first    string // the answer starts with it
	}{
		{"How many people were injured in the Belen accident?", form, "Crew Injuries: 1 None"},
		{"How old was the pilot?", form, "Age: 48, Male"},
		{"How long is the runway at Belen?", form, "Runway Length/Width: 6601 ft"},
		{"What are the exclusion criteria for the mesenchymal stem cell dressing trial?", protocol, "Patients meeting any of the following criteria are not eligible"},
	}
	for _, tt := range tests {
		if got := extractiveAnswer(tt.question, tt.question, tt.passages); !strings.HasPrefix(got, tt.first) {
			t.Errorf("%q: answer %q does not start with %q", tt.question, got, tt.first)
		}
	}
}
