package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"cacsd/repository"
)

// Backoff bounds for transient errors: 1 s doubling to 1 min.
const (
	minBackoff = time.Second
	maxBackoff = time.Minute
)

// flapWindow is how soon after a recovery a new outage counts as the same
// one for logging.
const flapWindow = time.Minute

// eventDelay gathers a burst of fsnotify events into one scan.
const eventDelay = 50 * time.Millisecond

// Daemon watches the inbox and imports what settles there, and serves its
// metrics and health over HTTP.
type Daemon struct {
	cfg     Config
	store   *repository.Store
	imp     *Importer
	log     *zap.Logger
	reg     *prometheus.Registry
	metrics *Metrics

	probe    chan chan struct{} // liveness: the loop answers while it runs
	ready    chan struct{}      // closed once the inbox is watched
	stopping chan struct{}      // closed when shutdown begins

	// Owned by the Run loop.
	files     map[string]*tracked
	ignored   map[string]bool // links and folders in the inbox, told once
	queue     []string
	busy      int
	dbDown    bool
	dbRetries int       // failed probes of the database in a row
	dbRetryAt time.Time // next probe while the database is down
	dbUpAt    time.Time // when the database last came back
	dbQuiet   bool      // this outage follows the last too closely to log
	dbCause   string    // the trouble last logged while down (dbUnavailable...)
	// refused is why the database refuses cacsd's statements (see
	// repository.Misconfigured), or nil; /readyz reports it.
	refused atomic.Pointer[string]
}

// tracked is what the daemon knows of one file in the inbox.
type tracked struct {
	seen     snapshot  // as last observed
	since    time.Time // when seen last changed
	busy     bool      // queued or being imported
	retryAt  time.Time // not before this, after a transient error
	attempts int       // transient failures in a row
}

// done is what a worker reports about one file.
type done struct {
	name string
	res  Result
	err  error
}

// New returns a daemon for cfg, importing into store. Its metrics are
// registered with reg, which /metrics serves.
func New(cfg Config, store *repository.Store, log *zap.Logger,
	reg *prometheus.Registry) (*Daemon, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := reg.Register(newBacklogCollector(cfg)); err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	imp := NewImporter(store, cfg, false)
	imp.incompleteGrace = cfg.EmptyGrace
	return &Daemon{
		cfg:      cfg,
		store:    store,
		imp:      imp,
		log:      log,
		reg:      reg,
		metrics:  NewMetrics(reg),
		probe:    make(chan chan struct{}),
		ready:    make(chan struct{}),
		stopping: make(chan struct{}),
		files:    make(map[string]*tracked),
		ignored:  make(map[string]bool),
	}, nil
}

// Ready is closed once the daemon watches the inbox and serves HTTP.
func (d *Daemon) Ready() <-chan struct{} {
	return d.ready
}

// Run watches the inbox until ctx is done, then stops taking files, lets
// in-flight imports finish within the shutdown timeout, and returns nil.
// It returns an error only when it cannot start.
func (d *Daemon) Run(ctx context.Context) error {
	for _, dir := range []string{d.cfg.Inbox, d.cfg.Processed, d.cfg.Failed} {
		if err := ensureDir(dir); err != nil {
			return fmt.Errorf("create folder: %w", err)
		}
	}
	// A move into failed/ across filesystems that was killed may have
	// left a temporary copy there; the inbox is cleared at each scan.
	//
	// TODO: processed/ is not swept: it is a tree of years of days, and
	// walking it at each start would cost more than the rare copy left
	// there by a killed move; the README gives the command to clear it.
	if entries, err := os.ReadDir(d.cfg.Failed); err == nil {
		now := time.Now()
		for _, e := range entries {
			if tempName.MatchString(e.Name()) {
				d.removeStaleTemp(d.cfg.Failed, e, now)
			}
		}
	}
	if t, err := d.store.LastSuccess(ctx); err == nil {
		d.metrics.succeeded(t)
	} else {
		d.log.Debug("last import time unknown", zap.Error(err))
	}

	srv, err := d.serveHTTP()
	if err != nil {
		return err
	}
	// Stopped last, so that probes see the drain as not ready.
	defer srv.stop(d.log)

	events := make(chan struct{}, 1)
	if !d.cfg.PollOnly {
		w, err := d.watch(events)
		if err != nil {
			return err
		}
		defer w.Close()
	}

	// Imports run on their own context so that a shutdown lets them
	// finish; it is cancelled only when the shutdown timeout runs out.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	jobs := make(chan string)
	results := make(chan done)
	var wg sync.WaitGroup
	for range d.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.work(workCtx, jobs, results)
		}()
	}

	if !d.cfg.Retain.IsZero() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.retainLoop(ctx)
		}()
	}

	d.log.Info("watching inbox", zap.String("inbox", d.cfg.Inbox),
		zap.Bool("poll_only", d.cfg.PollOnly), zap.Int("workers", d.cfg.Workers))
	close(d.ready)
	d.loop(ctx, jobs, results, events)

	close(d.stopping)
	close(jobs)
	d.drain(cancelWork, results, &wg)
	return nil
}

