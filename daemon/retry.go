package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"cacsd/repository"
)

// RetryRecorder is what a retry needs from the database: to record it in
// the same step as the move.
type RetryRecorder interface {
	RecordRetry(ctx context.Context, r repository.Retry, move func() error) error
}

// ErrNotFailed means a file named for retry is not in failed/.
var ErrNotFailed = errors.New("not a failed file")

// Retry sends the failed file name (a name in failed/, or a path to one)
// back to the inbox to be checked again, records that it did, and removes
// its report, whose content the record keeps. It never overwrites a file
// in the inbox.
func Retry(ctx context.Context, cfg Config, db RetryRecorder, name string) error {
	src, err := failedPath(cfg, name)
	if err != nil {
		return err
	}
	base := filepath.Base(src)
	fi, err := os.Lstat(src)
	if errors.Is(err, os.ErrNotExist) || (err == nil && !fi.Mode().IsRegular()) {
		return fmt.Errorf("%s: %w", base, ErrNotFailed)
	}
	if err != nil {
		return err
	}

	rec := repository.Retry{File: base}
	report, data, rerr := readReport(src)
	if rerr == nil {
		rec.SHA256, rec.Reason, rec.Report = report.SHA256, report.firstReason(), data
	}

	dst := filepath.Join(cfg.Inbox, base)
	err = db.RecordRetry(ctx, rec, func() error {
		err := renameNoReplace(src, dst)
		if errors.Is(err, unix.EXDEV) {
			// failed/ on another filesystem than the inbox.
			//
			// TODO: a retry killed between linking the copy into the inbox
			// and removing the failed file leaves the file in both places
			// with no file_retry row: it is imported, and still listed as
			// failed until retried again (which finds it already imported).
			// Closing that needs the failed file's removal recorded so a
			// later start can finish it; a rename cannot cross filesystems.
			err = copyNoReplace(moveSpec{src: src}, dst)
		}
		if err != nil {
			if errors.Is(err, os.ErrExist) {
				return fmt.Errorf("inbox already holds %s", base)
			}
			return fmt.Errorf("move %s to the inbox: %w", base, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	syncDir(cfg.Failed)
	syncDir(cfg.Inbox)
	if err := os.Remove(src + reportSuffix); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove report of %s: %w", base, err)
	}
	return nil
}

// failedPath resolves name to a file directly inside failed/.
func failedPath(cfg Config, name string) (string, error) {
	if strings.HasSuffix(name, reportSuffix) {
		return "", fmt.Errorf("%s is a report; name the file beside it", name)
	}
	if !strings.ContainsRune(name, os.PathSeparator) {
		return filepath.Join(cfg.Failed, name), nil
	}
	abs, err := filepath.Abs(name)
	if err != nil {
		return "", err
	}
	if filepath.Dir(abs) != filepath.Clean(cfg.Failed) {
		return "", fmt.Errorf("%s: %w (not in %s)", name, ErrNotFailed, cfg.Failed)
	}
	return abs, nil
}

// RetryAll retries every file in failed/ and returns the names sent back.
// It stops at the first error.
func RetryAll(ctx context.Context, cfg Config, db RetryRecorder) ([]string, error) {
	failed, err := ReadFailed(cfg)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, f := range failed {
		if err := Retry(ctx, cfg, db, f.File); err != nil {
			return done, err
		}
		done = append(done, f.File)
	}
	return done, nil
}
