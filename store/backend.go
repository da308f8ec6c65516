package store

import (
	"context"
	"errors"
	"io"
	"time"
)

// Store is what docent keeps: accounts, keys, workspaces, conversations,
// documents, chunks and vectors. Two backends implement it with the same behaviour,
// which the conformance suite in store/storetest specifies: DB (bbolt, one
// file in the data directory, the default) and store/postgres (a database
// shared by several docent replicas).
//
// Every method that changes something is one transaction: a crash leaves
// the whole change or none of it. Lookups take the owner of the data and
// answer ErrNotFound for someone else's records, as for missing ones.
type Store interface {
	// CreateUser stores a new user, assigning its ID and timestamps. The
	// first user becomes an active admin; a username or email already in
	// use (ignoring case) is ErrConflict naming the field.
	CreateUser(ctx context.Context, u *User) error
	// CreateFirstUser is CreateUser while no account exists, ErrForbidden after.
	CreateFirstUser(ctx context.Context, u *User) error
	// CreateUserWithInvite creates u, active, using the unused, unexpired
	// invite whose code hashes to hash (else ErrInvite), in one transaction.
	CreateUserWithInvite(ctx context.Context, u *User, hash string) error
	// UserByID returns the user with id.
	UserByID(ctx context.Context, id uint64) (User, error)
	// UserByLogin returns the user whose username or email is login, ignoring case.
	UserByLogin(ctx context.Context, login string) (User, error)
	// Users lists users in id order, applying skip and limit.
	Users(ctx context.Context, skip, limit int) ([]User, error)
	// CountUsers returns the number of accounts.
	CountUsers(ctx context.Context) (int, error)
	// UpdateUser applies fn to the stored user and saves it in one
	// transaction; demoting or deactivating the last active admin is
	// ErrLastAdmin.
	UpdateUser(ctx context.Context, id uint64, fn func(*User) error) (User, error)
	// DeleteUser removes the user with their conversations, private
	// documents, keys and workspaces (and memberships of others'),
	// returning the ids of the documents removed; the last active admin is
	// ErrLastAdmin.
	DeleteUser(ctx context.Context, id uint64) ([]uint64, error)

	// CreateInvite stores an invite, assigning its ID and creation time.
	CreateInvite(ctx context.Context, inv *Invite) error
	// Invites lists every invite, newest first.
	Invites(ctx context.Context) ([]Invite, error)
	// DeleteInvite removes invite id, used or not.
	DeleteInvite(ctx context.Context, id uint64) error

	// CreateKey stores an API key, recording the user's credential generation.
	CreateKey(ctx context.Context, k *APIKey) error
	// KeyByHash returns the key with the hex SHA-256 hash, whoever owns it.
	KeyByHash(ctx context.Context, hash string) (APIKey, error)
	// Keys lists a user's keys, oldest first.
	Keys(ctx context.Context, userID uint64) ([]APIKey, error)
	// AllKeys lists every key, by user and then age.
	AllKeys(ctx context.Context) ([]APIKey, error)
	// DeleteKey revokes a key of v's (any key for an admin).
	DeleteKey(ctx context.Context, v Viewer, id uint64) error
	// TouchKey records that a key was used at t.
	TouchKey(ctx context.Context, id uint64, t time.Time) error

	// CreateWorkspace stores a new workspace, assigning its ID and times;
	// an owner's workspace names are unique ignoring case (ErrConflict).
	CreateWorkspace(ctx context.Context, w *Workspace) error
	// Workspace returns workspace id if v may see it.
	Workspace(ctx context.Context, v Viewer, id uint64) (Workspace, error)
	// Workspaces lists the workspaces v may see, in id order.
	Workspaces(ctx context.Context, v Viewer) ([]Workspace, error)
	// UpdateWorkspace applies fn to a workspace v manages (ErrForbidden if
	// v only sees it) and saves it; its id, owner and kind stay.
	UpdateWorkspace(ctx context.Context, v Viewer, id uint64, fn func(*Workspace) error) (Workspace, error)
	// DeleteWorkspace removes a workspace v manages (never the shared
	// library's: ErrForbidden); its documents stay.
	DeleteWorkspace(ctx context.Context, v Viewer, id uint64) error
	// SetMember gives an existing user (not the owner) access to a
	// workspace v manages.
	SetMember(ctx context.Context, v Viewer, id, user uint64, a Access) (Workspace, error)
	// RemoveMember takes a member's access away (ErrNotFound for a non-member).
	RemoveMember(ctx context.Context, v Viewer, id, user uint64) (Workspace, error)
	// CheckWritable reports whether v may add documents to a workspace.
	CheckWritable(ctx context.Context, v Viewer, id uint64) error
	// AddToWorkspace puts a document v may read in a workspace v may write.
	AddToWorkspace(ctx context.Context, v Viewer, id, doc uint64) error
	// RemoveFromWorkspace takes a document out of a workspace v may write.
	RemoveFromWorkspace(ctx context.Context, v Viewer, id, doc uint64) error
	// WorkspaceDocuments returns the ids of a workspace's documents, in id order.
	WorkspaceDocuments(ctx context.Context, v Viewer, id uint64) ([]uint64, error)
	// ScopeOf returns what v may search: everything they may read with
	// workspace 0, else that workspace's documents.
	ScopeOf(ctx context.Context, v Viewer, workspace uint64) (Scope, error)
	// ScopeDocuments lists the documents of ScopeOf, newest first.
	ScopeDocuments(ctx context.Context, v Viewer, workspace uint64) ([]Document, error)

	// CreateConversation stores a new conversation of c.UserID.
	CreateConversation(ctx context.Context, c *Conversation) error
	// Conversation returns userID's conversation id.
	Conversation(ctx context.Context, userID, id uint64) (Conversation, error)
	// Conversations lists userID's conversations, most recently active first.
	Conversations(ctx context.Context, userID uint64, skip, limit int) ([]Conversation, error)
	// RenameConversation sets the title of userID's conversation id.
	RenameConversation(ctx context.Context, userID, id uint64, title string) (Conversation, error)
	// UpdateConversation applies fn to userID's conversation id (its title
	// or scope) and saves it.
	UpdateConversation(ctx context.Context, userID, id uint64, fn func(*Conversation)) (Conversation, error)
	// SetTitleIfEmpty titles an untitled conversation, keeping a title already set.
	SetTitleIfEmpty(ctx context.Context, userID, id uint64, title string) error
	// DeleteConversation removes userID's conversation id and its messages.
	DeleteConversation(ctx context.Context, userID, id uint64) error
	// AddMessage appends m to userID's conversation m.ConversationID.
	AddMessage(ctx context.Context, userID uint64, m *Message) error
	// Messages returns the messages of userID's conversation id, oldest first.
	Messages(ctx context.Context, userID, id uint64, skip, limit int) ([]Message, error)
	// RecentMessages returns up to n of the latest messages, oldest first.
	RecentMessages(ctx context.Context, userID, id uint64, n int) ([]Message, error)

	// CreateDocument stores a new queued document, or returns the owner's
	// document with the same SHA-256 and dup = true (a failed one is
	// replaced instead). A document over the quota in d.Limit (one more
	// document, its bytes, a chunk quota already full) is a *QuotaError;
	// uploads of one owner are serialised, so parallel ones cannot pass it.
	CreateDocument(ctx context.Context, d *Document) (existing Document, dup bool, err error)
	// Document returns document id if v may read it.
	Document(ctx context.Context, v Viewer, id uint64) (Document, error)
	// ReadableDocuments returns those of the documents ids that v may
	// read, in one read (missing and foreign ones are left out).
	ReadableDocuments(ctx context.Context, v Viewer, ids []uint64) ([]Document, error)
	// DocumentByID returns document id whoever owns it (never for a request).
	DocumentByID(ctx context.Context, id uint64) (Document, error)
	// DocumentByPath returns owner's document ingested from path.
	DocumentByPath(ctx context.Context, owner uint64, path string) (Document, error)
	// Documents lists the documents userID can see (own, the shared
	// library's, their workspaces'), newest first.
	Documents(ctx context.Context, userID uint64, skip, limit int) ([]Document, error)
	// HasDocuments reports whether userID can see any document.
	HasDocuments(ctx context.Context, userID uint64) (bool, error)
	// OwnedDocuments lists the documents of exactly owner.
	OwnedDocuments(ctx context.Context, owner uint64) ([]Document, error)
	// DocumentsWithStatus lists every document in one of the statuses, oldest first.
	DocumentsWithStatus(ctx context.Context, statuses ...Status) ([]Document, error)
	// SetStatus moves a document to status with an optional error message.
	SetStatus(ctx context.Context, id uint64, status Status, msg string) error
	// UpdateDocument applies fn to the stored document and saves it.
	UpdateDocument(ctx context.Context, id uint64, fn func(*Document) error) error
	// Commit stores a document's chunks and vectors and marks it ready,
	// deleting d.Replaces in the same transaction (d takes over its
	// workspaces); chunks that would pass the chunk quota in d.Limit are a
	// *QuotaError. A crash leaves the whole document or none of it, and
	// no reader sees part of it: a backend may write the chunk records of
	// a document that is not ready yet in several transactions first
	// (bbolt does, to bound memory), provided that opening the store after
	// a crash removes them.
	Commit(ctx context.Context, d *Document, chunks []Chunk, vectors map[[16]byte][]float32) error
	// DeleteDocument removes a document v may write, with its chunks.
	DeleteDocument(ctx context.Context, v Viewer, id uint64) (Document, error)
	// DeleteDocumentByID removes a document whoever owns it.
	DeleteDocumentByID(ctx context.Context, id uint64) error
	// DocumentByHash returns owner's document with the hex SHA-256 sha.
	DocumentByHash(ctx context.Context, owner uint64, sha string) (Document, error)
	// Usage sums owner's documents (any status), their file sizes and the
	// chunks of the ready ones.
	Usage(ctx context.Context, owner uint64) (Usage, error)
	// CheckChunks reports whether n chunks for d fit the quota d was
	// uploaded under (d.Limit); Commit checks again in its transaction.
	CheckChunks(ctx context.Context, d *Document, n int) error
	// Chunks returns the chunks of document id in order, without vectors.
	Chunks(ctx context.Context, id uint64) ([]Chunk, error)
	// ChunkPage returns at most limit chunks of document id from index
	// skip on, reading only those.
	ChunkPage(ctx context.Context, id uint64, skip, limit int) ([]Chunk, error)
	// ChunksByID returns the chunks with the given ids, in that order,
	// leaving out missing ones.
	ChunksByID(ctx context.Context, ids []uint64) ([]Chunk, error)
	// ForEachChunk calls fn for every chunk of every ready document.
	ForEachChunk(ctx context.Context, fn func(*IndexedChunk) error) error
	// IndexChunks calls fn with batches of the chunks of every ready
	// document, in chunk id order, as a start-up rebuild needs them.
	IndexChunks(ctx context.Context, size int, fn func([]IndexedChunk) error) error

	// CachedVectors returns the stored vectors of those hashes that have one.
	CachedVectors(ctx context.Context, hashes [][16]byte) (map[[16]byte][]float32, error)
	// IndexInfo returns the embedder that built the stored vectors.
	IndexInfo(ctx context.Context) (IndexInfo, error)
	// SetIndexInfo records the embedder that builds the stored vectors.
	SetIndexInfo(ctx context.Context, info IndexInfo) error
	// Reembed replaces every stored vector with fn's in one transaction.
	Reembed(ctx context.Context, info IndexInfo, batch int, fn func(ctx context.Context, texts []string) ([][]float32, error), progress func(done, total int)) error

	// Check verifies the store's invariants; it changes nothing.
	Check(ctx context.Context) (*CheckReport, error)
	// Repair runs Check and fixes what can be fixed without losing data.
	Repair(ctx context.Context) (*CheckReport, error)
	// SchemaVersion reports how many migrations the store has applied.
	SchemaVersion(ctx context.Context) (int, error)
	// Backup writes a consistent snapshot, in the format of a bbolt data
	// file that Restore and Open read, while requests go on. size, if not
	// nil, is told the snapshot's size before the first byte.
	Backup(ctx context.Context, w io.Writer, size func(int64)) (int64, error)
	// Export calls fn with every record, in the order Import takes them.
	Export(ctx context.Context, fn func(Record) error) error
	// Import writes records (as Export gives them) into an empty store,
	// keeping their ids, in one transaction.
	Import(ctx context.Context, next func() (Record, error)) error
	// Close releases the store.
	Close() error
}

