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

	h := sha256.New()
	buf := make([]byte, chunkSize)
	var size int64
	for no := 0; ; no++ {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			h.Write(buf[:n])
			size += int64(n)
			if err := im.writeChunk(ctx, no, buf[:n]); err != nil {
				return err
			}
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

const insertChunkSQL = `
INSERT INTO import_file_content (import_file_id, chunk_no, data)
VALUES ($1, $2, $3)`

func (im *Import) writeChunk(ctx context.Context, no int, data []byte) error {
	if _, err := im.tx.ExecContext(ctx, insertChunkSQL, im.fileID, no, data); err != nil {
		return fmt.Errorf("write evidence chunk %d: %w", no, err)
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
