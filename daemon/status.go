package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"cacsd/repository"
)

// Backlog is what waits in the inbox.
type Backlog struct {
	Files      int           `json:"files"`
	Bytes      int64         `json:"bytes"`
	OldestFile string        `json:"oldest_file,omitempty"`
	OldestAge  time.Duration `json:"-"`
	// OldestAgeSeconds is OldestAge for scripts.
	OldestAgeSeconds float64 `json:"oldest_age_seconds"`
}

// ReadBacklog lists the candidate files in the inbox at now. A file's wait
// is counted from its change time, which a rename into the inbox sets,
// rather than its mtime, which rsync and scp -p carry over from the sender.
func ReadBacklog(cfg Config, now time.Time) (Backlog, error) {
	entries, err := os.ReadDir(cfg.Inbox)
	if errors.Is(err, os.ErrNotExist) {
		return Backlog{}, nil // the daemon makes it when it starts
	}
	if err != nil {
		return Backlog{}, fmt.Errorf("read inbox: %w", err)
	}
	var b Backlog
	var oldest time.Time
	for _, e := range entries {
		if !e.Type().IsRegular() || !cfg.candidateName(e.Name()) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // gone since the listing
		}
		b.Files++
		b.Bytes += fi.Size()
		since := changeTime(fi)
		if oldest.IsZero() || since.Before(oldest) {
			oldest, b.OldestFile = since, e.Name()
		}
	}
	if !oldest.IsZero() {
		b.OldestAge = max(now.Sub(oldest), 0)
		b.OldestAgeSeconds = b.OldestAge.Seconds()
	}
	return b, nil
}

// changeTime is when the file's inode last changed, or its mtime where the
// system does not say.
func changeTime(fi os.FileInfo) time.Time {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return time.Unix(st.Ctim.Sec, st.Ctim.Nsec)
	}
	return fi.ModTime()
}

// FailedFile is a file waiting in failed/ for someone to act.
type FailedFile struct {
	File     string    `json:"file"`
	Size     int64     `json:"size_bytes"`
	SHA256   string    `json:"sha256,omitempty"`
	FailedAt time.Time `json:"failed_at"`
	// Reason is the first problem found, or why the file failed.
	Reason   string `json:"reason"`
	Problems int    `json:"problems"`
}

// reportSuffix names the report beside a failed file.
const reportSuffix = ".error.json"

// ReadFailed lists the files in failed/, oldest first, each with the first
// reason from its report.
func ReadFailed(cfg Config) ([]FailedFile, error) {
	entries, err := os.ReadDir(cfg.Failed)
	if errors.Is(err, os.ErrNotExist) {
		return []FailedFile{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read failed folder: %w", err)
	}
	files := []FailedFile{}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(name, ".") ||
			strings.HasSuffix(name, reportSuffix) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		f := FailedFile{File: name, Size: fi.Size(), FailedAt: fi.ModTime().UTC()}
		if r, _, err := readReport(filepath.Join(cfg.Failed, name)); err == nil {
			f.SHA256, f.FailedAt, f.Reason = r.SHA256, r.FailedAt, r.firstReason()
			f.Problems = len(r.Problems)
		} else {
			f.Reason = "no readable report: " + err.Error()
		}
		files = append(files, f)
	}
	sort.Slice(files, func(i, j int) bool {
		if !files[i].FailedAt.Equal(files[j].FailedAt) {
			return files[i].FailedAt.Before(files[j].FailedAt)
		}
		return files[i].File < files[j].File
	})
	return files, nil
}

// readReport reads the report beside the failed file at path, returning it
// parsed and as it was written.
func readReport(path string) (Report, []byte, error) {
	data, err := os.ReadFile(path + reportSuffix)
	if err != nil {
		return Report{}, nil, err
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return Report{}, nil, fmt.Errorf("parse %s: %w", filepath.Base(path)+reportSuffix, err)
	}
	return r, data, nil
}

// firstReason is the first problem of the report, else its reason.
func (r Report) firstReason() string {
	if len(r.Problems) > 0 {
		return r.Problems[0].String()
	}
	return r.Reason
}

// Status is the state of an installation: recent imports from the
// database, and what waits in the inbox and in failed/.
type Status struct {
	Imports []repository.ImportRecord `json:"imports"`
	Backlog Backlog                   `json:"backlog"`
	Failed  []FailedFile              `json:"failed"`
}

// ImportLister is what status needs from the database.
type ImportLister interface {
	RecentImports(ctx context.Context, n int) ([]repository.ImportRecord, error)
}

// ReadStatus gathers the last n imports and the state of the folders.
func ReadStatus(ctx context.Context, cfg Config, db ImportLister, n int) (Status, error) {
	imports, err := db.RecentImports(ctx, n)
	if err != nil {
		return Status{}, err
	}
	backlog, err := ReadBacklog(cfg, time.Now())
	if err != nil {
		return Status{}, err
	}
	failed, err := ReadFailed(cfg)
	if err != nil {
		return Status{}, err
	}
	return Status{Imports: imports, Backlog: backlog, Failed: failed}, nil
}
