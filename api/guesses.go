package api

import (
	"sync"
	"time"
)

// Password guessing is slowed per account and client address together:
// an address that keeps guessing one account's password waits longer and
// longer before its next try is even checked, while the account's owner,
// at an address that has not guessed wrong, logs in at once. Throttling
// the account itself would let anyone lock its owner out.
const (
	// guessesFree is how many wrong passwords an address may send for
	// one account before it has to wait.
	guessesFree = 5
	// guessesFreeUnderAttack replaces guessesFree for new addresses once
	// the account has had guessesAttack failures (or tries refused for
	// waiting) in guessesForget: it is being guessed.
	guessesFreeUnderAttack = 1
	guessesAttack          = 50
	// guessesBase is the first wait; each further failure doubles it, up
	// to guessesMax.
	guessesBase = time.Second
	guessesMax  = 15 * time.Minute
	// guessesForget is how long failures are remembered after the last
	// one (and after any wait they caused has passed).
	guessesForget = time.Hour
	// guessesCap bounds the remembered (account, address) pairs; past it,
	// pairs that are not waiting are forgotten first.
	guessesCap = 200_000
)

// guesses counts failed password checks by (account, address) and by
// account. The zero value is not usable: see newGuesses.
type guesses struct {
	mu        sync.Mutex
	pairs     map[guessPair]*guessState
	accounts  map[string]*guessState // failures of each account from every address
	nextSweep int
	now       func() time.Time
}

type guessPair struct{ account, addr string }

type guessState struct {
	failures int
	free     int       // failures allowed before the first wait
	last     time.Time // the last failure
	until    time.Time // no check before this
}

func newGuesses() *guesses {
	return &guesses{pairs: map[guessPair]*guessState{}, accounts: map[string]*guessState{}, nextSweep: 1024, now: time.Now}
}

// wait is how long addr must still wait before its next password for
// account is checked; 0 when it may try now. A try refused for waiting
// counts against the account (it is being guessed), not against addr.
func (g *guesses) wait(account, addr string) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.pairs[guessPair{account, addr}]
	if st == nil {
		return 0
	}
	now := g.now()
	d := max(st.until.Sub(now), 0)
	if d > 0 {
		g.remember(g.accounts, account, now)
	}
	return d
}

// failed records a wrong password for account from addr and starts or
// doubles that address's wait once it is past its free failures.
func (g *guesses) failed(account, addr string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	acct := g.remember(g.accounts, account, now)
	key := guessPair{account, addr}
	st := g.pairs[key]
	if st == nil || now.Sub(st.last) > guessesForget && !st.until.After(now) {
		g.sweep(now)
		st = &guessState{free: guessesFree}
		if acct.failures > guessesAttack {
			st.free = guessesFreeUnderAttack
		}
		g.pairs[key] = st
	}
	st.failures++
	st.last = now
	if over := st.failures - st.free; over > 0 {
		d := guessesMax
		if over < 32 {
			d = min(guessesBase<<(over-1), guessesMax)
		}
		st.until = now.Add(d)
	}
}

// remember counts one failure of key in m, forgetting older ones.
func (g *guesses) remember(m map[string]*guessState, key string, now time.Time) *guessState {
	st := m[key]
	if st == nil || now.Sub(st.last) > guessesForget {
		st = &guessState{}
		m[key] = st
	}
	st.failures++
	st.last = now
	return st
}

// succeeded forgets addr's failures for account: its owner is back.
func (g *guesses) succeeded(account, addr string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.pairs, guessPair{account, addr})
}

// sweep forgets what no longer matters once the maps have grown: pairs and
// accounts idle for guessesForget, and past guessesCap pairs that are not
// waiting. It runs when the pairs double, so its cost is amortised.
func (g *guesses) sweep(now time.Time) {
	if len(g.pairs) < g.nextSweep {
		return
	}
	stale := func(st *guessState) bool { return now.Sub(st.last) > guessesForget && !st.until.After(now) }
	for k, st := range g.pairs {
		if stale(st) {
			delete(g.pairs, k)
		}
	}
	for k, st := range g.accounts {
		if stale(st) {
			delete(g.accounts, k)
		}
	}
	for k, st := range g.pairs {
		if len(g.pairs) < guessesCap {
			break
		}
		if !st.until.After(now) {
			delete(g.pairs, k)
		}
	}
	for k := range g.accounts {
		if len(g.accounts) < guessesCap {
			break
		}
		delete(g.accounts, k)
	}
	g.nextSweep = max(2*len(g.pairs), 1024)
}
