// Package store is docent's one source of truth: users, API keys,
// conversations, messages, documents, chunks and their vectors.
//
// Store is the interface every backend implements, with the behaviour the
// conformance suite (store/storetest) specifies. This package holds the
// record types, the interface and the default backend, DB: a single bbolt
// file in the data directory. store/postgres is the other backend, for
// several docent replicas sharing one database. A new Store method is
// added to both backends and to the suite.
//
// Every user-visible change is one bbolt transaction, so a crash (even
// kill -9) leaves either the whole change or none of it. Callers never see
// bbolt types: they call methods on DB that take a context and the owner of
// the data, and get domain values or a sentinel error (ErrNotFound,
// ErrConflict, ErrLocked) wrapped with context.
//
// Layout (all ids are big-endian uint64, so keys sort numerically):
//
//	meta                      schema_version, embedder, ...
//	users          id       → User (JSON)
//	users_by_name  lower(n) → id
//	users_by_email lower(e) → id
//	conversations  id       → Conversation (JSON)
//	user_convs     uid|cid  → nil            (a user's conversations)
//	messages       cid|mid  → Message (JSON) (a conversation's messages, in order)
//	api_keys       id       → APIKey (JSON)  (the key's hash, never the key)
//	api_keys_by_hash sha256 → id
//	user_keys      uid|kid  → nil            (a user's keys)
//	workspaces     id       → Workspace (JSON, with its members)
//	workspace_names owner|lower(name) → id
//	workspace_docs ws|doc   → nil            (a workspace's documents)
//	doc_workspaces doc|ws   → nil            (a document's workspaces)
//	index_changes  seq      → doc id | tag   (what a persisted index must re-read; changes.go)
//
// Schema changes are numbered Go functions in migrate.go, applied once, in
// order, each inside its own transaction.
package store
