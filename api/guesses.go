package api

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"docent/store"
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
// account: in this process, or in the store several replicas share
// (shared), so that an address guessing through every replica waits as
// long as through one. The zero value is not usable: see newGuesses.
type guesses struct {
	mu        sync.Mutex
	pairs     map[guessPair]*store.GuessState
	accounts  map[string]*store.GuessState // failures of each account from every address
	nextSweep int
	now       func() time.Time
	shared    GuessBook
	log       *slog.Logger
}

// GuessBook keeps the guessing state in a store shared by several docent
// processes (store/postgres): UpdateGuesses loads the state of (account,
// addr) and of account (zero when there is none), lets fn change them and
// saves them, in one transaction; keepPair false forgets the pair.
type GuessBook interface {
	UpdateGuesses(ctx context.Context, account, addr string, fn func(pair, acct *store.GuessState) (keepPair bool)) error
}

type guessPair struct{ account, addr string }

func newGuesses() *guesses {
	return &guesses{pairs: map[guessPair]*store.GuessState{}, accounts: map[string]*store.GuessState{}, nextSweep: 1024, now: time.Now,
		log: slog.New(slog.DiscardHandler)}
}

// update runs fn over the states of (account, addr) and account, where
// they are kept. A stored pair has at least one failure: a pair with none
// is a new one.
func (g *guesses) update(account, addr string, fn func(pair, acct *store.GuessState) bool) {
	if g.shared != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := g.shared.UpdateGuesses(ctx, account, addr, fn); err != nil {
			g.log.Warn("password guess counter unavailable", "err", err)
		}
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	key := guessPair{account, addr}
	pair, acct := g.pairs[key], g.accounts[account]
	if pair == nil {
		pair = &store.GuessState{}
	}
	if acct == nil {
		acct = &store.GuessState{}
	}
	if fn(pair, acct) {
		if g.pairs[key] == nil {
			g.sweep(g.now())
		}
		g.pairs[key] = pair
	} else {
		delete(g.pairs, key)
	}
	if acct.Failures > 0 {
		g.accounts[account] = acct
	}
}

// wait is how long addr must still wait before its next password for
// account is checked; 0 when it may try now. A try refused for waiting
// counts against the account (it is being guessed), not against addr.
func (g *guesses) wait(account, addr string) time.Duration {
	var d time.Duration
	now := g.now()
	g.update(account, addr, func(pair, acct *store.GuessState) bool {
		if pair.Failures == 0 {
			return false
		}
		if d = max(pair.Until.Sub(now), 0); d > 0 {
			remember(acct, now)
		}
		return true
	})
	return d
}

// failed records a wrong password for account from addr and starts or
// doubles that address's wait once it is past its free failures.
func (g *guesses) failed(account, addr string) {
	now := g.now()
	g.update(account, addr, func(pair, acct *store.GuessState) bool {
		remember(acct, now)
		if pair.Failures == 0 || now.Sub(pair.Last) > guessesForget && !pair.Until.After(now) {
			*pair = store.GuessState{Free: guessesFree}
			if acct.Failures > guessesAttack {
				pair.Free = guessesFreeUnderAttack
			}
		}
		pair.Failures++
		pair.Last = now
		if over := pair.Failures - pair.Free; over > 0 {
			d := guessesMax
			if over < 32 {
				d = min(guessesBase<<(over-1), guessesMax)
			}
			pair.Until = now.Add(d)
		}
		return true
	})
}

// remember counts one failure in st, forgetting older ones.
func remember(st *store.GuessState, now time.Time) {
	if now.Sub(st.Last) > guessesForget {
		*st = store.GuessState{}
	}
	st.Failures++
	st.Last = now
}

// succeeded forgets addr's failures for account: its owner is back.
func (g *guesses) succeeded(account, addr string) {
	g.update(account, addr, func(_, _ *store.GuessState) bool { return false })
}

// sweep forgets what no longer matters once the maps have grown: pairs and
// accounts idle for guessesForget, and past guessesCap pairs that are not
// waiting. It runs when the pairs double, so its cost is amortised.
func (g *guesses) sweep(now time.Time) {
	if len(g.pairs) < g.nextSweep {
		return
	}
	stale := func(st *store.GuessState) bool { return now.Sub(st.Last) > guessesForget && !st.Until.After(now) }
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
		if !st.Until.After(now) {
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
