package daemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

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
	return move(moveSpec{src: src, dir: dir, sha: sha})
}

// moveSpec says what to move where.
type moveSpec struct {
	src, dir, sha string
	// file is the file that was read. When set, src is moved only while it
	// still names that file: a sender may have replaced it since.
	file os.FileInfo
	// sidecar, when set, makes a name taken also when name+sidecar exists,
	// so that a file never sits beside another file's report.
	sidecar string
}

// errReplaced means the inbox name now holds other bytes than those read:
// a sender renamed a new upload over it, or wrote it again in place. The
// new file is left for its own turn.
var errReplaced = errors.New("file replaced in the inbox while it was handled")

func move(m moveSpec) (string, error) {
	if err := ensureDir(m.dir); err != nil {
		return "", fmt.Errorf("create %s: %w", m.dir, err)
	}
	if err := m.stillThere(); err != nil {
		return "", err
	}
	base := filepath.Base(m.src)
	for i := 0; i < maxClashTries; i++ {
		dst := filepath.Join(m.dir, clashName(base, m.sha, i, nameMax-len(m.sidecar)))
		if m.sidecar != "" {
			taken, err := exists(dst + m.sidecar)
			if err != nil {
				return "", err
			}
			if taken {
				continue
			}
		}
		err := renameNoReplace(m.src, dst)
		copied := false
		if errors.Is(err, unix.EXDEV) {
			// The copy checks what it copies itself.
			err, copied = copyNoReplace(m, dst), true
		}
		if errors.Is(err, os.ErrExist) {
			// The same bytes already there under this name (a copy
			// interrupted before the source was removed, or the same file
			// delivered twice): keep one.
			if m.sha != "" && hasHash(dst, m.sha) {
				return dst, m.removeSource()
			}
			continue
		}
		if err != nil && errors.Is(err, os.ErrNotExist) {
			if there, serr := exists(m.src); serr == nil && !there {
				// Another daemon sharing the inbox moved it first.
				return "", ErrGone
			}
		}
		if err != nil {
			return "", err
		}
		if !copied {
			if err := m.movedRightFile(dst); err != nil {
				return "", err
			}
		}
		// Only the owner may chmod, and a file delivered by another user
		// (an SFTP account sharing the inbox through a group) stays theirs.
		// The move has happened, so failing here would report it undone;
		// the 0750 folders still keep everyone else out.
		_ = os.Chmod(dst, fileMode)
		syncDir(filepath.Dir(m.src))
		syncDir(m.dir)
		return dst, nil
	}
	return "", fmt.Errorf("no free name for %s in %s after %d tries", base, m.dir, maxClashTries)
}

// nameMax is the longest file name, in bytes, Linux filesystems take.
const nameMax = 255

// maxClashTries bounds the names tried for one file: past it something
// other than clashes is wrong, and the move is retried later.
const maxClashTries = 1000

// stillThere checks that src still names the file that was read, and that
// the file has not been written to since.
func (m moveSpec) stillThere() error {
	if m.file == nil {
		return nil
	}
	fi, err := os.Lstat(m.src)
	if errors.Is(err, os.ErrNotExist) {
		return ErrGone
	}
	if err != nil {
		return err
	}
	if !m.asRead(fi, m.src) {
		return errReplaced
	}
	return nil
}

// asRead reports whether fi, the file found at path, is the file that was
// read and holds the bytes that were read. Size and mtime tell most
// writes. A change time moved while they stayed is a chmod, a new link or
// a rewrite that put them back, and then only the bytes can tell.
func (m moveSpec) asRead(fi os.FileInfo, path string) bool {
	now, was := snapshotOf(fi), snapshotOf(m.file)
	if !os.SameFile(fi, m.file) || !now.sameWrite(was) {
		return false
	}
	return now.ctime.Equal(was.ctime) || m.holdsReadBytes(path)
}

// holdsReadBytes reports whether the file at path holds the bytes that
// were read. A file refused unread, for its size alone, has no hash and
// needs none.
func (m moveSpec) holdsReadBytes(path string) bool {
	return m.sha == "" || hasHash(path, m.sha)
}

// movedRightFile undoes a rename that, in the instant between the check
// and the rename, took a replacement instead of the file that was read, or
// the file written again. The rename itself moved the change time, so the
// bytes are checked instead.
func (m moveSpec) movedRightFile(dst string) error {
	if m.file == nil {
		return nil
	}
	fi, err := os.Lstat(dst)
	if err != nil || os.SameFile(fi, m.file) &&
		snapshotOf(fi).sameWrite(snapshotOf(m.file)) && m.holdsReadBytes(dst) {
		return nil
	}
	if err := m.putBack(dst); err != nil {
		return fmt.Errorf("put back replacement %s: %w", dst, err)
	}
	return errReplaced
}

