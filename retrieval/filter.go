package retrieval

import (
	"cmp"
	"slices"
)

// Filter restricts a search to the chunks a caller may see. A chunk is
// visible when its Owner is in Owners (callers pass {userID, 0}: their own
// documents and the shared library) or its DocumentID is in Granted
// (documents shared with the caller through workspaces, whoever owns
// them), and, when DocumentIDs is not empty, its DocumentID is one of
// them. A zero Filter sees the shared library only (Owners = {0}); there
// is no "everything" filter, so a forgotten filter can never leak a
// user's documents.
//
// Filters are applied inside the search, while scoring, never by dropping
// results afterwards: a user with three documents among millions of other
// users' chunks still gets TopK results from their own documents.
type Filter struct {
	Owners      []uint64
	Granted     []uint64
	DocumentIDs []uint64
}

// visibility is a Filter prepared for one search.
type visibility struct {
	owners  []uint64
	granted map[uint64]struct{} // nil = none beyond the owners'
	docs    map[uint64]struct{} // nil = any visible document
}

// set makes a set of ids, nil for none.
func set(ids []uint64) map[uint64]struct{} {
	if len(ids) == 0 {
		return nil
	}
	m := make(map[uint64]struct{}, len(ids))
	for _, d := range ids {
		m[d] = struct{}{}
	}
	return m
}

// resolve prepares f for a search.
func (f Filter) resolve() visibility {
	v := visibility{owners: f.Owners, granted: set(f.Granted), docs: set(f.DocumentIDs)}
	if len(v.owners) == 0 && v.granted == nil {
		v.owners = []uint64{0}
	}
	return v
}

// allows reports whether a chunk of document doc owned by owner is visible.
func (v visibility) allows(owner, doc uint64) bool {
	if !slices.Contains(v.owners, owner) {
		if v.granted == nil {
			return false
		}
		if _, ok := v.granted[doc]; !ok {
			return false
		}
	}
	if v.docs == nil {
		return true
	}
	_, ok := v.docs[doc]
	return ok
}

// scopes returns the vector-index scopes of v: a whole owner's chunks for
// each owner (unless DocumentIDs restricts), and the granted or named
// documents of other owners one by one. ownerOf returns the owner of a
// known document; unknown or invisible documents are left out.
func (v visibility) scopes(ownerOf func(doc uint64) (uint64, bool)) []scope {
	var out []scope
	if v.docs == nil {
		out = make([]scope, 0, len(v.owners))
		for _, o := range v.owners {
			if !slices.ContainsFunc(out, func(s scope) bool { return s.owner == o }) {
				out = append(out, scope{owner: o})
			}
		}
	}
	whole := len(out)
	docs := v.docs
	if docs == nil {
		docs = v.granted
	}
	for d := range docs {
		o, ok := ownerOf(d)
		if !ok || !v.allows(o, d) || slices.ContainsFunc(out[:whole], func(s scope) bool { return s.owner == o }) {
			continue
		}
		i := slices.IndexFunc(out, func(s scope) bool { return s.owner == o })
		if i < 0 {
			out = append(out, scope{owner: o})
			i = len(out) - 1
		}
		out[i].docs = append(out[i].docs, d)
	}
	for i := range out {
		slices.Sort(out[i].docs)
	}
	slices.SortFunc(out, func(a, b scope) int { return cmp.Compare(a.owner, b.owner) })
	return out
}
