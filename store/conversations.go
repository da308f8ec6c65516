package store

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Conversation is a user's chat thread. Its questions look at Workspace
// (0: everything the user may read), narrowed to DocumentIDs when set.
type Conversation struct {
	ID          uint64    `json:"id"`
	UserID      uint64    `json:"user_id"`
	Title       string    `json:"title"`
	Workspace   uint64    `json:"workspace_id,omitempty"`
	DocumentIDs []uint64  `json:"document_ids,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Message roles.
const (
	RoleUserMessage      = "user"
	RoleAssistantMessage = "assistant"
)

// Source is a passage an answer cites, numbered by its position in Sources.
type Source struct {
	DocumentID uint64  `json:"document_id"`
	Filename   string  `json:"filename"`
	Title      string  `json:"title,omitempty"`
	ChunkIndex int     `json:"chunk_index"`
	Page       int     `json:"page,omitempty"`
	EndPage    int     `json:"end_page,omitempty"`
	Score      float64 `json:"score"`
	Text       string  `json:"text"`
}

// Message is one turn of a conversation.
type Message struct {
	ID             uint64    `json:"id"`
	ConversationID uint64    `json:"conversation_id"`
	Role           string    `json:"role"`
	Content        string    `json:"content"`
	TokensUsed     int       `json:"tokens_used"`
	CreatedAt      time.Time `json:"created_at"`
	Sources        []Source  `json:"sources,omitempty"`
	Mode           string    `json:"mode,omitempty"`
	Model          string    `json:"model,omitempty"`
	// Partial marks an answer cut short (client gone, provider failure).
	Partial bool `json:"partial,omitempty"`
}

// CreateConversation stores a new conversation for c.UserID.
func (db *DB) CreateConversation(ctx context.Context, c *Conversation) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketUsers).Get(itob(c.UserID)) == nil {
			return fmt.Errorf("user %d: %w", c.UserID, ErrNotFound)
		}
		convs := tx.Bucket(bucketConvs)
		id, err := convs.NextSequence()
		if err != nil {
			return err
		}
		c.ID = id
		c.CreatedAt = db.now()
		c.UpdatedAt = c.CreatedAt
		if err := tx.Bucket(bucketUserConvs).Put(pairKey(c.UserID, id), nil); err != nil {
			return err
		}
		return putJSON(convs, itob(id), c)
	})
}

// ownedConversation loads conversation id if it belongs to userID; another
// user's conversation is ErrNotFound, indistinguishable from a missing one.
func ownedConversation(tx *bolt.Tx, userID, id uint64) (Conversation, error) {
	var c Conversation
	if err := getJSON(tx.Bucket(bucketConvs), itob(id), &c); err != nil {
		return c, fmt.Errorf("conversation %d: %w", id, err)
	}
	if c.UserID != userID {
		return Conversation{}, fmt.Errorf("conversation %d: %w", id, ErrNotFound)
	}
	return c, nil
}

// Conversation returns userID's conversation id.
func (db *DB) Conversation(ctx context.Context, userID, id uint64) (Conversation, error) {
	var c Conversation
	err := db.view(ctx, func(tx *bolt.Tx) (err error) {
		c, err = ownedConversation(tx, userID, id)
		return err
	})
	return c, err
}

// Conversations lists userID's conversations, most recently active first.
func (db *DB) Conversations(ctx context.Context, userID uint64, skip, limit int) ([]Conversation, error) {
	var out []Conversation
	err := db.view(ctx, func(tx *bolt.Tx) error {
		convs := tx.Bucket(bucketConvs)
		var all []Conversation
		err := forEachPair(tx.Bucket(bucketUserConvs), userID, func(cid uint64) error {
			var c Conversation
			if err := getJSON(convs, itob(cid), &c); err != nil {
				return err
			}
			all = append(all, c)
			return nil
		})
		sort.SliceStable(all, func(i, j int) bool {
			if !all[i].UpdatedAt.Equal(all[j].UpdatedAt) {
				return all[i].UpdatedAt.After(all[j].UpdatedAt)
			}
			return all[i].ID > all[j].ID
		})
		lo, hi := page(len(all), skip, limit)
		out = all[lo:hi]
		return err
	})
	return out, err
}

// forEachPair calls fn with b for every key a|b in bucket with prefix a.
func forEachPair(bucket *bolt.Bucket, a uint64, fn func(b uint64) error) error {
	prefix := itob(a)
	c := bucket.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if err := fn(btoi(k[8:])); err != nil {
			return err
		}
	}
	return nil
}

// RenameConversation sets the title of userID's conversation id.
func (db *DB) RenameConversation(ctx context.Context, userID, id uint64, title string) (Conversation, error) {
	return db.UpdateConversation(ctx, userID, id, func(c *Conversation) { c.Title = title })
}

// UpdateConversation applies fn to userID's conversation id (its title or
// scope) and saves it.
func (db *DB) UpdateConversation(ctx context.Context, userID, id uint64, fn func(*Conversation)) (Conversation, error) {
	var c Conversation
	err := db.update(ctx, func(tx *bolt.Tx) (err error) {
		if c, err = ownedConversation(tx, userID, id); err != nil {
			return err
		}
		fn(&c)
		c.ID, c.UserID, c.UpdatedAt = id, userID, db.now()
		return putJSON(tx.Bucket(bucketConvs), itob(id), &c)
	})
	return c, err
}

// SetTitleIfEmpty gives an untitled conversation a title; a title already
// set (by the user, or by a concurrent request) is kept.
func (db *DB) SetTitleIfEmpty(ctx context.Context, userID, id uint64, title string) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		c, err := ownedConversation(tx, userID, id)
		if err != nil || c.Title != "" {
			return err
		}
		c.Title = title
		return putJSON(tx.Bucket(bucketConvs), itob(id), &c)
	})
}

// DeleteConversation removes userID's conversation id and all its messages.
func (db *DB) DeleteConversation(ctx context.Context, userID, id uint64) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		if _, err := ownedConversation(tx, userID, id); err != nil {
			return err
		}
		return deleteConversation(tx, userID, id)
	})
}

func deleteConversation(tx *bolt.Tx, userID, id uint64) error {
	if err := deletePrefix(tx.Bucket(bucketMessages), itob(id)); err != nil {
		return err
	}
	if err := tx.Bucket(bucketUserConvs).Delete(pairKey(userID, id)); err != nil {
		return err
	}
	return tx.Bucket(bucketConvs).Delete(itob(id))
}

// deleteUserConversations removes every conversation of userID.
func deleteUserConversations(tx *bolt.Tx, userID uint64) error {
	var ids []uint64
	if err := forEachPair(tx.Bucket(bucketUserConvs), userID, func(cid uint64) error {
		ids = append(ids, cid)
		return nil
	}); err != nil {
		return err
	}
	for _, id := range ids {
		if err := deleteConversation(tx, userID, id); err != nil {
			return err
		}
	}
	return nil
}

// deletePrefix deletes every key of b that starts with prefix.
func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// AddMessage appends m to userID's conversation m.ConversationID, assigning
// its ID and time, and marks the conversation active.
func (db *DB) AddMessage(ctx context.Context, userID uint64, m *Message) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		c, err := ownedConversation(tx, userID, m.ConversationID)
		if err != nil {
			return err
		}
		msgs := tx.Bucket(bucketMessages)
		id, err := msgs.NextSequence()
		if err != nil {
			return err
		}
		m.ID = id
		m.CreatedAt = db.now()
		c.UpdatedAt = m.CreatedAt
		if err := putJSON(tx.Bucket(bucketConvs), itob(c.ID), &c); err != nil {
			return err
		}
		return putJSON(msgs, pairKey(c.ID, id), m)
	})
}

// Messages returns the messages of userID's conversation id, oldest first.
func (db *DB) Messages(ctx context.Context, userID, id uint64, skip, limit int) ([]Message, error) {
	var out []Message
	err := db.view(ctx, func(tx *bolt.Tx) error {
		if _, err := ownedConversation(tx, userID, id); err != nil {
			return err
		}
		prefix := itob(id)
		c := tx.Bucket(bucketMessages).Cursor()
		i := 0
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if i++; i <= skip {
				continue
			}
			if limit > 0 && len(out) >= limit {
				break
			}
			var m Message
			if err := decodeJSON(v, &m); err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

// RecentMessages returns up to n of the latest messages of userID's
// conversation id, oldest first, reading backwards from the end.
func (db *DB) RecentMessages(ctx context.Context, userID, id uint64, n int) ([]Message, error) {
	var out []Message
	err := db.view(ctx, func(tx *bolt.Tx) error {
		if _, err := ownedConversation(tx, userID, id); err != nil {
			return err
		}
		prefix := itob(id)
		c := tx.Bucket(bucketMessages).Cursor()
		k, v := c.Seek(itob(id + 1))
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < n; k, v = c.Prev() {
			var m Message
			if err := decodeJSON(v, &m); err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}