// watch starts fsnotify on the inbox; every event pokes the loop to scan.
func (d *Daemon) watch(poke chan<- struct{}) (*fsnotify.Watcher, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("start watcher: %w", err)
	}
	if err := w.Add(d.cfg.Inbox); err != nil {
		w.Close()
		return nil, fmt.Errorf("watch inbox: %w", err)
	}
	go func() {
		for {
			select {
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				d.metrics.events.Inc()
				d.log.Debug("inbox event", zap.String("file", filepath.Base(ev.Name)),
					zap.String("op", ev.Op.String()))
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				// An overflow loses events, never files: the scan finds them.
				d.log.Warn("inbox watcher error", zap.Error(err))
			}
			select {
			case poke <- struct{}{}:
			default:
			}
		}
	}()
	return w, nil
}

// loop is the single owner of the daemon's view of the inbox. It scans,
// dispatches settled files to workers and takes their results, until ctx
// is done.
func (d *Daemon) loop(ctx context.Context, jobs chan<- string, results <-chan done,
	events <-chan struct{}) {
	ticker := time.NewTicker(d.cfg.ScanInterval)
	defer ticker.Stop()
	wake := time.NewTimer(0) // the first scan, at once
	defer wake.Stop()
	var eventTimer <-chan time.Time

	for {
		var send chan<- string
		var next string
		if len(d.queue) > 0 && d.mayDispatch() {
			if name, ok := d.head(); ok {
				send, next = jobs, name
			}
		}

		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			d.scan()
		case <-wake.C:
			d.scan()
		case <-events:
			if eventTimer == nil {
				eventTimer = time.After(eventDelay)
			}
			continue
		case <-eventTimer:
			eventTimer = nil
			d.scan()
		case send <- next:
			d.queue = d.queue[1:]
			d.busy++
		case r := <-results:
			d.busy--
			d.settle(r)
		case reply := <-d.probe:
			close(reply)
		}
		resetTimer(wake, d.nextWake(time.Now()))
	}
}

// head returns the first queued file, once it is seen to be as it was when
// it settled. A file queued behind a backlog may be written again while
// it waits (an rsync --inplace of a new version): it leaves the queue and
// settles afresh. One that has gone, or is no longer a regular file, is
// forgotten until a scan finds a file under its name again.
func (d *Daemon) head() (string, bool) {
	for len(d.queue) > 0 {
		name := d.queue[0]
		t := d.files[name]
		fi, err := os.Lstat(filepath.Join(d.cfg.Inbox, name))
		if t != nil && err == nil && fi.Mode().IsRegular() && snapshotOf(fi) == t.seen {
			return name, true
		}
		d.queue = d.queue[1:]
		if t == nil {
			continue
		}
		if err != nil || !fi.Mode().IsRegular() {
			// Gone, or no longer a file: the next scan sees what it is.
			delete(d.files, name)
			continue
		}
		t.busy = false
		t.seen, t.since = snapshotOf(fi), time.Now()
		d.log.Debug("file changed while queued; waiting for it to settle",
			zap.String("file", name))
	}
	return "", false
}

// mayDispatch holds files back while the database is down, letting one
// file at a time probe it on the backoff schedule, so an outage does not
// churn through the whole inbox.
func (d *Daemon) mayDispatch() bool {
	return !d.dbDown || (d.busy == 0 && !time.Now().Before(d.dbRetryAt))
}

