package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"cacsd/mapping"
	"cacsd/repository"
)

// Outcome is what became of one file.
type Outcome string

// The outcomes of a file.
const (
	OutcomeImported  Outcome = "imported"         // cases written, file in processed/
	OutcomeDuplicate Outcome = "already_imported" // same bytes imported before; only moved
	OutcomeFailed    Outcome = "failed"           // content rejected, file in failed/
)

// Result describes one handled file. It holds no personal data.
type Result struct {
	Outcome   Outcome
	File      string // the name in the inbox
	Dest      string // where the file went; empty when it was kept
	SHA256    string
	Size      int64
	Cases     int
	Created   int
	Updated   int
	Unchanged int
	Unknown   int // codes not in the code lists
	Problems  []mapping.Problem
	Reason    string // why the file failed
	Replaced  bool   // a new upload took the file's name before it was moved

	truncated bool  // the file ended inside the document
	ReportErr error // NAME.error.json could not be written
	// MovedByOther is set when another daemon sharing the inbox moved the
	// file to processed/ between this one's commit and its move.
	MovedByOther bool
	Duration     time.Duration
}

// Importer takes one file through reading, checking, the import
// transaction and the move. The daemon and the one-shot import command
// share it, so both follow the same path.
type Importer struct {
	store     *repository.Store
	processed string
	failed    string
	custodian string
	maxSize   int64
	keep      bool
	now       func() time.Time

	// incompleteGrace is how long after its last change a file that ends
	// inside the document is taken for an upload still under way. The
	// daemon sets it; a one-shot import fails such a file at once.
	incompleteGrace time.Duration

	// afterEvidence, when set, runs once the evidence is written, before
	// the cases are read again to merge them: tests change the file there.
	afterEvidence func()
	// beforeMove, when set, runs once the outcome is settled, before the
	// file is moved: tests change the file there.
	beforeMove func()
}

// NewImporter returns an Importer using cfg's folders, custodian and size
// limit. With keep set, files are left where they are after import.
func NewImporter(store *repository.Store, cfg Config, keep bool) *Importer {
	return &Importer{
		store:     store,
		processed: cfg.Processed,
		failed:    cfg.Failed,
		custodian: cfg.Custodian,
		maxSize:   cfg.MaxFileSize,
		keep:      keep,
		now:       time.Now,
	}
}

// snapshot is what a file looked like at one moment; a change means it
// was written to since. The change time catches a rewrite that put size
// and mtime back as they were (rsync -t, cp -p, touch -r).
type snapshot struct {
	size  int64
	mtime time.Time
	ctime time.Time
}

func snapshotOf(fi os.FileInfo) snapshot {
	return snapshot{size: fi.Size(), mtime: fi.ModTime(), ctime: changeTime(fi)}
}

// sameWrite reports whether s and o have the same size and mtime, leaving
// out the change time, which a rename or a chmod also moves.
func (s snapshot) sameWrite(o snapshot) bool {
	return s.size == o.size && s.mtime.Equal(o.mtime)
}

func stat(f *os.File) (snapshot, error) {
	fi, err := f.Stat()
	if err != nil {
		return snapshot{}, err
	}
	return snapshotOf(fi), nil
}

