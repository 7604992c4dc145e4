package repository

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"cacsd/mapping"
)

// FileInfo identifies a file offered for import.
type FileInfo struct {
	Name   string // base name, for people; the hash is the identity
	SHA256 string // hex SHA-256 of the content
	Size   int64  // bytes
}

// storable is f as the database keeps it: the hash in lower case, and the
// name as storableName gives it.
func (f FileInfo) storable() FileInfo {
	f.SHA256 = strings.ToLower(f.SHA256)
	f.Name = storableName(f.Name)
	return f
}

// storableName is a file name with any bytes that are not UTF-8 (a name
// from a Latin-1 client) written as U+FFFD, which PostgreSQL would
// otherwise refuse.
func storableName(name string) string {
	return strings.ToValidUTF8(name, "\uFFFD")
}

// ErrAlreadyImported is returned by Begin when a file with the same hash
// was imported before: the caller writes nothing and only moves the file.
var ErrAlreadyImported = errors.New("file already imported")

// errFinished is returned when an Import is used after Commit or Rollback.
var errFinished = errors.New("import already committed or rolled back")

// Import is the transaction that imports one file. It is not safe for
// concurrent use. Every Import ends with Commit or Rollback.
type Import struct {
	tx     *preparedTx
	file   FileInfo
	fileID int64 // the import_file row this import fills in
	// failedBefore is set when the file's row is that of a failed import.
	failedBefore bool
	codes        codeBook
	now          time.Time // when the import began; due dates count from its day

	// Read once per import: merged custodian codes and districts, the
	// assignment rules and the action templates.
	authorities authorityBook
	rules       []assignmentRule
	templates   []actionTemplate
	placed      map[string]bool // the authorities the cases were placed in

	merging bool        // whether the merge lock is held
	pending pendingRows // merged cases' rows not yet written
	// lastChunk is the file's last evidence chunk, written by Commit.
	lastChunk chunk
	// analyzeAt is the number of cases merged at which the tables are
	// analysed again (see analyzeGrowth).
	analyzeAt int64
	sum       Summary
	finished  bool
}

// Summary counts what an import did.
type Summary struct {
	Cases     int // cases merged, repeats included
	Created   int // new service requests
	Updated   int // service requests moved to a higher update sequence
	Unchanged int // cases whose sequence was not higher than the stored one
	// UnknownCodes counts the codes in the file's cases that are missing
	// from code_map (stored as sent, flagged unknown).
	UnknownCodes int
}

// Begin starts the import of one file. It waits for any other import of
// the same content, then returns ErrAlreadyImported if that content was
// imported already.
func (s *Store) Begin(ctx context.Context, f FileInfo) (*Import, error) {
	f = f.storable()
	key, err := fileLockKey(f.SHA256)
	if err != nil {
		return nil, err
	}

	// Read committed, so that the look-up after the lock sees a row that
	// the lock's previous holder committed.
	tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return nil, fmt.Errorf("begin import: %w", err)
	}
	im := &Import{tx: newPreparedTx(tx, s.stmts), file: f, now: s.now(), placed: map[string]bool{}}
	if err := im.start(ctx, key); err != nil {
		tx.Rollback()
		return nil, err
	}
	return im, nil
}

// startSQL limits the time the transaction may sit idle and the time any
// statement may wait for a row lock, has its prepared statements run on
// generic plans, and tries the lock on the file's hash, in one round trip.
// The import's statements find rows through indexes whatever the values,
// so a plan made once per connection serves every run; left to itself
// PostgreSQL plans the larger statements afresh each time, which cost more
// than running them.
const startSQL = `
SELECT set_config('idle_in_transaction_session_timeout', $1, true) IS NOT NULL
   AND set_config('lock_timeout', $3, true) IS NOT NULL
   AND set_config('plan_cache_mode', 'force_generic_plan', true) IS NOT NULL
   AND pg_try_advisory_xact_lock($2)`

// A file seen before keeps its row: the insert does nothing and returns no
// id, and the look-up that follows tells whether it was imported or
// failed. The casework tables come in the same round trip.
const insertImportFileSQL = `
WITH inserted AS (
    INSERT INTO import_file (sha256, file_name, size_bytes, status)
    VALUES ($1, $2, $3, 'imported')
    ON CONFLICT (sha256) DO NOTHING
    RETURNING id
)
SELECT (SELECT id FROM inserted) AS id,
    (SELECT least(greatest(reltuples, 0)::bigint,
                  pg_stat_get_live_tuples('service_request'::regclass))
     FROM pg_class WHERE oid = 'service_request'::regclass) AS requests,` + caseworkColumnsSQL

