package retrieval

import (
	"cmp"
	"slices"
)

// Filter restricts a search to the chunks a caller may see. A chunk is
// visible when its Owner is in Owners (callers pass {userID, 0}: their own
// documents and the shared library) and, when DocumentIDs is not empty,
// its DocumentID is one of them. A zero Filter sees the shared library
// only (Owners = {0}); there is no "everything" filter, so a forgotten
// filter can never leak a user's documents.
//
// Filters are applied inside the search, while scoring, never by dropping
// results afterwards: a user with three documents among millions of other
// users' chunks still gets TopK results from their own documents.
type Filter struct {
	Owners      []uint64
	DocumentIDs []uint64
}

// visibility is a Filter prepared for one search.
type visibility struct {
	owners []uint64
	docs   map[uint64]struct{} // nil = any document of the owners
}

// resolve prepares f for a search.
func (f Filter) resolve() visibility {
	v := visibility{owners: f.Owners}
	if len(v.owners) == 0 {
		v.owners = []uint64{0}
	}
	if len(f.DocumentIDs) > 0 {
		v.docs = make(map[uint64]struct{}, len(f.DocumentIDs))
		for _, d := range f.DocumentIDs {
			v.docs[d] = struct{}{}
		}
	}
	return v
}

// allowsOwner reports whether some chunks owned by owner are visible.
func (v visibility) allowsOwner(owner uint64) bool {
	return slices.Contains(v.owners, owner)
}

// allows reports whether a chunk of document doc owned by owner is visible.
func (v visibility) allows(owner, doc uint64) bool {
	if !v.allowsOwner(owner) {
		return false
	}
	if v.docs == nil {
		return true
	}
	_, ok := v.docs[doc]
	return ok
}

// scopes returns the vector-index scopes of v. ownerOf returns the owner of
// a known document; unknown or invisible documents are left out.
func (v visibility) scopes(ownerOf func(doc uint64) (uint64, bool)) []scope {
	if v.docs == nil {
		out := make([]scope, 0, len(v.owners))
		for _, o := range v.owners {
			if !slices.ContainsFunc(out, func(s scope) bool { return s.owner == o }) {
				out = append(out, scope{owner: o})
			}
		}
		return out
	}
	var out []scope
	for d := range v.docs {
		o, ok := ownerOf(d)
		if !ok || !slices.Contains(v.owners, o) {
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
