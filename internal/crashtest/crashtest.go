// Package crashtest kills test processes at random moments: a test runs
// another test of its own binary as a child process, which does its
// work in a loop, and kills it with SIGKILL, then checks what the child
// left on disk.
package crashtest

import (
	"bufio"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Ready is what a child prints once it has started working: Kill's wait
// starts then.
const Ready = "working"

// Kill runs the test named test of the running test binary with env
// added to its environment, waits until it prints Ready, lets it work
// for wait and kills it with SIGKILL.
func Kill(t testing.TB, test string, env []string, wait time.Duration) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.v")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	for lines.Scan() && !strings.Contains(lines.Text(), Ready) {
	}
	go func() {
		for lines.Scan() {
		}
	}()
	time.Sleep(wait)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
}

// Rounds is how many kills a crash test makes: the integer in the
// environment variable env when set (for long runs), else short under
// -short, else n.
func Rounds(env string, n, short int) int {
	if v, err := strconv.Atoi(os.Getenv(env)); err == nil {
		return v
	}
	if testing.Short() {
		return short
	}
	return n
}

// Rand returns a generator seeded from the clock, logging the seed so that
// a failing run can be told apart from the others.
func Rand(t testing.TB) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	return rand.New(rand.NewPCG(seed, 1))
}