// Import handles the file at path. A returned error is ErrNotReady, ErrGone
// or a *TransientError: the file was left where it was. Otherwise the
// Result says what happened, and the file has been moved (unless keep).
//
// TODO: a backlog of one-case files runs at 200 to 300 files a second on
// two cores, far below the server's single-client commit rate. Files are
// merged one at a time (the merge lock), and on that path a one-case file
// costs about 3 ms of PostgreSQL's CPU and 2 ms of cacsd's. Importing up
// to 32 waiting files in one transaction was measured and gained under
// 5%: on this storage the commits are not the cost. Nearing the target
// needs the files of a batch merged as one set (one look-up of their
// requests, one write of their rows), or merges that lock only the
// contacts they touch, so that both cores work.
func (im *Importer) Import(ctx context.Context, path string) (Result, error) {
	start := im.now()
	res := Result{File: filepath.Base(path)}

	f, err := openRegular(path)
	if err != nil {
		return res, err
	}
	defer f.Close()
	before, err := stat(f)
	if err != nil {
		return res, &TransientError{Op: "stat", Err: err}
	}
	res.Size = before.size
	read, err := f.Stat()
	if err != nil {
		return res, &TransientError{Op: "stat", Err: err}
	}
	mv := moveSpec{src: path, file: read, sha: ""}

	if before.size > im.maxSize {
		res.Reason = fmt.Sprintf("file is %d bytes, over the limit of %d", before.size, im.maxSize)
		return im.fail(ctx, mv, res, start)
	}

	exp, err := im.check(f, &res)
	if err := im.unchanged(f, before, err); err != nil {
		return res, err
	}
	mv.sha = res.SHA256
	if res.truncated && im.now().Sub(before.mtime) < im.incompleteGrace {
		// A sender that paused mid-upload for longer than the settle
		// time: give it until the grace has passed since its last write.
		return res, ErrNotReady
	}
	if res.Reason != "" {
		return im.fail(ctx, mv, res, start)
	}

	custodian := exp.CustodianCode
	if custodian == "" {
		custodian = im.custodian
	}
	if custodian == "" {
		res.Reason = "no Recipient custodian code in the file and no --custodian configured"
	}

	err = im.write(ctx, f, before, exp, custodian, &res)
	var perm *permanentError
	var noAuth *repository.NoAuthorityError
	switch {
	case errors.Is(err, repository.ErrAlreadyImported):
		res.Outcome = OutcomeDuplicate
		return im.finish(mv, res, start)
	case errors.Is(err, errNoCustodian):
		return im.fail(ctx, mv, res, start)
	case errors.As(err, &noAuth):
		res.Reason = "authority cannot be decided: " + noAuth.Error()
		res.Problems = []mapping.Problem{{CaseRef: noAuth.CaseRef,
			Message: noAuth.Reason()}}
		return im.fail(ctx, mv, res, start)
	case errors.As(err, &perm):
		res.Reason = perm.reason()
		return im.fail(ctx, mv, res, start)
	case err != nil:
		return res, err
	}
	res.Outcome = OutcomeImported
	return im.finish(mv, res, start)
}

// errNoCustodian stops an import that has no authority to file it under,
// once the file is known not to have been imported before.
var errNoCustodian = errors.New("no custodian code")

// openRegular opens path for reading without following a link, and only
// when it is a regular file.
func openRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrGone
	}
	if errors.Is(err, syscall.ELOOP) {
		return nil, ErrGone
	}
	if err != nil {
		return nil, &TransientError{Op: "open", Err: err}
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, &TransientError{Op: "stat", Err: err}
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, ErrGone
	}
	return f, nil
}

// check reads the file once, hashing it and decoding every case, and
// records the hash, case count and any problems in res.
func (im *Importer) check(f *os.File, res *Result) (*mapping.Export, error) {
	h := sha256.New()
	exp, n, err := mapping.Decode(io.TeeReader(f, h), nil)
	res.Cases = n

	var invalid *mapping.InvalidError
	switch {
	case errors.As(err, &invalid):
		// Read the rest so the hash covers the whole file.
		if _, err := io.Copy(h, f); err != nil {
			return nil, &TransientError{Op: "read", Err: err}
		}
		res.Problems = invalid.Problems
		res.Reason = invalid.Error()
		res.truncated = invalid.Truncated
	case err != nil:
		return nil, &TransientError{Op: "read", Err: err}
	}
	res.SHA256 = hex.EncodeToString(h.Sum(nil))
	return exp, nil
}

