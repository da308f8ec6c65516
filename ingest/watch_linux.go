package ingest

import "golang.org/x/sys/unix"

// networkFS reports whether dir is on a file system whose changes inotify
// does not see (changes made by other machines): NFS, SMB/CIFS, FUSE
// (sshfs and the like), 9p, Ceph, AFS.
func networkFS(dir string) bool {
	var st unix.Statfs_t
	if unix.Statfs(dir, &st) != nil {
		return false
	}
	switch uint32(st.Type) {
	case 0x6969, 0x517B, 0xFF534D42, 0xFE534D42, 0x65735546, 0x01021997, 0x00C36400, 0x5346414F:
		return true
	}
	return false
}
