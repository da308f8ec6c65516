package ingest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"docent/store"
)

// JobQueue is a store that keeps uploads and the ingest queue itself,
// shared by several docent processes (store/postgres). A document is
// created with its upload and its job in one transaction; any process
// claims jobs, holds each with a lease it renews while it works, and a
// job whose process died is taken over by another once the lease runs out.
type JobQueue interface {
	SubmitUpload(ctx context.Context, d *store.Document, data []byte) (existing store.Document, dup bool, err error)
	ClaimJob(ctx context.Context, worker string, lease time.Duration) (id uint64, ok bool, err error)
	RenewJob(ctx context.Context, id uint64, worker string, lease time.Duration) error
	JobUpload(ctx context.Context, id uint64) ([]byte, error)
	FinishJob(ctx context.Context, id uint64, worker string) error
	WaitForJob(ctx context.Context) error
}

// syncer is an Indexer whose index follows a shared store (retrieval.Library):
// Sync waits until the index holds everything committed so far.
type syncer interface {
	Sync(ctx context.Context) error
}

// workerName names this process in job leases.
func workerName() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}

// submitShared stores the upload in the store with its job.
func (p *Pipeline) submitShared(ctx context.Context, d *store.Document, path string) (store.Document, bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return store.Document{}, false, fmt.Errorf("read upload: %w", err)
	}
	existing, dup, err := p.jobs.SubmitUpload(ctx, d, data)
	if err != nil || dup {
		return existing, dup, err
	}
	return *d, false, nil
}

// startShared runs the workers: each claims a job, processes it and
// finishes it, waiting for a notification when there is none. There are
// twice Workers of them: much of a job's time is spent waiting on the
// database, not computing.
func (p *Pipeline) startShared(ctx context.Context) {
	for range 2 * p.opt.Workers {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for ctx.Err() == nil {
				id, ok, err := p.jobs.ClaimJob(ctx, p.worker, p.opt.JobLease)
				switch {
				case err != nil:
					if ctx.Err() == nil {
						p.opt.Log.Warn("cannot claim ingest jobs; retrying", "err", err)
						sleep(ctx, time.Second)
					}
				case !ok:
					p.jobs.WaitForJob(ctx)
				default:
					p.runJob(ctx, id)
				}
			}
		}()
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// runJob processes the upload of document id while renewing its lease.
// If the lease is lost (another process took the job over) the work
// stops; if this process shuts down the job is let go at once, for
// another to take.
func (p *Pipeline) runJob(ctx context.Context, id uint64) {
	p.mu.Lock()
	p.running[id] = true
	p.mu.Unlock()
	defer p.finished(id)
	work, cancel := context.WithCancel(ctx)
	defer cancel()
	lost := make(chan struct{})
	go func() {
		t := time.NewTicker(p.opt.JobLease / 3) // the heartbeat
		defer t.Stop()
		for {
			select {
			case <-work.Done():
				return
			case <-t.C:
				if err := p.jobs.RenewJob(work, id, p.worker, p.opt.JobLease); errors.Is(err, store.ErrNotFound) {
					close(lost)
					cancel()
					return
				}
			}
		}
	}()
	err := p.processJob(work, id)
	select {
	case <-lost:
		p.opt.Log.Warn("ingest job taken over by another process", "document_id", id)
		return
	default:
	}
	if ctx.Err() != nil { // shutting down: let another process take it now
		p.jobs.RenewJob(context.WithoutCancel(ctx), id, p.worker, 0)
		return
	}
	if err != nil {
		p.opt.Log.Warn("document failed", "document_id", id, "err", err)
	}
	if err := p.jobs.FinishJob(context.WithoutCancel(ctx), id, p.worker); err != nil {
		p.opt.Log.Warn("cannot finish ingest job", "document_id", id, "err", err)
	}
}

// processJob indexes the stored upload of document id, unless it is done
// already (a job taken over after its first process committed).
func (p *Pipeline) processJob(ctx context.Context, id uint64) error {
	d, err := p.db.DocumentByID(ctx, id)
	if err != nil || d.Status == store.StatusReady || d.Status == store.StatusFailed {
		return nil
	}
	data, err := p.jobs.JobUpload(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return p.db.SetStatus(ctx, id, store.StatusFailed, "the upload was lost before it was indexed; upload the file again")
	}
	if err != nil {
		return err
	}
	return p.Process(ctx, &d, bytes.NewReader(data), int64(len(data)))
}

// waitShared waits until document id is ready or failed, whichever
// process indexes it, and then until this process's index has it.
func (p *Pipeline) waitShared(ctx context.Context, id uint64) (store.Document, error) {
	for {
		d, err := p.db.DocumentByID(ctx, id)
		if err != nil {
			return d, err
		}
		if d.Status == store.StatusReady || d.Status == store.StatusFailed {
			if s, ok := p.ix.(syncer); ok && d.Status == store.StatusReady {
				return d, s.Sync(ctx)
			}
			return d, nil
		}
		select {
		case <-ctx.Done():
			return d, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
