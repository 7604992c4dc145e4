package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"go.uber.org/zap"

	"cacsd/repository"
)

// Period is a retention period in calendar units, such as six years.
type Period struct {
	Years, Months, Days int
}

var periodPattern = regexp.MustCompile(`^(?:(\d+)y)?(?:(\d+)m)?(?:(\d+)w)?(?:(\d+)d)?$`)

// ParsePeriod reads a period written as years, months, weeks and days, in
// that order, each optional: "6y", "18m", "1y6m", "90d".
func ParsePeriod(s string) (Period, error) {
	m := periodPattern.FindStringSubmatch(s)
	if s == "" || m == nil {
		return Period{}, fmt.Errorf("period %q: want e.g. 6y, 18m, 1y6m or 90d", s)
	}
	n := func(i int) int {
		v, _ := strconv.Atoi(m[i])
		return v
	}
	p := Period{Years: n(1), Months: n(2), Days: 7*n(3) + n(4)}
	if p.IsZero() {
		return Period{}, fmt.Errorf("period %q: must be longer than nothing", s)
	}
	return p, nil
}

// IsZero reports whether the period is empty (retention off).
func (p Period) IsZero() bool { return p == Period{} }

// Before returns the moment the period ends before t.
func (p Period) Before(t time.Time) time.Time {
	return t.AddDate(-p.Years, -p.Months, -p.Days)
}

func (p Period) String() string {
	if p.IsZero() {
		return ""
	}
	s := ""
	for _, u := range []struct {
		n    int
		unit string
	}{{p.Years, "y"}, {p.Months, "m"}, {p.Days, "d"}} {
		if u.n != 0 {
			s += strconv.Itoa(u.n) + u.unit
		}
	}
	return s
}

// RetainReport counts what a retention pass did.
type RetainReport struct {
	repository.RetainResult
	ProcessedFiles int // copies removed from processed/
}

// Retain anonymises the requests closed before before (see
// repository.Store.Retain) and then removes from processed every file
// whose stored bytes have been removed, found by size and SHA-256: the
// database is the record, so a pass interrupted after its commit is
// finished by the next one.
func Retain(ctx context.Context, store *repository.Store, processed string,
	before time.Time, actor string) (RetainReport, error) {
	res, err := store.Retain(ctx, before, actor)
	if err != nil {
		return RetainReport{}, err
	}
	rep := RetainReport{RetainResult: res}
	removed, err := store.RemovedEvidence(ctx)
	if err != nil {
		return rep, err
	}
	rep.ProcessedFiles, err = removeCopies(processed, removed)
	return rep, err
}

// removeCopies removes every regular file below dir whose content is one
// of files. Links are not followed; sizes are compared before hashing.
func removeCopies(dir string, files []repository.StoredFile) (int, error) {
	if len(files) == 0 {
		return 0, nil
	}
	bySize := make(map[int64]map[string]bool)
	for _, f := range files {
		if bySize[f.Size] == nil {
			bySize[f.Size] = map[string]bool{}
		}
		bySize[f.Size][f.SHA256] = true
	}

	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		hashes := bySize[info.Size()]
		if hashes == nil {
			return nil
		}
		sum, err := hashFile(path)
		if err != nil || !hashes[sum] {
			return err
		}
		if err := os.Remove(path); err != nil {
			return err
		}
		n++
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("remove processed copies: %w", err)
	}
	return n, nil
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// retainEvery is how often the daemon runs retention.
const retainEvery = 24 * time.Hour

// retainLoop runs retention at start and then daily until ctx is done.
// A failed pass is logged and tried again the next day.
func (d *Daemon) retainLoop(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		before := d.cfg.Retain.Before(time.Now())
		rep, err := Retain(ctx, d.imp.store, d.cfg.Processed, before, "retention")
		if err != nil && ctx.Err() == nil {
			d.log.Warn("retention failed", zap.Error(err))
		} else if err == nil {
			d.log.Info("retention done", zap.Time("closed_before", before),
				zap.Int("requests", rep.Requests), zap.Int("contacts", rep.Contacts),
				zap.Int("evidence_files", rep.EvidenceFiles),
				zap.Int("processed_files", rep.ProcessedFiles))
		}
		t.Reset(retainEvery)
	}
}
