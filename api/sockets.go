package api

import (
	"context"
	"errors"
	"sync"
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
