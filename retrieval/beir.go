package retrieval

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// EvalChunkChars is the length above which Dataset.Chunks splits a corpus
// record into several chunks; shorter records are one chunk each.
const EvalChunkChars = 4000

// Dataset is a BEIR-layout retrieval benchmark held in memory.
type Dataset struct {
	Name    string
	Docs    []BEIRDoc                 // the corpus, in file order
	Queries map[string]string         // query id → text
	Qrels   map[string]map[string]int // query id → corpus id → grade (> 0 only)
	byDoc   map[uint64]string         // index DocumentID → corpus id
}

// BEIRDoc is one corpus record.
type BEIRDoc struct {
	ID    string `json:"_id"`
	Title string `json:"title"`
	Text  string `json:"text"`
}

// LoadBEIR reads corpus.jsonl, queries.jsonl and qrels/<split>.tsv from
// dir. Corpus record i gets DocumentID i+1 (see Dataset.Bind to map ids
// assigned by a store instead).
func LoadBEIR(dir, split string) (*Dataset, error) {
	ds := &Dataset{Name: filepath.Base(filepath.Clean(dir)), Queries: make(map[string]string)}
	err := readJSONL(filepath.Join(dir, "corpus.jsonl"), func(r beirRecord) {
		ds.Docs = append(ds.Docs, BEIRDoc{ID: string(r.ID), Title: r.Title, Text: r.Text})
	})
	if err != nil {
		return nil, err
	}
	ds.byDoc = make(map[uint64]string, len(ds.Docs))
	for i, d := range ds.Docs {
		ds.byDoc[uint64(i)+1] = d.ID
	}
	err = readJSONL(filepath.Join(dir, "queries.jsonl"), func(r beirRecord) { ds.Queries[string(r.ID)] = r.Text })
	if err != nil {
		return nil, err
	}
	if ds.Qrels, err = readQrels(filepath.Join(dir, "qrels", split+".tsv")); err != nil {
		return nil, err
	}
	return ds, nil
}

// beirRecord is one line of corpus.jsonl or queries.jsonl.
type beirRecord struct {
	ID    beirID `json:"_id"`
	Title string `json:"title"`
	Text  string `json:"text"`
}

// beirID accepts an id written as a JSON string or number.
type beirID string

// UnmarshalJSON implements json.Unmarshaler.
func (id *beirID) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*id = beirID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("_id %s: %w", b, err)
	}
	*id = beirID(n.String())
	return nil
}

// readJSONL decodes every JSON object of a file.
func readJSONL(path string, fn func(beirRecord)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("load BEIR: %w", err)
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 1<<20))
	for line := 1; ; line++ {
		var r beirRecord
		if err := dec.Decode(&r); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("load BEIR %s record %d: %w", path, line, err)
		}
		fn(r)
	}
}

// readQrels reads a qrels file: an optional header row, then
// "query-id corpus-id score" (or TREC's "query-id 0 corpus-id score")
// separated by whitespace. Rows with score <= 0 are left out.
func readQrels(path string) (map[string]map[string]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load BEIR qrels: %w", err)
	}
	defer f.Close()
	out := make(map[string]map[string]int)
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 4 {
			fields = []string{fields[0], fields[2], fields[3]}
		}
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 3 {
			return nil, fmt.Errorf("load BEIR qrels %s line %d: want 3 fields, got %d", path, line, len(fields))
		}
		score, err := strconv.Atoi(fields[2])
		if err != nil {
			if line == 1 {
				continue // header
			}
			return nil, fmt.Errorf("load BEIR qrels %s line %d: %w", path, line, err)
		}
		if score <= 0 {
			continue
		}
		if out[fields[0]] == nil {
			out[fields[0]] = make(map[string]int)
		}
		out[fields[0]][fields[1]] = score
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("load BEIR qrels %s: %w", path, err)
	}
	return out, nil
}

// Bind records that the index holds corpus record corpusID under
// DocumentID docID (for callers whose store assigns its own ids).
func (ds *Dataset) Bind(docID uint64, corpusID string) {
	if ds.byDoc == nil {
		ds.byDoc = make(map[uint64]string)
	}
	ds.byDoc[docID] = corpusID
}

// Chunks returns the corpus as shared-library chunks without vectors:
// record i is document i+1, its text title + "\n" + text, one chunk unless
// it is longer than EvalChunkChars. Chunk ids are unique and increasing.
func (ds *Dataset) Chunks() []Chunk {
	out := make([]Chunk, 0, len(ds.Docs))
	for i, d := range ds.Docs {
		text := d.Title + "\n" + d.Text
		for _, r := range splitText(text, EvalChunkChars) {
			out = append(out, Chunk{
				ID: uint64(len(out)) + 1, DocumentID: uint64(i) + 1,
				Start: r[0], End: r[1], Text: text[r[0]:r[1]],
			})
		}
	}
	return out
}

// splitText cuts text into pieces of at most size bytes that end at
// whitespace where possible, each overlapping the previous by a tenth.
func splitText(text string, size int) [][2]int {
	if len(text) <= size {
		return [][2]int{{0, len(text)}}
	}
	var out [][2]int
	for start := 0; start < len(text); {
		end := min(len(text), start+size)
		if end < len(text) {
			if cut := strings.LastIndexAny(text[start:end], " \n\t"); cut > size/2 {
				end = start + cut
			}
			for end > start+1 && !utf8.RuneStart(text[end]) {
				end--
			}
		}
		out = append(out, [2]int{start, end})
		if end == len(text) {
			break
		}
		next := end - size/10
		if sp := strings.IndexAny(text[next:end], " \n\t"); sp >= 0 {
			next += sp + 1
		}
		start = max(next, start+1)
	}
	return out
}

// judgedQueries returns the ids of the queries that have judgements and
// text, sorted.
func (ds *Dataset) judgedQueries() []string {
	var ids []string
	for qid, rel := range ds.Qrels {
		if _, ok := ds.Queries[qid]; ok && len(rel) > 0 {
			ids = append(ids, qid)
		}
	}
	slices.Sort(ids)
	return ids
}

// rankedIDs maps hits to corpus ids: first occurrence of each document,
// the query's own id dropped, at most k.
func (ds *Dataset) rankedIDs(hits []Hit, qid string, k int) []string {
	out := make([]string, 0, k)
	seen := make(map[string]bool, len(hits))
	for _, h := range hits {
		id, ok := ds.byDoc[h.DocumentID]
		if !ok || id == qid || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, id)
		if len(out) == k {
			break
		}
	}
	return out
}
