package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"docent/store"
)

// CreateConversation stores a new conversation for c.UserID.
func (db *DB) CreateConversation(ctx context.Context, c *store.Conversation) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)`, c.UserID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("user %d: %w", c.UserID, store.ErrNotFound)
		}
		if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('conversations', 'id'))`).Scan(&c.ID); err != nil {
			return err
		}
		c.CreatedAt = db.now()
		c.UpdatedAt = c.CreatedAt
		raw, err := json.Marshal(c)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO conversations (id, user_id, updated_ns, data) VALUES ($1, $2, $3, $4)`,
			c.ID, c.UserID, c.UpdatedAt.UnixNano(), raw)
		return err
	})
}

// ownedConversation loads conversation id if it belongs to userID (FOR
// UPDATE when lock); another user's is store.ErrNotFound, like a missing one.
func ownedConversation(ctx context.Context, q pgx.Tx, userID, id uint64, lock bool) (store.Conversation, error) {
	sql := `SELECT data FROM conversations WHERE id = $1 AND user_id = $2`
	if lock {
		sql += ` FOR UPDATE`
	}
	var raw []byte
	var c store.Conversation
	err := notFound(q.QueryRow(ctx, sql, id, userID).Scan(&raw))
	if err == nil {
		err = json.Unmarshal(raw, &c)
	}
	if err != nil {
		return store.Conversation{}, fmt.Errorf("conversation %d: %w", id, err)
	}
	return c, nil
}

// putConversation saves c.
func putConversation(ctx context.Context, tx pgx.Tx, c *store.Conversation) error {
	raw, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE conversations SET updated_ns = $2, data = $3 WHERE id = $1`, c.ID, c.UpdatedAt.UnixNano(), raw)
	return err
}

// Conversation returns userID's conversation id.
func (db *DB) Conversation(ctx context.Context, userID, id uint64) (c store.Conversation, err error) {
	err = db.readTx(ctx, func(tx pgx.Tx) error {
		c, err = ownedConversation(ctx, tx, userID, id, false)
		return err
	})
	return c, err
}

// Conversations lists userID's conversations, most recently active first.
func (db *DB) Conversations(ctx context.Context, userID uint64, skip, limit int) ([]store.Conversation, error) {
	off, lim := page(skip, limit)
	rows, err := db.pool.Query(ctx, `SELECT data FROM conversations WHERE user_id = $1
		ORDER BY updated_ns DESC, id DESC OFFSET $2 LIMIT $3`, userID, off, lim)
	if err != nil {
		return nil, err
	}
	return collectJSON[store.Conversation](rows)
}

// RenameConversation sets the title of userID's conversation id.
func (db *DB) RenameConversation(ctx context.Context, userID, id uint64, title string) (c store.Conversation, err error) {
	err = db.tx(ctx, func(tx pgx.Tx) error {
		if c, err = ownedConversation(ctx, tx, userID, id, true); err != nil {
			return err
		}
		c.Title, c.UpdatedAt = title, db.now()
		return putConversation(ctx, tx, &c)
	})
	return c, err
}

// UpdateConversation applies fn to userID's conversation id (its title or
// scope) and saves it.
func (db *DB) UpdateConversation(ctx context.Context, userID, id uint64, fn func(*store.Conversation)) (c store.Conversation, err error) {
	err = db.tx(ctx, func(tx pgx.Tx) error {
		if c, err = ownedConversation(ctx, tx, userID, id, true); err != nil {
			return err
		}
		fn(&c)
		c.ID, c.UserID, c.UpdatedAt = id, userID, db.now()
		return putConversation(ctx, tx, &c)
	})
	return c, err
}

// SetTitleIfEmpty gives an untitled conversation a title; a title already
// set (by the user, or by a concurrent request) is kept.
func (db *DB) SetTitleIfEmpty(ctx context.Context, userID, id uint64, title string) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		c, err := ownedConversation(ctx, tx, userID, id, true)
		if err != nil || c.Title != "" {
			return err
		}
		c.Title = title
		return putConversation(ctx, tx, &c)
	})
}

// DeleteConversation removes userID's conversation id and all its messages.
func (db *DB) DeleteConversation(ctx context.Context, userID, id uint64) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM conversations WHERE id = $1 AND user_id = $2`, id, userID)
	if err == nil && tag.RowsAffected() == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("conversation %d: %w", id, err)
	}
	return nil
}

// AddMessage appends m to userID's conversation m.ConversationID, assigning
// its ID and time, and marks the conversation active.
func (db *DB) AddMessage(ctx context.Context, userID uint64, m *store.Message) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		c, err := ownedConversation(ctx, tx, userID, m.ConversationID, true)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('messages', 'id'))`).Scan(&m.ID); err != nil {
			return err
		}
		m.CreatedAt = db.now()
		c.UpdatedAt = m.CreatedAt
		if err := putConversation(ctx, tx, &c); err != nil {
			return err
		}
		raw, err := json.Marshal(m)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO messages (id, conversation_id, data) VALUES ($1, $2, $3)`, m.ID, c.ID, raw)
		return err
	})
}

// Messages returns the messages of userID's conversation id, oldest first.
func (db *DB) Messages(ctx context.Context, userID, id uint64, skip, limit int) (out []store.Message, err error) {
	off, lim := page(skip, limit)
	err = db.readTx(ctx, func(tx pgx.Tx) error {
		if _, err := ownedConversation(ctx, tx, userID, id, false); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT data FROM messages WHERE conversation_id = $1 ORDER BY id OFFSET $2 LIMIT $3`, id, off, lim)
		if err == nil {
			out, err = collectJSON[store.Message](rows)
		}
		return err
	})
	return out, err
}

// RecentMessages returns up to n of the latest messages of userID's
// conversation id, oldest first.
func (db *DB) RecentMessages(ctx context.Context, userID, id uint64, n int) (out []store.Message, err error) {
	err = db.readTx(ctx, func(tx pgx.Tx) error {
		if _, err := ownedConversation(ctx, tx, userID, id, false); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT data FROM messages WHERE conversation_id = $1 ORDER BY id DESC LIMIT $2`, id, n)
		if err == nil {
			out, err = collectJSON[store.Message](rows)
		}
		return err
	})
	slices.Reverse(out)
	return out, err
}
