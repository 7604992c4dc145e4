package daemon

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Config is the daemon's configuration. Zero durations and counts take the
// defaults of DefaultConfig.
type Config struct {
	Inbox     string // where exports arrive
	Processed string // imported files go to Processed/YYYY/MM/DD/
	Failed    string // files that cannot be imported, with NAME.error.json

	Include         string        // glob that names a candidate, case insensitive
	Settle          time.Duration // size, mtime and change time unchanged this long
	EmptyGrace      time.Duration // an empty or cut-short file waits this long before failing
	ScanInterval    time.Duration // full scan of the inbox this often
	Workers         int           // files imported at once
	MaxFileSize     int64         // larger files fail without being read
	PollOnly        bool          // no fsnotify: the scan alone finds files
	ShutdownTimeout time.Duration // in-flight imports get this long to finish
	HTTPAddr        string        // metrics and probes listen here; empty for none

	// Custodian is the local custodian code used for a file that names no
	// recipient; repository.CustodianAuto places each case by postcode
	// district. Empty means such a file fails.
	Custodian string

	// Retain, when set, runs retention daily: requests closed longer ago
	// than this are anonymised and their files removed from Processed.
	Retain Period
}

// DefaultConfig returns the defaults of DESIGN.md, with the folders laid
// out beneath root.
func DefaultConfig(root string) Config {
	return Config{
		Inbox:           filepath.Join(root, "inbox"),
		Processed:       filepath.Join(root, "processed"),
		Failed:          filepath.Join(root, "failed"),
		Include:         "*.xml",
		Settle:          2 * time.Second,
		EmptyGrace:      30 * time.Second,
		ScanInterval:    30 * time.Second,
		Workers:         2,
		MaxFileSize:     512 << 20,
		ShutdownTimeout: 30 * time.Second,
	}
}

// Validate checks the configuration once, at start.
func (c Config) Validate() error {
	var errs []error
	for _, d := range []struct{ name, path string }{
		{"inbox", c.Inbox}, {"processed", c.Processed}, {"failed", c.Failed},
	} {
		if d.path == "" {
			errs = append(errs, fmt.Errorf("%s folder not set", d.name))
		}
	}
	if c.Inbox != "" && (samePath(c.Inbox, c.Processed) || samePath(c.Inbox, c.Failed)) {
		errs = append(errs, errors.New("inbox must differ from processed and failed folders"))
	}
	if _, err := filepath.Match(c.Include, "x.xml"); err != nil {
		errs = append(errs, fmt.Errorf("include pattern %q: %w", c.Include, err))
	}
	if c.Settle < 0 || c.EmptyGrace < 0 || c.ShutdownTimeout < 0 {
		errs = append(errs, errors.New("durations must not be negative"))
	}
	if c.ScanInterval <= 0 {
		errs = append(errs, errors.New("scan interval must be positive"))
	}
	if c.Workers < 1 {
		errs = append(errs, errors.New("workers must be at least 1"))
	}
	if c.MaxFileSize < 1 {
		errs = append(errs, errors.New("max file size must be positive"))
	}
	if c.Retain.Years < 0 || c.Retain.Months < 0 || c.Retain.Days < 0 {
		errs = append(errs, errors.New("retention period must not be negative"))
	}
	return errors.Join(errs...)
}

func samePath(a, b string) bool {
	return filepath.Clean(a) == filepath.Clean(b)
}

// ignoredSuffixes are the temporary names that uploaders and editors use
// while a file is still being written.
var ignoredSuffixes = []string{
	"~", ".part", ".filepart", ".partial", ".tmp", ".crdownload",
}

// candidateName reports whether a file name in the inbox may be imported:
// it matches the include pattern and no ignore rule.
func (c Config) candidateName(name string) bool {
	lower := strings.ToLower(name)
	if strings.HasPrefix(name, ".") {
		return false
	}
	for _, s := range ignoredSuffixes {
		if strings.HasSuffix(lower, s) {
			return false
		}
	}
	ok, _ := filepath.Match(strings.ToLower(c.Include), lower)
	return ok
}