var _ Store = (*DB)(nil)

// Change is one committed change to the chunks a search index holds, as a
// store shared by several processes logs them (ChangeFeed).
type Change struct {
	// Seq orders changes: a reader that has seen Seq has seen every
	// change before it.
	Seq        uint64
	DocumentID uint64
	// Added means the change wrote the document's chunks (read them with
	// ChangedChunks); otherwise it removed the document.
	Added bool
	// Reload means every vector changed (docent reindex): rebuild the index.
	Reload bool
	// Removed holds the stored terms of the chunks the change took out of
	// the document, in chunk order (for the keyword statistics).
	Removed [][]byte
}

// ErrChangesPruned means the change log no longer reaches back to the
// sequence number asked for: the reader must rebuild from a snapshot.
var ErrChangesPruned = errors.New("the change log no longer holds the changes asked for")

// ChangeFeed is a store that several docent processes share
// (store/postgres): each keeps its in-memory index equal to the store by
// loading a snapshot and then applying the change log from there.
type ChangeFeed interface {
	// IndexSnapshot is IndexChunks with every chunk's text and headings,
	// reading one snapshot and returning the sequence number of the last
	// change it holds.
	IndexSnapshot(ctx context.Context, size int, fn func([]IndexedChunk) error) (seq uint64, err error)
	// LastChange returns the sequence number of the latest committed change.
	LastChange(ctx context.Context) (uint64, error)
	// Changes returns up to limit changes after seq, in order, or
	// ErrChangesPruned.
	Changes(ctx context.Context, after uint64, limit int) ([]Change, error)
	// ChangedChunks returns the chunks of document id as change seq wrote
	// them, with their text and headings; none when a later change
	// rewrote or removed them.
	ChangedChunks(ctx context.Context, id, seq uint64) ([]IndexedChunk, error)
	// WaitForChange returns once a change after seq may have been
	// committed (a notification, or at the latest after a poll interval),
	// or when ctx is done.
	WaitForChange(ctx context.Context, after uint64) error
}
