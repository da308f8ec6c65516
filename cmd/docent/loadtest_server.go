package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// inProcess runs "docent serve" in this process on a temporary data
// directory, with a fake streaming LLM, loads it and checks it shut down
// cleanly.
func (lt *loadtest) inProcess(ctx context.Context, g *Globals, d time.Duration, rep *loadReport) error {
	rep.InProcess = true
	runtime.GC()
	baseline := runtime.NumGoroutine()
	dir, err := os.MkdirTemp("", "docent-loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	llm, err := startFakeLLM(5 * time.Millisecond)
	if err != nil {
		return err
	}
	defer llm.close()
	rate := strconv.Itoa(max(100_000, lt.users*100))
	rep.Notes = append(rep.Notes,
		"registration and login rate limits raised to "+rate+"/min per IP (all users come from 127.0.0.1)",
		"answers stream from a fake OpenAI-compatible LLM in this process (5ms per token)",
		"memory and goroutines are this process's: the server and the simulated users")

	logs := &logTail{}
	out, addrs := listenWatcher()
	srvCtx, stopServer := context.WithCancel(ctx)
	defer stopServer()
	restore := setEnv("OPENAI_BASE_URL", llm.url)
	exited := make(chan int, 1)
	go func() {
		code := run(srvCtx, []string{"serve", "--data", dir, "--addr", "127.0.0.1:0", "--log-level", "warn",
			"--llm", "openai", "--llm-model", "loadtest-fake", "--register-rate", rate, "--login-rate", rate, "--registration", "open", "--chat-rate", "1000000", "--chat-concurrency", "1000",
			"--shutdown-timeout", "30s"}, strings.NewReader(""), out, logs)
		out.Close()
		exited <- code
	}()
	var base string
	select {
	case base = <-addrs:
	case code := <-exited:
		restore()
		return fmt.Errorf("the in-process server exited with code %d: %s", code, logs.String())
	case <-time.After(60 * time.Second):
		restore()
		return errors.New("the in-process server did not start in 60s")
	}
	restore() // the chat engine has read it
	rep.Target = base
	lt.cl = newLoadClient([]string{base}, lt.rec)
	if err := lt.cl.waitReady(ctx); err != nil {
		return err
	}
	adminToken, err := lt.cl.account(ctx, "loadtest-admin", false)
	if err != nil {
		return fmt.Errorf("register the admin: %w", err)
	}

	sampler := startSampler()
	lt.runUsers(ctx, d)
	if ctx.Err() != nil {
		sampler.stop()
		return ctx.Err()
	}
	lt.verify(ctx, rep)
	lt.check(ctx, adminToken, rep)
	peak := sampler.stop()

	stopServer()
	select {
	case code := <-exited:
		if code != 0 {
			rep.Failures = append(rep.Failures, fmt.Sprintf("the server exited with code %d: %s", code, logs.String()))
		}
	case <-time.After(60 * time.Second):
		rep.Failures = append(rep.Failures, "the server did not shut down within 60s")
	}
	if n := logs.errors(); n > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the server logged %d errors; last lines: %s", n, logs.String()))
	}
	lt.cl.http.CloseIdleConnections()
	llm.close()

	after := runtime.NumGoroutine()
	for deadline := time.Now().Add(10 * time.Second); after > baseline && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		after = runtime.NumGoroutine()
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rep.Memory = loadMemory{PeakHeapMiB: mib(peak.heap), PeakRSSMiB: mib(peak.rss), HeapAfterMiB: mib(ms.HeapInuse)}
	rep.Goroutines = loadGoroutines{Baseline: baseline, Peak: peak.goroutines, After: after, Leaked: after > baseline}
	if rep.Goroutines.Leaked {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		rep.Samples = append(rep.Samples, "goroutines left:\n"+string(buf))
	}
	return nil
}