func resetTimer(t *time.Timer, after time.Duration) {
	if !t.Stop() {
		select {
		case <-t.C:
		default:
		}
	}
	t.Reset(after)
}

// scan lists the inbox, updates what is known of each candidate and queues
// the settled ones, oldest first.
func (d *Daemon) scan() {
	d.metrics.scans.Inc()
	entries, err := os.ReadDir(d.cfg.Inbox)
	if err != nil {
		d.log.Warn("cannot read inbox", zap.String("inbox", d.cfg.Inbox), zap.Error(err))
		return
	}
	now := time.Now()
	seen := make(map[string]bool, len(entries))
	var ready []readyFile
	for _, e := range entries {
		if tempName.MatchString(e.Name()) {
			d.removeStaleTemp(d.cfg.Inbox, e, now)
			continue
		}
		if !d.cfg.candidateName(e.Name()) {
			continue
		}
		// Links and folders are never candidates: a link could point
		// outside the inbox, and subfolders belong to someone else. A
		// sender who delivers one is told, once, why nothing happens.
		if !e.Type().IsRegular() {
			seen[e.Name()] = true
			// A file replaced by a link or a folder is no longer waited
			// for, or the loop would wake at once, again and again.
			if t := d.files[e.Name()]; t != nil && !t.busy {
				delete(d.files, e.Name())
			}
			if !d.ignored[e.Name()] {
				d.ignored[e.Name()] = true
				d.log.Warn("ignored in the inbox: not a regular file (a link or a folder)",
					zap.String("file", e.Name()), zap.String("type", e.Type().String()))
			}
			continue
		}
		if t := d.files[e.Name()]; t != nil && t.busy {
			// Queued or being read: head checks it before it is handed
			// out and the import while it reads it, so a backlog is not
			// statted again at each scan.
			seen[e.Name()] = true
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // gone since the listing
		}
		seen[e.Name()] = true
		if d.observe(e.Name(), fi, now) {
			ready = append(ready, readyFile{e.Name(), fi.ModTime()})
		}
	}
	for name, t := range d.files {
		if !seen[name] && !t.busy {
			delete(d.files, name)
		}
	}
	for name := range d.ignored {
		if !seen[name] {
			delete(d.ignored, name)
		}
	}

	sort.Slice(ready, func(i, j int) bool {
		if !ready[i].mtime.Equal(ready[j].mtime) {
			return ready[i].mtime.Before(ready[j].mtime)
		}
		return ready[i].name < ready[j].name
	})
	for _, r := range ready {
		d.files[r.name].busy = true
		d.queue = append(d.queue, r.name)
	}
}

type readyFile struct {
	name  string
	mtime time.Time
}

// observe records a sighting of a file and reports whether it is ready:
// unchanged for the settle time (the empty-file grace when it is empty),
// not already queued, and not waiting out a backoff.
func (d *Daemon) observe(name string, fi os.FileInfo, now time.Time) bool {
	t, ok := d.files[name]
	if !ok || snapshotOf(fi) != t.seen {
		if !ok {
			t = &tracked{}
			d.files[name] = t
		}
		t.seen, t.since = snapshotOf(fi), now
	}
	if t.busy || now.Before(t.retryAt) {
		return false
	}
	return now.Sub(t.since) >= d.quiet(t)
}

// quiet is how long a file must stay unchanged before it is read.
func (d *Daemon) quiet(t *tracked) time.Duration {
	if t.seen.size == 0 && d.cfg.EmptyGrace > d.cfg.Settle {
		return d.cfg.EmptyGrace
	}
	return d.cfg.Settle
}

// nextWake is how long until the next file settles or ends its backoff,
// capped by the scan interval.
func (d *Daemon) nextWake(now time.Time) time.Duration {
	next := d.cfg.ScanInterval
	for _, t := range d.files {
		if t.busy {
			continue
		}
		at := t.since.Add(d.quiet(t))
		if t.retryAt.After(at) {
			at = t.retryAt
		}
		if wait := at.Sub(now); wait < next {
			next = wait
		}
	}
	// The next probe of a database that is down, unless one is running:
	// its result wakes the loop.
	if d.dbDown && len(d.queue) > 0 && d.busy == 0 {
		next = min(next, d.dbRetryAt.Sub(now))
	}
	if next < 10*time.Millisecond {
		next = 10 * time.Millisecond
	}
	return next
}

