package repository

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// chunkSize bounds the memory WriteEvidence holds and the size of each
// stored chunk.
const chunkSize = 1 << 20

// ErrEvidenceMismatch is returned by WriteEvidence when the bytes read do
// not have the hash or size given to Begin: the file changed after it was
// checked, and should settle and be read again. It is Transient.
var ErrEvidenceMismatch = errors.New("evidence does not match the file's hash or size")

// WriteEvidence stores the file's original bytes, read from r, in chunks,
// and checks them against the hash and size given to Begin.
func (im *Import) WriteEvidence(ctx context.Context, r io.Reader) error {
	if im.finished {
		return errFinished
	}

	// A failed file may have been given evidence by an earlier version.
	if im.failedBefore {
		_, err := im.tx.ExecContext(ctx,
			`DELETE FROM import_file_content WHERE import_file_id = $1`, im.fileID)
		if err != nil {
			return fmt.Errorf("clear evidence: %w", err)
		}
	}

	// Each chunk is written once the next has been read, and the last
	// waits for Commit, so that a file of one chunk costs no round trip.
	// A file smaller than a chunk gets buffers its size, and one byte
	// more to meet the end in the first read: a backlog of small files
	// would otherwise allocate and clear two chunks for each.
	h := sha256.New()
	bufSize := int(min(im.file.Size+1, chunkSize))
	buf, next := make([]byte, bufSize), make([]byte, bufSize)
	var size int64
	im.lastChunk = chunk{}
	for no := 0; ; no++ {
		n, err := io.ReadFull(r, next)
		if n > 0 {
			h.Write(next[:n])
			size += int64(n)
			if size > im.file.Size {
				return ErrEvidenceMismatch // grown since it was checked
			}
			if im.lastChunk.data != nil {
				if err := im.writeChunk(ctx, im.lastChunk); err != nil {
					return err
				}
			}
			buf, next = next, buf
			im.lastChunk = chunk{no: no, data: buf[:n]}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return &readError{err}
		}
	}

	if size != im.file.Size || hex.EncodeToString(h.Sum(nil)) != im.file.SHA256 {
		return ErrEvidenceMismatch
	}
	return nil
}

// chunk is one numbered piece of a file's evidence; data is nil for none.
type chunk struct {
	no   int
	data []byte
}

const insertChunkSQL = `
INSERT INTO import_file_content (import_file_id, chunk_no, data)
VALUES ($1, $2, $3)`

func (im *Import) writeChunk(ctx context.Context, c chunk) error {
	if _, err := im.tx.ExecContext(ctx, insertChunkSQL, im.fileID, c.no, c.data); err != nil {
		return fmt.Errorf("write evidence chunk %d: %w", c.no, err)
	}
	return nil
}

// readError is a failure to read the file being imported: a fault of the
// disk or share, not of the content, so Transient.
type readError struct {
	err error
}

func (e *readError) Error() string { return "read evidence: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }
