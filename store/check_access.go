package store

// keys checks that every API key has its user and that the key indexes
// point at the keys; a key of a deleted user is revoked.
func (c *checker) keys() {
	users, keys := c.tx.Bucket(bucketUsers), c.tx.Bucket(bucketKeys)
	byHash, pairs := map[string]uint64{}, map[string]uint64{}
	var orphans [][]byte
	keys.ForEach(func(k, v []byte) error {
		var key APIKey
		if err := decodeJSON(v, &key); err != nil || users.Get(itob(key.UserID)) == nil {
			c.problem("orphan key", "API key %d has no user", btoi(k))
			orphans = append(orphans, append([]byte(nil), k...))
			return nil
		}
		if hk, err := hashKey(key.Hash); err == nil {
			byHash[string(hk)] = key.ID
		}
		pairs[string(pairKey(key.UserID, key.ID))] = 0
		return nil
	})
	for _, k := range orphans {
		c.do(func() error { return keys.Delete(k) })
	}
	c.index(bucketKeysByHash, byHash)
	c.pairIndex(bucketUserKeys, pairs)
}

// workspaces checks that every workspace has its owner, that names and
// memberships in both directions point at workspaces and documents that
// exist, and that the shared library has its workspace.
func (c *checker) workspaces() {
	users, docs := c.tx.Bucket(bucketUsers), c.tx.Bucket(bucketDocs)
	names, live := map[string]uint64{}, map[uint64]bool{}
	var orphans []Workspace
	library := false
	forEachWorkspace(c.tx, func(w *Workspace) error {
		if w.Owner != Shared && users.Get(itob(w.Owner)) == nil {
			c.problem("orphan workspace", "workspace %d has no owner", w.ID)
			orphans = append(orphans, *w)
			return nil
		}
		library = library || w.Library
		live[w.ID] = true
		names[string(nameKey(w.Owner, w.Name))] = w.ID
		return nil
	})
	for i := range orphans {
		c.do(func() error { return deleteWorkspace(c.tx, &orphans[i]) })
	}
	members := map[string]uint64{}
	c.tx.Bucket(bucketWorkspaceDocs).ForEach(func(k, _ []byte) error {
		if len(k) == 16 && live[btoi(k[:8])] && docs.Get(k[8:]) != nil {
			members[string(k)] = 0
		}
		return nil
	})
	reverse := map[string]uint64{}
	for k := range members {
		reverse[string(pairKey(btoi([]byte(k[8:])), btoi([]byte(k[:8]))))] = 0
	}
	c.pairIndex(bucketWorkspaceDocs, members)
	c.pairIndex(bucketDocWorkspaces, reverse)
	c.index(bucketWorkspaceNames, names)
	if !library {
		c.problem("missing workspace", "the shared library has no workspace")
		c.do(func() error { return createLibraryWorkspace(c.tx) })
	}
}