// unchanged returns ErrNotReady when the file's size or mtime moved since
// before, whatever err was; otherwise err. The change time of the open
// file is not compared: it also moves when a new upload is renamed over
// the file's name, which leaves what is being read whole. A rewrite that
// keeps size and mtime is caught by the hash of each read, and after the
// commit by the move's check of the name.
func (im *Importer) unchanged(f *os.File, before snapshot, err error) error {
	after, serr := stat(f)
	if serr != nil {
		return &TransientError{Op: "stat", Err: serr}
	}
	if !after.sameWrite(before) {
		return ErrNotReady
	}
	return err
}

// write runs the import transaction: evidence, every case, commit.
func (im *Importer) write(ctx context.Context, f *os.File, before snapshot,
	exp *mapping.Export, custodian string, res *Result) error {
	info := repository.FileInfo{Name: res.File, SHA256: res.SHA256, Size: res.Size}
	tx, err := im.store.Begin(ctx, info)
	if errors.Is(err, repository.ErrAlreadyImported) {
		return err
	}
	if err != nil {
		return dbError("begin import", err)
	}
	defer tx.Rollback()
	if custodian == "" {
		return errNoCustodian
	}

	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return &TransientError{Op: "read", Err: err}
	}
	err = tx.WriteEvidence(ctx, f)
	if errors.Is(err, repository.ErrEvidenceMismatch) {
		return ErrNotReady
	}
	if err != nil {
		return dbError("store evidence", err)
	}
	if im.afterEvidence != nil {
		im.afterEvidence()
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return &TransientError{Op: "read", Err: err}
	}

	// Cases are merged in batches, each looked up and written together.
	var mergeErr error
	batch := make([]*mapping.Case, 0, repository.MaxMergeAll)
	merge := func() error {
		if len(batch) > 0 {
			_, mergeErr = tx.MergeAll(ctx, exp, custodian, batch)
			batch = batch[:0]
		}
		return mergeErr
	}
	// The cases are read a third time, and what was merged must be what
	// was checked and kept as evidence: this read is hashed too.
	h := sha256.New()
	_, _, err = mapping.Decode(io.TeeReader(f, h), func(c *mapping.Case) error {
		if batch = append(batch, c); len(batch) < repository.MaxMergeAll {
			return nil
		}
		return merge()
	})
	if err == nil {
		merge()
	}
	// Whatever the merge made of them, bytes other than those checked
	// are not the file's fault: it is being written again, and waits.
	// The rest of the file is hashed too when the merge stopped early.
	if _, err := io.Copy(h, f); err != nil {
		return &TransientError{Op: "read", Err: err}
	}
	if hex.EncodeToString(h.Sum(nil)) != res.SHA256 {
		return ErrNotReady // rewritten in place while it was read
	}
	// Nor written to since, up to here: after this, the file moves, to
	// processed/ or, refused, to failed/.
	if err := im.unchanged(f, before, nil); err != nil {
		return err
	}
	if mergeErr != nil {
		return dbError("merge case", mergeErr)
	}
	if err != nil {
		// The bytes are those checked, so a problem now means they
		// changed underneath us and back.
		return ErrNotReady
	}

	sum, err := tx.Commit(ctx, exp, custodian)
	if err != nil {
		return dbError("commit import", err)
	}
	// A case repeated with the same content counts once, as in import_file.
	res.Cases = sum.Cases
	res.Created, res.Updated, res.Unchanged = sum.Created, sum.Updated, sum.Unchanged
	res.Unknown = sum.UnknownCodes
	return nil
}

// dbError marks a database error transient when retrying may help. Any
// other database error is a fault of this file's data and is returned as
// a permanent error.
func dbError(op string, err error) error {
	if repository.Transient(err) {
		return &TransientError{Op: op, Err: err, Database: true}
	}
	return &permanentError{op: op, err: err}
}

// permanentError is a database error caused by the file's content.
type permanentError struct {
	op  string
	err error
}

