package qaeval

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"strings"
)

// Question is one labelled question of a document-QA set.
type Question struct {
	Question    string    `json:"question"`
	SourceFiles []string  `json:"source_files"`
	SourcePages []PageRef `json:"source_pages,omitempty"`
	Answer      string    `json:"answer,omitempty"`
}

// PageRef names a page (from 1) of a file.
type PageRef struct {
	File string `json:"file"`
	Page int    `json:"page"`
}

// maxLine bounds one line of a question file.
const maxLine = 1 << 20

// ReadQuestions reads a JSON Lines question file. Blank lines are skipped;
// a line that is not a question with at least one source file is an error
// naming the line.
func ReadQuestions(file string) ([]Question, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Question
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var q Question
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", file, line, err)
		}
		if strings.TrimSpace(q.Question) == "" || len(q.SourceFiles) == 0 {
			return nil, fmt.Errorf("%s line %d: want a \"question\" and at least one \"source_files\" entry", file, line)
		}
		out = append(out, q)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no questions", file)
	}
	return out, nil
}

// sameFile reports whether a label names the document at rel (a path
// relative to the folder): the same relative path, or the same base name.
func sameFile(label, rel string) bool {
	label = path.Clean(strings.TrimPrefix(strings.ReplaceAll(label, "\\", "/"), "./"))
	return label == rel || label == path.Base(rel)
}
