package qaeval

import (
	"errors"
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

// ReadQuestions reads a JSON Lines question file. Blank lines are skipped;
// a line that is not a question with at least one source file is an error
// naming the line.
func ReadQuestions(file string) ([]Question, error) {
	return readJSONL(file, "questions", func(q *Question) error {
		if strings.TrimSpace(q.Question) == "" || len(q.SourceFiles) == 0 {
			return errors.New(`want a "question" and at least one "source_files" entry`)
		}
		return nil
	})
}

// sameFile reports whether a label names the document at rel (a path
// relative to the folder): the same relative path, or the same base name.
func sameFile(label, rel string) bool {
	label = path.Clean(strings.TrimPrefix(strings.ReplaceAll(label, "\\", "/"), "./"))
	return label == rel || label == path.Base(rel)
}
