//go:build !linux

package store

import "context"

// ReleaseMemory does nothing on this system (see memory_linux.go).
func (db *DB) ReleaseMemory(ctx context.Context) error { return nil }
