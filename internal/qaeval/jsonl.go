package qaeval

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// maxLine bounds one line of a JSON Lines file.
const maxLine = 1 << 20

// readJSONL reads a JSON Lines file of what: blank lines are skipped,
// unknown keys ignored, and a line that does not decode or that check
// rejects is an error naming the line. An empty file is an error too.
func readJSONL[T any](file, what string, check func(*T) error) ([]T, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", file, line, err)
		}
		if err := check(&v); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", file, line, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no %s", file, what)
	}
	return out, nil
}