// remote loads a server someone else runs; memory and goroutines come
// from its /metrics.
func (lt *loadtest) remote(ctx context.Context, base, token string, d time.Duration, rep *loadReport) error {
	var bases []string
	for _, b := range strings.Split(base, ",") {
		if b = strings.TrimRight(strings.TrimSpace(b), "/"); b != "" {
			bases = append(bases, b)
		}
	}
	rep.Target = strings.Join(bases, ", ")
	if len(bases) > 1 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("requests go to the %d servers in turn; every upload with ?wait=true is then searched for on each until found (propagation); memory and goroutines are the first server's", len(bases)))
		lt.propagation = true
	}
	rep.Notes = append(rep.Notes, "the server rate-limits registration and login per client IP: start it with --register-rate and --login-rate of at least --users, or 429s are retried and slow the start")
	lt.cl = newLoadClient(bases, lt.rec)
	lt.cl.admin = token
	if err := lt.cl.waitReady(ctx); err != nil {
		return err
	}
	before := lt.cl.metrics(ctx)
	stop := make(chan struct{})
	peaks := make(chan map[string]float64, 1)
	go func() {
		peak := map[string]float64{}
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			for k, v := range lt.cl.metrics(ctx) {
				peak[k] = max(peak[k], v)
			}
			select {
			case <-stop:
				peaks <- peak
				return
			case <-t.C:
			}
		}
	}()
	lt.runUsers(ctx, d)
	close(stop)
	peak := <-peaks
	if ctx.Err() != nil {
		return ctx.Err()
	}
	lt.verify(ctx, rep)
	if token != "" {
		lt.check(ctx, token, rep)
	}
	time.Sleep(2 * time.Second) // let finished requests' goroutines go
	after := lt.cl.metrics(ctx)
	lt.cl.http.CloseIdleConnections()
	rep.Memory = loadMemory{PeakHeapMiB: mib(uint64(peak["go_memstats_heap_inuse_bytes"])),
		PeakRSSMiB: mib(uint64(peak["process_resident_memory_bytes"])), HeapAfterMiB: mib(uint64(after["go_memstats_heap_inuse_bytes"]))}
	rep.Goroutines = loadGoroutines{Baseline: int(before["go_goroutines"]), Peak: int(peak["go_goroutines"]), After: int(after["go_goroutines"])}
	return nil
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// sampler records the peak heap, RSS and goroutine count of this process.
type sampler struct {
	stopc chan struct{}
	out   chan samplePeak
}

type samplePeak struct {
	heap, rss  uint64
	goroutines int
}

func startSampler() *sampler {
	s := &sampler{stopc: make(chan struct{}), out: make(chan samplePeak, 1)}
	go func() {
		var p samplePeak
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			p.heap = max(p.heap, m.HeapInuse)
			p.rss = max(p.rss, rss())
			p.goroutines = max(p.goroutines, runtime.NumGoroutine())
			select {
			case <-s.stopc:
				s.out <- p
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *sampler) stop() samplePeak {
	close(s.stopc)
	return <-s.out
}

// rss is this process's resident set size, 0 where /proc is missing.
func rss() uint64 {
	raw, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(raw))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

// setEnv sets an environment variable and returns a function restoring it.
func setEnv(key, value string) func() {
	old, had := os.LookupEnv(key)
	os.Setenv(key, value)
	return func() {
		if had {
			os.Setenv(key, old)
		} else {
			os.Unsetenv(key)
		}
	}
}

var listeningLine = regexp.MustCompile(`listening on (http://\S+)`)

// listenWatcher returns a writer for the server's stdout and a channel
// that receives the address it prints.
func listenWatcher() (io.WriteCloser, <-chan string) {
	pr, pw := io.Pipe()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			if m := listeningLine.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
	}()
	return pw, found
}

// logTail keeps the last lines a server logged and counts its errors and panics.
type logTail struct {
	mu     sync.Mutex
	lines  []string
	errs   int
	panics int
}

// Write takes the lines of p, counting errors and panics.
func (l *logTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if strings.Contains(line, "level=ERROR") {
			l.errs++
		}
		if strings.HasPrefix(line, "panic:") || strings.HasPrefix(line, "fatal error:") {
			l.panics++
		}
		l.lines = append(l.lines, line)
		if len(l.lines) > 20 {
			l.lines = l.lines[1:]
		}
	}
	return len(p), nil
}

// String returns the last lines logged.
func (l *logTail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func (l *logTail) errors() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.errs
}
