package daemon

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"cacsd/mapping"
)

// File and folder modes for processed/ and failed/: they hold personal
// data, so nothing is readable beyond the service's group.
const (
	fileMode os.FileMode = 0o640
	dirMode  os.FileMode = 0o750
)

// ensureDir creates dir and its parents with dirMode.
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return err
	}
	return nil
}

// processedDir is the folder for a file imported at t.
func processedDir(root string, t time.Time) string {
	return filepath.Join(root, t.Format("2006"), t.Format("01"), t.Format("02"))
}

// moveInto moves src into dir under its own name, never overwriting: on a
// clash the name gains a suffix from the file's hash, then a counter. It
// returns the final path. Across filesystems the file is copied, synced and
// only then removed from the inbox.
func moveInto(src, dir, sha string) (string, error) {
	if err := ensureDir(dir); err != nil {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	base := filepath.Base(src)
	for i := 0; ; i++ {
		dst := filepath.Join(dir, clashName(base, sha, i))
		err := renameNoReplace(src, dst)
		if errors.Is(err, unix.EXDEV) {
			err = copyNoReplace(src, dst)
		}
		if errors.Is(err, os.ErrExist) {
			// The same bytes already there under this name (a copy
			// interrupted before the source was removed, or the same file
			// delivered twice): keep one.
			if sha != "" && hasHash(dst, sha) {
				if err := os.Remove(src); err != nil {
					return "", err
				}
				syncDir(filepath.Dir(src))
				return dst, nil
			}
			continue
		}
		if err != nil && errors.Is(err, os.ErrNotExist) && !exists(src) {
			// Another daemon sharing the inbox moved it first.
			return "", ErrGone
		}
		if err != nil {
			return "", err
		}
		// Only the owner may chmod, and a file delivered by another user
		// (an SFTP account sharing the inbox through a group) stays theirs.
		// The move has happened, so failing here would report it undone;
		// the 0750 folders still keep everyone else out.
		_ = os.Chmod(dst, fileMode)
		syncDir(filepath.Dir(src))
		syncDir(dir)
		return dst, nil
	}
}

// exists reports whether path names anything, a link included.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, os.ErrNotExist)
}

// clashName is the i-th name tried for base: base itself, then base with a
// hash suffix before the extension, then that with a counter.
func clashName(base, sha string, i int) string {
	if i == 0 {
		return base
	}
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	short := sha
	if len(short) > 12 {
		short = short[:12]
	}
	if i == 1 {
		return fmt.Sprintf("%s.%s%s", stem, short, ext)
	}
	return fmt.Sprintf("%s.%s-%d%s", stem, short, i, ext)
}

// renameNoReplace renames atomically and fails with os.ErrExist rather than
// replace dst. Filesystems without RENAME_NOREPLACE fall back to link and
// unlink, which is just as safe against overwriting.
func renameNoReplace(src, dst string) error {
	err := unix.Renameat2(unix.AT_FDCWD, src, unix.AT_FDCWD, dst, unix.RENAME_NOREPLACE)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EEXIST):
		return os.ErrExist
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS):
		if err := os.Link(src, dst); err != nil {
			return err
		}
		return os.Remove(src)
	}
	return &os.LinkError{Op: "rename", Old: src, New: dst, Err: err}
}

// copyNoReplace copies src to dst on another filesystem: into a hidden
// temporary file, synced, linked to dst (which fails if dst exists), and
// only then is src removed. A crash leaves at worst a stray temporary file
// and the source still in the inbox.
func copyNoReplace(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()

	tmp, err := os.CreateTemp(filepath.Dir(dst), ".cacsd-copy-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(fileMode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), dst); err != nil {
		return err
	}
	syncDir(filepath.Dir(dst))
	return os.Remove(src)
}

// hasHash reports whether the file at path has the given SHA-256 (hex).
func hasHash(path, sha string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return false
	}
	return hex.EncodeToString(h.Sum(nil)) == sha
}

// syncDir flushes a folder's entries so that a move survives a power cut.
// Errors are ignored: some filesystems cannot sync a folder, and the move
// itself has already succeeded.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// Report is the content of NAME.error.json beside a failed file. It holds
// no personal data: problems carry case references, fields and positions.
type Report struct {
	File     string            `json:"file"`
	SHA256   string            `json:"sha256,omitempty"`
	Size     int64             `json:"size_bytes"`
	FailedAt time.Time         `json:"failed_at"`
	Reason   string            `json:"reason"`
	Problems []mapping.Problem `json:"problems,omitempty"`
}

// writeReport writes the report for the failed file at path as
// path.error.json, created 0640, never replacing an existing report.
func writeReport(path string, r Report) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')

	dst := path + ".error.json"
	tmp, err := os.CreateTemp(filepath.Dir(path), ".cacsd-report-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(fileMode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := renameNoReplace(tmp.Name(), dst); err != nil {
		return fmt.Errorf("write report %s: %w", dst, err)
	}
	syncDir(filepath.Dir(dst))
	return nil
}