func (e *permanentError) Error() string { return e.op + ": " + e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// reason says why the database refused the file without quoting the
// database's message, which may echo a value from the file.
func (e *permanentError) reason() string {
	what := "the file's data during " + e.op
	var batch *repository.WriteCasesError
	var one *repository.MergeCaseError
	switch {
	case errors.As(e.err, &batch):
		what = "the data of " + batch.Cases() + " of the file"
	case errors.As(e.err, &one):
		what = "the data of case " + one.Reference
	}
	var coded interface{ SQLState() string }
	if errors.As(e.err, &coded) {
		return fmt.Sprintf("database refused %s (SQLSTATE %s)", what, coded.SQLState())
	}
	return "database refused " + what
}

// fail records a rejected file and moves it to failed/ with its report.
func (im *Importer) fail(ctx context.Context, mv moveSpec, res Result,
	start time.Time) (Result, error) {
	res.Outcome = OutcomeFailed
	// A file refused before reading (over the size limit) has no hash and
	// so no import_file row; its report in failed/ is the record.
	if res.SHA256 != "" {
		info := repository.FileInfo{Name: res.File, SHA256: res.SHA256, Size: res.Size}
		problems := res.Problems
		if len(problems) == 0 {
			problems = []mapping.Problem{{Message: res.Reason}}
		}
		if err := im.store.RecordFailure(ctx, info, problems); err != nil {
			return res, &TransientError{Op: "record failure", Err: err, Database: true}
		}
	}
	if im.keep {
		res.Duration = im.now().Sub(start)
		return res, nil
	}
	if im.beforeMove != nil {
		im.beforeMove()
	}
	mv.dir, mv.sidecar = im.failed, reportSuffix
	dst, err := move(mv)
	if errors.Is(err, ErrGone) {
		// Another daemon failed the same file and moved it with its report.
		return res, ErrGone
	}
	if errors.Is(err, errReplaced) {
		// A new upload took the name, or the file was written again: the
		// rejected bytes are gone, the failure is recorded against their
		// hash, and the new file gets its own check.
		res.Replaced = true
		res.Duration = im.now().Sub(start)
		return res, nil
	}
	if err != nil {
		return res, &TransientError{Op: "move", Err: err}
	}
	res.Dest = dst
	report := Report{
		File: res.File, SHA256: res.SHA256, Size: res.Size,
		FailedAt: im.now().UTC(), Reason: res.Reason, Problems: res.Problems,
	}
	// The file is already in failed/, so a report that cannot be written
	// is told to the caller rather than retried.
	res.ReportErr = writeReport(dst, report)
	res.Duration = im.now().Sub(start)
	return res, nil
}

// finish moves an imported (or already imported) file to processed/.
//
// With daemons sharing the inbox, the one that imported a file races the
// others, which found its hash imported, to move it. Whoever loses finds
// the file gone: an import is still reported (it wrote the cases), with no
// destination; a duplicate is not, since another daemon did everything.
func (im *Importer) finish(mv moveSpec, res Result, start time.Time) (Result, error) {
	if !im.keep {
		if im.beforeMove != nil {
			im.beforeMove()
		}
		mv.dir = processedDir(im.processed, im.now())
		dst, err := move(mv)
		switch {
		case errors.Is(err, ErrGone) && res.Outcome == OutcomeDuplicate:
			return res, ErrGone
		case errors.Is(err, ErrGone):
			res.MovedByOther = true
		case errors.Is(err, errReplaced) && res.Outcome == OutcomeDuplicate:
			// The new file under this name is someone else's turn.
			return res, ErrNotReady
		case errors.Is(err, errReplaced):
			// What was read is imported, its bytes kept as evidence; a new
			// upload has taken its name, or the file was written again, and
			// stays in the inbox for its own turn.
			res.Replaced = true
		case err != nil:
			return res, &TransientError{Op: "move", Err: err}
		}
		res.Dest = dst
	}
	res.Duration = im.now().Sub(start)
	return res, nil
}
