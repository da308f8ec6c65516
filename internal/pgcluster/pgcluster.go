// Package pgcluster starts throwaway PostgreSQL clusters for tests and
// benchmarks: initdb in a temporary directory, a server listening on
// 127.0.0.1 only (and a socket in that directory) on a free port, with
// durability off, removed again by Stop. As root it runs the server as
// the postgres user, since PostgreSQL refuses to run as root.
package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"
)

// ErrUnavailable means PostgreSQL's server programs are not installed.
var ErrUnavailable = errors.New("PostgreSQL is not installed (Debian: apt-get install postgresql)")

// Cluster is a running throwaway PostgreSQL server.
type Cluster struct {
	// Port is the TCP port on 127.0.0.1.
	Port int
	dir  string
	bin  string
	cred *syscall.Credential
	cmd  *exec.Cmd
	done chan error
}

// BinDir finds the directory holding initdb and postgres: Debian's
// /usr/lib/postgresql/<version>/bin (newest first), else the PATH.
func BinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		return filepath.Dir(p), nil
	}
	return "", ErrUnavailable
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// Start creates and starts a cluster in a new temporary directory. The
// database "postgres" exists; the superuser is "docent" with no password
// (trust authentication on loopback).
func Start(ctx context.Context) (*Cluster, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "docent-pg-*")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		if c.cred, err = postgresUser(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		if err := os.Chown(dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if err := c.initdb(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.start(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

// postgresUser is the credential of the postgres system user.
func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the postgres user to run PostgreSQL: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Setpgid: true}
	return cmd
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

func (c *Cluster) initdb(ctx context.Context) error {
	cmd := c.command(ctx, "initdb", "-D", c.data(), "-U", "docent", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("initdb: %w: %s", err, out.Bytes())
	}
	return nil
}

// start runs the server on a free port and waits until it accepts connections.
func (c *Cluster) start(ctx context.Context) error {
	if c.Port == 0 {
		port, err := freePort()
		if err != nil {
			return err
		}
		c.Port = port
	}
	cmd := c.command(context.WithoutCancel(ctx), "postgres", "-D", c.data(), "-p", strconv.Itoa(c.Port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+c.dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "shared_buffers=128MB")
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT // never outlive the test binary
	log, err := os.Create(filepath.Join(c.dir, "server.log"))
	if err != nil {
		return err
	}
	if c.cred != nil {
		log.Chown(int(c.cred.Uid), int(c.cred.Gid))
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start postgres: %w", err)
	}
	c.cmd, c.done = cmd, make(chan error, 1)
	go func() { c.done <- cmd.Wait(); log.Close() }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", c.addr(), 200*time.Millisecond)
		if err == nil {
			conn.Close()
			if c.ready(ctx) {
				return nil
			}
		}
		select {
		case err := <-c.done:
			out, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
			return fmt.Errorf("postgres exited: %v: %s", err, out)
		case <-ctx.Done():
			c.Stop()
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	c.Stop()
	return errors.New("postgres did not start within 30 s")
}

// ready asks pg_isready whether the server accepts connections.
func (c *Cluster) ready(ctx context.Context) bool {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, "pg_isready"), "-h", "127.0.0.1", "-p", strconv.Itoa(c.Port), "-U", "docent", "-d", "postgres")
	return cmd.Run() == nil
}

func (c *Cluster) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port)) }

// URL returns the connection URL of database name.
func (c *Cluster) URL(name string) string {
	return fmt.Sprintf("postgres://docent@%s/%s?sslmode=disable", c.addr(), name)
}

// CreateDatabase creates database name and returns its URL.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, "createdb"), "-h", "127.0.0.1", "-p", strconv.Itoa(c.Port), "-U", "docent", name)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("createdb %s: %w: %s", name, err, out)
	}
	return c.URL(name), nil
}

// Pause stops the server (fast shutdown), keeping its data: Resume starts
// it again on the same port.
func (c *Cluster) Pause() error {
	if c.cmd == nil {
		return nil
	}
	c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		<-c.done
	}
	c.cmd = nil
	return nil
}

// Resume starts a paused server again.
func (c *Cluster) Resume(ctx context.Context) error { return c.start(ctx) }

// Stop shuts the server down and removes its directory.
func (c *Cluster) Stop() {
	c.Pause()
	os.RemoveAll(c.dir)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