// staleTempAge is how long a temporary file of cacsd's must have been left
// alone to be taken for one that a killed process left behind: a copy or
// a report being written is younger.
const staleTempAge = time.Hour

// removeStaleTemp removes e, named as a temporary file of cacsd's (a copy
// across filesystems, by a move or a retry, or a report), from dir if it
// is one that a killed process left behind. Its bytes are never the only
// ones: a copy is linked into place before its source is removed, and a
// report is renamed into place. Left alone, a copy would keep personal
// data out of sight.
func (d *Daemon) removeStaleTemp(dir string, e os.DirEntry, now time.Time) {
	if !e.Type().IsRegular() {
		return
	}
	fi, err := e.Info()
	if err != nil || now.Sub(fi.ModTime()) < staleTempAge {
		return
	}
	err = os.Remove(filepath.Join(dir, e.Name()))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		d.log.Warn("cannot remove a temporary file left by an interrupted copy",
			zap.String("folder", dir), zap.String("file", e.Name()), zap.Error(err))
		return
	}
	d.log.Info("removed a temporary file left by an interrupted copy",
		zap.String("folder", dir), zap.String("file", e.Name()))
}

// settle applies a worker's report to the daemon's view of the file.
func (d *Daemon) settle(r done) {
	t := d.files[r.name]
	if t == nil {
		t = &tracked{}
		d.files[r.name] = t
	}
	t.busy = false
	now := time.Now()

	var terr *TransientError
	switch {
	case r.err == nil, errors.Is(r.err, ErrGone):
		delete(d.files, r.name)
		d.databaseUp()
		if r.res.Replaced {
			// A new upload took the name while this one was handled; its
			// events came while the name was busy, so look for it now.
			d.scan()
		}
	case errors.Is(r.err, ErrNotReady):
		t.since = now
		d.log.Debug("file changed while read; waiting for it to settle",
			zap.String("file", r.name))
	case errors.As(r.err, &terr):
		t.attempts++
		t.retryAt = now.Add(backoff(t.attempts))
		d.metrics.retried(terr)
		d.transient(r.name, t, terr)
	default:
		// Import returns only the errors above; anything else is a bug,
		// and the file is retried rather than lost.
		t.attempts++
		t.retryAt = now.Add(backoff(t.attempts))
		d.log.Error("unexpected error handling file", zap.String("file", r.name),
			zap.Error(r.err))
	}
}

// transient logs a change of state once: the database going down, or
// its trouble changing (an outage, then a refusal once it answers), or a
// file's first failure to be read or moved.
func (d *Daemon) transient(name string, t *tracked, err *TransientError) {
	if err.Database {
		d.dbRetries++
		d.dbRetryAt = time.Now().Add(backoff(d.dbRetries))
		cause, level, msg := dbUnavailable, zap.WarnLevel,
			"database unavailable; files wait in the inbox"
		switch {
		case repository.Misconfigured(err.Err):
			cause, level = dbRefuses, zap.ErrorLevel
			msg = "database refuses cacsd's statements (privileges, schema, " +
				"credentials or a read-only server); files wait in the inbox"
			why := err.Op + ": " + err.Err.Error()
			d.refused.Store(&why)
		case repository.LockNotAvailable(err.Err):
			cause = dbRowLocked
			msg = "another session holds a row the import must change; " +
				"files wait in the inbox"
		}
		if !d.dbDown {
			d.dbDown = true
			// A database that comes and goes (new connections refused
			// while old ones still work) is one outage, told once.
			d.dbQuiet = time.Since(d.dbUpAt) < flapWindow
			if d.dbQuiet && cause == dbUnavailable {
				level = zap.DebugLevel
			}
		} else if cause == d.dbCause {
			return
		}
		d.dbCause = cause
		d.log.Log(level, msg, zap.String("op", err.Op), zap.Error(err.Err))
		return
	}
	if t.attempts == 1 {
		d.log.Warn("file cannot be handled yet; will retry", zap.String("file", name),
			zap.String("op", err.Op), zap.Error(err.Err))
	}
}