func (im *Import) start(ctx context.Context, key int64) error {
	var locked bool
	err := im.tx.GetContext(ctx, &locked, startSQL, idleInTransactionTimeout, key, rowLockTimeout)
	if err != nil {
		return fmt.Errorf("begin import: %w", err)
	}
	if !locked {
		if err := xactLock(ctx, im.tx.Tx, key); err != nil {
			return fmt.Errorf("begin import: %w", err)
		}
	}

	// The row is written now so that the case rows can point at it;
	// nobody sees it before Commit fills it in.
	var row struct {
		ID       *int64 `db:"id"`
		Requests int64  `db:"requests"`
		casework
	}
	err = im.tx.GetContext(ctx, &row, insertImportFileSQL,
		im.file.SHA256, im.file.Name, im.file.Size)
	if err != nil {
		return fmt.Errorf("insert import file: %w", err)
	}
	im.analyzeAt = max(row.Requests, minAnalyzeAt)
	if row.ID != nil {
		im.fileID = *row.ID
	} else {
		var prev struct {
			ID     int64  `db:"id"`
			Status string `db:"status"`
		}
		err = im.tx.GetContext(ctx, &prev,
			`SELECT id, status FROM import_file WHERE sha256 = $1`, im.file.SHA256)
		switch {
		case err != nil:
			return fmt.Errorf("look up import file: %w", err)
		case prev.Status == "imported":
			return ErrAlreadyImported
		}
		// Failed before; Commit turns the row into an import.
		im.fileID, im.failedBefore = prev.ID, true
	}
	return im.setCasework(&row.casework)
}

// commitSQL writes the last pending rows (flushSQL, $1 to $39), the file's
// last evidence chunk ($50 numbered, $51 the bytes; none when NULL) and
// the file's row ($40 on), in one round trip.
const commitSQL = flushSQL + `, committed AS (
    UPDATE import_file SET
        file_name          = $40,
        size_bytes         = $41,
        status             = 'imported',
        case_count         = $42,
        created_count      = $43,
        updated_count      = $44,
        unchanged_count    = $45,
        unknown_code_count = $46,
        export_id          = $47,
        generated_at       = $48,
        custodian_code     = $49,
        problems           = NULL,
        imported_at        = now()
    WHERE id = $1
), last_chunk AS (
    INSERT INTO import_file_content (import_file_id, chunk_no, data)
    SELECT $1, $50, $51::bytea WHERE $51::bytea IS NOT NULL
)` + flushMainSQL

// Commit records the file as imported, with its counts, the export's id
// and time and the custodian code, and commits the transaction. exp may be
// nil when the header is unknown. The file's custodian code is the one
// authority its cases were placed in (merged codes resolved); with
// CustodianAuto and cases for several authorities, none.
func (im *Import) Commit(ctx context.Context, exp *mapping.Export,
	custodian string) (Summary, error) {
	if im.finished {
		return Summary{}, errFinished
	}

	var exportID, generated any
	if exp != nil {
		exportID = nullString(exp.ExportID)
		if !exp.Generated.IsZero() {
			generated = exp.Generated
		}
	}
	custodian = im.fileCustodian(custodian)
	sum := im.sum
	args := append(im.pending.args(im.fileID), im.file.Name, im.file.Size, sum.Cases,
		sum.Created, sum.Updated, sum.Unchanged, sum.UnknownCodes, exportID, generated,
		nullString(custodian), im.lastChunk.no, im.lastChunk.data)
	if _, err := im.tx.ExecContext(ctx, commitSQL, args...); err != nil {
		if im.pending.cases > 0 {
			return Summary{}, im.pending.failed(err)
		}
		return Summary{}, fmt.Errorf("record import file: %w", err)
	}
	im.pending, im.lastChunk = pendingRows{}, chunk{}

	im.finished = true
	if err := im.tx.Commit(); err != nil {
		return Summary{}, fmt.Errorf("commit import: %w", err)
	}
	return sum, nil
}

// fileCustodian is the authority to record for the file.
func (im *Import) fileCustodian(given string) string {
	if len(im.placed) == 1 {
		for code := range im.placed {
			return code
		}
	}
	if given == CustodianAuto {
		return ""
	}
	return im.authorities.resolve(given)
}

// Rollback abandons the import and writes nothing. It is safe to call
// after Commit, where it does nothing, so it can be deferred.
func (im *Import) Rollback() error {
	if im.finished {
		return nil
	}
	im.finished = true
	if err := im.tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("roll back import: %w", err)
	}
	return nil
}

const recordFailureSQL = `
INSERT INTO import_file (sha256, file_name, size_bytes, status, problems)
VALUES ($1, $2, $3, 'failed', $4)
ON CONFLICT (sha256) DO UPDATE SET
    file_name   = EXCLUDED.file_name,
    size_bytes  = EXCLUDED.size_bytes,
    problems    = EXCLUDED.problems,
    imported_at = now()
WHERE import_file.status = 'failed'`

// RecordFailure records that a file's content cannot be imported, with the
// problems found. A file already imported stays imported.
func (s *Store) RecordFailure(ctx context.Context, f FileInfo,
	problems []mapping.Problem) error {
	f = f.storable()
	key, err := fileLockKey(f.SHA256)
	if err != nil {
		return err
	}
	if problems == nil {
		problems = []mapping.Problem{}
	}
	js, err := json.Marshal(problems)
	if err != nil {
		return fmt.Errorf("encode problems: %w", err)
	}

	// The lock keeps the insert from racing Begin's look-up and insert.
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record failure: %w", err)
	}
	defer tx.Rollback()
	if err := xactLock(ctx, tx, key); err != nil {
		return fmt.Errorf("record failure: %w", err)
	}
	_, err = tx.ExecContext(ctx, recordFailureSQL, f.SHA256, f.Name, f.Size, string(js))
	if err != nil {
		return fmt.Errorf("record failure: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record failure: %w", err)
	}
	return nil
}

// nullString is s, or NULL when s is empty.
func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}
