package api

import (
	"context"
	"errors"
	"sync"
	"time"

	"docent/store"
)

// sockets knows every open WebSocket by its user and API key, so that a
// change of credentials closes them at once instead of at their next
// frame: a deactivated or deleted user, a new password, a revoked key.
type sockets struct {
	mu   sync.Mutex
	open map[*socket]struct{}
}

// socket is one open WebSocket: the context its frames are answered in
// and how to end it.
type socket struct {
	ctx    context.Context // carries the user and key it was opened with
	user   uint64
	key    uint64 // 0 for an access token
	revoke context.CancelCauseFunc
}

// errRevoked ends a socket whose credentials no longer hold.
var errRevoked = errors.New("signed out: the account was deactivated or deleted, its password changed, or the API key revoked")

func (s *sockets) add(sk *socket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open == nil {
		s.open = map[*socket]struct{}{}
	}
	s.open[sk] = struct{}{}
}

func (s *sockets) remove(sk *socket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.open, sk)
}

// matching lists the open sockets that pick selects.
func (s *sockets) matching(pick func(*socket) bool) []*socket {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*socket
	for sk := range s.open {
		if pick(sk) {
			out = append(out, sk)
		}
	}
	return out
}

// recheckSockets closes user's sockets whose credentials no longer hold;
// call it after any change to the user or their keys.
func (s *Server) recheckSockets(user uint64) {
	for _, sk := range s.sockets.matching(func(sk *socket) bool { return sk.user == user }) {
		if _, err := s.recheck(context.WithoutCancel(sk.ctx)); err != nil {
			sk.revoke(errRevoked)
		}
	}
}

// dropKeySockets closes the sockets opened with API key id.
func (s *Server) dropKeySockets(id uint64) {
	for _, sk := range s.sockets.matching(func(sk *socket) bool { return sk.key == id }) {
		sk.revoke(errRevoked)
	}
}

// credentialCheckEvery is how often an open WebSocket's credentials are
// checked again (see watchCredentials).
const credentialCheckEvery = time.Second

// watchCredentials closes sk once its credentials certainly no longer
// hold, checking every credentialCheckEvery until sk ends. A change made
// through this server closes its sockets at once (recheckSockets,
// dropKeySockets); this catches the changes made elsewhere: on another
// replica sharing the database (whose cache follows them within
// milliseconds), so such a socket closes within about a second.
func (s *Server) watchCredentials(sk *socket) {
	t := time.NewTicker(credentialCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-sk.ctx.Done():
			return
		case <-t.C:
			if s.certainlyRevoked(sk.ctx) {
				sk.revoke(errRevoked)
				return
			}
		}
	}
}

// certainlyRevoked reports whether the caller in ctx has lost the
// credential the request was made with, by the store's own answer: the
// user is gone, inactive or of a newer token generation, or the API key
// is gone. A store that cannot answer (a replica cut off from its
// database) revokes nothing.
func (s *Server) certainlyRevoked(ctx context.Context) bool {
	was := currentUser(ctx)
	if _, ok, err := s.holder(ctx, was.ID, was.TokenVersion); !ok {
		return err == nil || errors.Is(err, store.ErrNotFound)
	}
	if k := currentKey(ctx); k != nil {
		_, err := s.db.KeyByHash(ctx, k.Hash)
		return errors.Is(err, store.ErrNotFound)
	}
	return false
}
