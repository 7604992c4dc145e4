package repository

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"
)

// ErrNotFound is returned when no request has the case reference given.
var ErrNotFound = errors.New("no request with that case reference")

// ErrEvidenceRemoved is returned when retention has removed a file's bytes.
var ErrEvidenceRemoved = errors.New("evidence removed by retention")

// ErrAnonymised is returned for the evidence of a request retention has
// anonymised: a file it shares with a request still kept is stored, but
// is no longer this request's to give out.
var ErrAnonymised = errors.New("request anonymised by retention: its evidence is withheld")

// EvidenceFile is a file that delivered a case of a request.
type EvidenceFile struct {
	ImportFileID int64     `db:"id"`
	Name         string    `db:"file_name"` // as it arrived in the inbox
	SHA256       string    `db:"sha256"`
	Size         int64     `db:"size_bytes"`
	ImportedAt   time.Time `db:"imported_at"`
	Action       string    `db:"action"`  // created, updated or unchanged
	Last         bool      `db:"is_last"` // the file that last changed the request
	Removed      bool      `db:"removed"` // retention removed the bytes
}

const evidenceFilesSQL = `
SELECT f.id, f.file_name, f.sha256, f.size_bytes, f.imported_at, l.action,
    f.id = r.last_import_id AS is_last, f.evidence_removed_at IS NOT NULL AS removed,
    r.anonymised_at IS NOT NULL AS anonymised
FROM service_request r
JOIN service_request_file l ON l.service_request_id = r.id
JOIN import_file f ON f.id = l.import_file_id
WHERE r.source = $1 AND r.case_reference = $2
ORDER BY f.imported_at, f.id`

// EvidenceFiles lists every file that delivered a case of the request
// with reference ref, oldest first. It returns ErrNotFound when there is
// no such request, and ErrAnonymised when retention has anonymised it.
func (s *Store) EvidenceFiles(ctx context.Context, ref string) ([]EvidenceFile, error) {
	var rows []struct {
		EvidenceFile
		Anonymised bool `db:"anonymised"`
	}
	if err := s.db.SelectContext(ctx, &rows, evidenceFilesSQL, sourceCACS, ref); err != nil {
		return nil, fmt.Errorf("list evidence: %w", err)
	}
	if len(rows) == 0 {
		return nil, ErrNotFound
	}
	if rows[0].Anonymised {
		return nil, ErrAnonymised
	}
	files := make([]EvidenceFile, len(rows))
	for i, r := range rows {
		files[i] = r.EvidenceFile
	}
	return files, nil
}

const evidenceChunksSQL = `
SELECT data FROM import_file_content WHERE import_file_id = $1 ORDER BY chunk_no`

// CopyEvidence writes the original bytes of file f to w, chunk by chunk,
// and then checks them against the file's SHA-256 and size: on a mismatch
// w has had bytes that are not the evidence, and the caller must discard
// them. It returns ErrEvidenceRemoved for a file whose bytes retention
// removed.
func (s *Store) CopyEvidence(ctx context.Context, f EvidenceFile, w io.Writer) error {
	if f.Removed {
		return ErrEvidenceRemoved
	}
	rows, err := s.db.QueryContext(ctx, evidenceChunksSQL, f.ImportFileID)
	if err != nil {
		return fmt.Errorf("read evidence: %w", err)
	}
	defer rows.Close()

	h := sha256.New()
	var size int64
	for rows.Next() {
		var chunk []byte
		if err := rows.Scan(&chunk); err != nil {
			return fmt.Errorf("read evidence: %w", err)
		}
		h.Write(chunk)
		size += int64(len(chunk))
		if _, err := w.Write(chunk); err != nil {
			return fmt.Errorf("write evidence: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read evidence: %w", err)
	}
	if size != f.Size || hex.EncodeToString(h.Sum(nil)) != f.SHA256 {
		return fmt.Errorf("evidence of import %d does not match its SHA-256", f.ImportFileID)
	}
	return nil
}

// RecordEvidenceRead writes to the audit trail that actor read the
// evidence files of request ref.
func (s *Store) RecordEvidenceRead(ctx context.Context, ref, actor string,
	files []EvidenceFile) error {
	var id int64
	err := s.db.GetContext(ctx, &id,
		`SELECT id FROM service_request WHERE source = $1 AND case_reference = $2`,
		sourceCACS, ref)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("look up request: %w", err)
	}
	log := &auditLog{requestID: id}
	for _, f := range files {
		log.add(auditEvidence, "import_file", f.ImportFileID, map[string]any{"sha256": f.SHA256})
	}
	return writeAudit(ctx, s.db, log, nil, actor)
}
