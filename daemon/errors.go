package daemon

import (
	"errors"
	"fmt"
)

// ErrNotReady means the file changed while it was read: it is still being
// written, so whatever was read is discarded and the file settles again.
var ErrNotReady = errors.New("file changed while it was read")

// ErrGone means the file left the inbox before it could be handled, which
// is normal when another daemon shares the inbox.
var ErrGone = errors.New("file no longer in the inbox")

// TransientError is a failure that says nothing about the file: the
// database is unreachable, a folder cannot be written, the disk is full. The
// file stays where it is and is tried again later.
type TransientError struct {
	Op       string // what was being done: "open", "move", "commit import"...
	Err      error
	Database bool // the database failed, not the file system
}

func (e *TransientError) Error() string { return fmt.Sprintf("%s: %v", e.Op, e.Err) }

// Unwrap returns the underlying error.
func (e *TransientError) Unwrap() error { return e.Err }

// IsTransient reports whether err is worth retrying later.
func IsTransient(err error) bool {
	var t *TransientError
	return errors.As(err, &t)
}
