package api

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Chat limit defaults: answers written at once per account, and questions
// per account per minute (with a burst of a third of it).
const (
	defaultChatConcurrency = 4
	defaultChatRate        = 60
)

// chatLimits bounds what one account's questions may take, across HTTP,
// Server-Sent Events and WebSockets together: a question over a limit is
// refused at once (429 or an error frame), never queued, and is not stored.
type chatLimits struct {
	concurrency int
	perMinute   float64
	burst       float64

	mu      sync.Mutex
	active  map[uint64]int         // answers being written, per user
	buckets map[uint64]*chatBucket // the rate's token bucket, per user
	now     func() time.Time
}

type chatBucket struct {
	tokens float64
	last   time.Time
}

func newChatLimits(concurrency, perMinute int) *chatLimits {
	return &chatLimits{concurrency: concurrency, perMinute: float64(perMinute), burst: max(float64(perMinute)/3, 1),
		active: map[uint64]int{}, buckets: map[uint64]*chatBucket{}, now: time.Now}
}

// limitError is a refused question: 429 with the wait in Retry-After.
type limitError struct {
	httpError
	retryAfter time.Duration
}

// admit takes one of user's answer slots and one question of the rate, or
// says which limit the question is over. Call release when the answer is
// stored (or has failed).
func (l *chatLimits) admit(user uint64) (release func(), err *limitError) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[user]
	if b == nil {
		l.sweep(now)
		b = &chatBucket{tokens: l.burst, last: now}
		l.buckets[user] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Minutes()*l.perMinute)
	b.last = now
	if b.tokens < 1 {
		wait := time.Duration((1 - b.tokens) / l.perMinute * float64(time.Minute))
		return nil, &limitError{httpError{status: http.StatusTooManyRequests, detail: fmt.Sprintf(
			"too many questions: at most %d a minute per account (a burst of %d); retry after the time in Retry-After",
			int(l.perMinute), int(l.burst))}, wait}
	}
	if l.active[user] >= l.concurrency {
		return nil, &limitError{httpError{status: http.StatusTooManyRequests, detail: fmt.Sprintf(
			"too many questions at once: at most %d answers per account are written at the same time; ask again when one is done",
			l.concurrency)}, time.Second}
	}
	b.tokens--
	l.active[user]++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			if l.active[user]--; l.active[user] <= 0 {
				delete(l.active, user)
			}
		})
	}, nil
}

// sweep forgets full buckets of users who are not asking anything, once
// there are many.
func (l *chatLimits) sweep(now time.Time) {
	if len(l.buckets) < 4096 {
		return
	}
	for u, b := range l.buckets {
		if l.active[u] == 0 && b.tokens+now.Sub(b.last).Minutes()*l.perMinute >= l.burst {
			delete(l.buckets, u)
		}
	}
}

// retryAfter is the Retry-After value of a wait: whole seconds, at least 1.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}

// admitChat applies the caller's chat limits to an HTTP question,
// answering 429 with Retry-After itself when it is over one.
func (s *Server) admitChat(w http.ResponseWriter, r *http.Request) (release func(), ok bool) {
	release, err := s.chatLimits.admit(currentUser(r.Context()).ID)
	if err != nil {
		w.Header().Set("Retry-After", retryAfter(err.retryAfter))
		s.fail(w, r, &err.httpError)
		return nil, false
	}
	return release, true
}
