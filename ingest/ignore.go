package ingest

import (
	"path"
	"strings"
)

// IgnoreFile is the name of the file, at the root of a watched or
// ingested folder, whose gitignore-syntax patterns name what to leave out.
const IgnoreFile = ".docentignore"

// Ignore is a compiled list of gitignore patterns. It implements git's
// rules: blank lines and "#" comments are skipped ("\#" and "\!" escape),
// "!" re-includes, the last matching pattern wins, a trailing "/" matches
// directories only, a pattern with a "/" elsewhere is anchored at the
// root while one without matches a name at any depth, "*", "?" and "[…]"
// match within one path segment and "**" across segments; nothing inside
// an ignored directory can be re-included. (The Go gitignore packages
// are either unmaintained and wrong on "?" or part of a whole git
// implementation.)
type Ignore struct {
	rules []ignoreRule
}

type ignoreRule struct {
	segs    []string // pattern segments; "**" spans any number
	negate  bool
	dirOnly bool
}

// maxIgnoreRules bounds the patterns read from one file.
const maxIgnoreRules = 10000

// ParseIgnore compiles the lines of a .docentignore file.
func ParseIgnore(text string) *Ignore {
	ig := &Ignore{}
	for _, line := range strings.Split(text, "\n") {
		if len(ig.rules) >= maxIgnoreRules {
			break
		}
		line = strings.TrimRight(line, "\r")
		if !strings.HasSuffix(line, `\ `) {
			line = strings.TrimRight(line, " \t")
		}
		if line == "" || line[0] == '#' {
			continue
		}
		var r ignoreRule
		if line[0] == '!' {
			r.negate, line = true, line[1:]
		} else if strings.HasPrefix(line, `\#`) || strings.HasPrefix(line, `\!`) {
			line = line[1:]
		}
		if strings.HasSuffix(line, "/") {
			r.dirOnly, line = true, strings.TrimRight(line, "/")
		}
		anchored := strings.Contains(line, "/")
		line = strings.TrimPrefix(line, "/")
		if line == "" {
			continue
		}
		r.segs = strings.Split(line, "/")
		if !anchored {
			r.segs = append([]string{"**"}, r.segs...)
		}
		ig.rules = append(ig.rules, r)
	}
	return ig
}

// Match reports whether the slash path rel (relative to the folder) is
// ignored; dir says whether it names a directory.
func (ig *Ignore) Match(rel string, dir bool) bool {
	if ig == nil || len(ig.rules) == 0 {
		return false
	}
	segs := strings.Split(strings.Trim(rel, "/"), "/")
	for i := 1; i < len(segs); i++ { // an ignored parent takes its contents along
		if ig.matchEntry(segs[:i], true) {
			return true
		}
	}
	return ig.matchEntry(segs, dir)
}

func (ig *Ignore) matchEntry(segs []string, dir bool) bool {
	ignored := false
	for _, r := range ig.rules {
		if r.dirOnly && !dir || r.negate == !ignored {
			continue // cannot change the verdict
		}
		if matchSegs(r.segs, segs, 0) {
			ignored = !r.negate
		}
	}
	return ignored
}

// matchSegs matches path segments against pattern segments, "**" standing
// for any number of segments. depth bounds the backtracking of patterns
// with many "**".
func matchSegs(pat, segs []string, depth int) bool {
	if depth > 64 {
		return false
	}
	for len(pat) > 0 {
		if pat[0] == "**" {
			for len(pat) > 1 && pat[1] == "**" {
				pat = pat[1:]
			}
			if len(pat) == 1 {
				return true
			}
			for k := 0; k <= len(segs); k++ {
				if matchSegs(pat[1:], segs[k:], depth+1) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, err := path.Match(pat[0], segs[0]); err != nil || !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}