// putBack returns to the inbox the file a rename took in place of the one
// read. Should a newer upload have taken the name meanwhile, it goes back
// as NAME.returned-N.EXT, to be handled in its own turn, rather than stay
// in processed/ with nothing to say what it is.
func (m moveSpec) putBack(dst string) error {
	err := renameNoReplace(dst, m.src)
	ext := filepath.Ext(m.src)
	stem := strings.TrimSuffix(m.src, ext)
	for i := 1; errors.Is(err, os.ErrExist) && i < maxClashTries; i++ {
		err = renameNoReplace(dst, fmt.Sprintf("%s.returned-%d%s", stem, i, ext))
	}
	return err
}

// removeSource removes the source after its bytes were found already in
// place, unless it has been replaced by another file meanwhile. Bytes a
// sender starts to write in the instant between the check and the unlink
// go with it: no check can close that gap, as a writer with the file open
// may write at any time; senders are asked not to write over a name
// cacsd may be handling.
func (m moveSpec) removeSource() error {
	if err := m.stillThere(); err != nil {
		return err
	}
	if err := os.Remove(m.src); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	syncDir(filepath.Dir(m.src))
	return nil
}

// exists reports whether path names anything, a link included, and any
// error other than its not existing.
func exists(path string) (bool, error) {
	_, err := os.Lstat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	}
	return false, err
}

// clashName is the i-th name tried for base: base itself, then base with a
// hash suffix before the extension, then that with a counter. A name
// longer than max bytes is cut, at a character, before its extension and
// always carries the suffix, so that two long names cut alike differ.
func clashName(base, sha string, i, max int) string {
	if len(base) > max && i == 0 {
		i = 1
	}
	if i == 0 {
		return base
	}
	ext := filepath.Ext(base)
	if len(ext) > 16 {
		ext = ""
	}
	stem := strings.TrimSuffix(base, ext)
	short := sha
	if len(short) > 12 {
		short = short[:12]
	}
	var suffix string
	switch {
	case short == "": // refused unread, so no hash: a counter alone
		suffix = fmt.Sprintf("-%d", i)
	case i == 1:
		suffix = "." + short
	default:
		suffix = fmt.Sprintf(".%s-%d", short, i)
	}
	if room := max - len(suffix) - len(ext); len(stem) > room {
		stem = cutBytes(stem, room)
	}
	return stem + suffix + ext
}

// cutBytes cuts s to at most n bytes without splitting a character.
func cutBytes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:min(n, len(s))]
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

// copyNoReplace copies m.src to dst on another filesystem: into a hidden
// temporary file, synced, linked to dst (which fails if dst exists), and
// only then is m.src removed. A crash leaves at worst a stray temporary
// file and the source still in place. When m.file is set, only the bytes
// of that file as it was read are copied and removed.
func copyNoReplace(m moveSpec, dst string) error {
	in, err := os.Open(m.src)
	if err != nil {
		return err
	}
	defer in.Close()
	if m.file != nil {
		fi, err := in.Stat()
		if err != nil {
			return err
		}
		if !os.SameFile(fi, m.file) {
			return errReplaced
		}
	}

	tmp, err := writeTemp(filepath.Dir(dst), copyTempPattern, in)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if m.file != nil {
		// Written to while it was copied: the copy is of neither version.
		fi, err := in.Stat()
		if err != nil {
			return err
		}
		if !m.asRead(fi, tmp) {
			return errReplaced
		}
	}
	if err := os.Link(tmp, dst); err != nil {
		return err
	}
	syncDir(filepath.Dir(dst))
	err = m.removeSource()
	if errors.Is(err, errReplaced) {
		// Written to between the copy and now: the new bytes stay in the
		// inbox for their own turn, and the copy of the old goes.
		if rerr := os.Remove(dst); rerr != nil {
			return fmt.Errorf("remove copy %s of a file written again: %w", dst, rerr)
		}
		syncDir(filepath.Dir(dst))
	}
	return err
}

// The hidden temporary files cacsd writes, copies across filesystems and
// reports, are named by os.CreateTemp from these patterns. The daemon
// removes those a killed process left behind (removeStaleTemp); a name
// that only starts alike is someone else's.
const (
	copyTempPattern   = ".cacsd-copy-*"
	reportTempPattern = ".cacsd-report-*"
)

// tempName matches the names os.CreateTemp makes from the patterns above.
var tempName = regexp.MustCompile(`^\.cacsd-(copy|report)-[0-9]+$`)

// writeTemp copies r into a new hidden file in dir, created with fileMode
// and synced to disk, and returns its path. The caller links or renames it
// into place and removes the temporary name.
func writeTemp(dir, pattern string, r io.Reader) (string, error) {
	tmp, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(tmp, r)
	if err == nil {
		err = tmp.Chmod(fileMode)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), nil
}

// hasHash reports whether the file at path has the given SHA-256 (hex).
func hasHash(path, sha string) bool {
	sum, err := hashFile(path)
	return err == nil && sum == sha
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

	dst := path + reportSuffix
	tmp, err := writeTemp(filepath.Dir(path), reportTempPattern, bytes.NewReader(data))
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := renameNoReplace(tmp, dst); err != nil {
		return fmt.Errorf("write report %s: %w", dst, err)
	}
	syncDir(filepath.Dir(dst))
	return nil
}