// What keeps files waiting while the database is down, as last logged.
const (
	dbUnavailable = "unavailable"
	dbRefuses     = "refuses"
	dbRowLocked   = "row locked"
)

func (d *Daemon) databaseUp() {
	d.dbRetries = 0
	d.refused.Store(nil)
	if d.dbDown {
		d.dbDown = false
		d.dbUpAt = time.Now()
		level := zap.InfoLevel
		if d.dbQuiet && d.dbCause == dbUnavailable {
			level = zap.DebugLevel
		}
		d.dbCause = ""
		d.log.Log(level, "database available again")
	}
}

// backoff is the wait after the n-th transient failure in a row.
func backoff(n int) time.Duration {
	b := minBackoff
	for i := 1; i < n && b < maxBackoff; i++ {
		b *= 2
	}
	return min(b, maxBackoff)
}

// work imports files from jobs until it is closed.
func (d *Daemon) work(ctx context.Context, jobs <-chan string, results chan<- done) {
	for name := range jobs {
		res, err := d.imp.Import(ctx, filepath.Join(d.cfg.Inbox, name))
		switch {
		case err == nil:
			LogResult(d.log, res)
			d.metrics.observe(res)
		case errors.Is(err, ErrGone):
			// Normal when daemons share the inbox: another one took it.
			d.log.Debug("file handled elsewhere; gone from the inbox",
				zap.String("file", name))
		}
		results <- done{name: name, res: res, err: err}
	}
}

// drain waits for in-flight imports, cancelling them if the shutdown
// timeout runs out first, and collects their results.
func (d *Daemon) drain(cancel context.CancelFunc, results <-chan done, wg *sync.WaitGroup) {
	finished := make(chan struct{})
	go func() {
		wg.Wait()
		close(finished)
	}()
	d.log.Info("stopping; finishing imports in flight", zap.Int("in_flight", d.busy),
		zap.Duration("timeout", d.cfg.ShutdownTimeout))
	deadline := time.NewTimer(d.cfg.ShutdownTimeout)
	defer deadline.Stop()
	var abandon <-chan time.Time
	for {
		select {
		case <-results:
		case <-deadline.C:
			d.log.Warn("shutdown timeout; rolling back imports in flight")
			cancel()
			abandon = time.After(abandonGrace)
		case <-abandon:
			// An import stuck on a database that no longer answers cannot
			// be rolled back from here. Leaving is safe: the transaction
			// never commits, and the file is still in the inbox.
			d.log.Warn("imports did not stop; leaving them to roll back")
			return
		case <-finished:
			d.log.Info("stopped")
			return
		}
	}
}

// abandonGrace is how long cancelled imports get to roll back before the
// daemon stops waiting for them.
const abandonGrace = 5 * time.Second

// LogResult writes the one line that says what became of a file.
func LogResult(log *zap.Logger, r Result) {
	fields := []zap.Field{
		zap.String("outcome", string(r.Outcome)),
		zap.String("file", r.File),
		zap.String("sha256", r.SHA256),
		zap.Int64("size_bytes", r.Size),
		zap.Int("cases", r.Cases),
		zap.Duration("duration", r.Duration),
	}
	if r.Dest != "" {
		fields = append(fields, zap.String("dest", r.Dest))
	}
	if r.MovedByOther {
		fields = append(fields, zap.Bool("moved_by_other", true))
	}
	if r.Replaced {
		// The file that was read is gone; a new one has its name.
		fields = append(fields, zap.Bool("replaced_in_inbox", true))
	}
	switch r.Outcome {
	case OutcomeFailed:
		fields = append(fields, zap.String("reason", r.Reason),
			zap.Int("problems", len(r.Problems)))
		if r.ReportErr != nil {
			fields = append(fields, zap.NamedError("report_error", r.ReportErr))
		}
		log.Error("file failed", fields...)
	case OutcomeDuplicate:
		log.Info("file already imported", fields...)
	default:
		fields = append(fields, zap.Int("created", r.Created), zap.Int("updated", r.Updated),
			zap.Int("unchanged", r.Unchanged), zap.Int("unknown_codes", r.Unknown))
		log.Info("file imported", fields...)
	}
}
