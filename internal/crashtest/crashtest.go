// Package crashtest kills test processes at random moments: a test runs
// another test of its own binary as a child process, which does its
// work in a loop, and kills it with SIGKILL, then checks what the child
// left on disk.
package crashtest

import (
	"bufio"
	"os"
	"os/exec"
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
