package daemon

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the daemon's Prometheus collectors. They count events in
// this process; the backlog is read from the inbox at each scrape.
type Metrics struct {
	files       *prometheus.CounterVec
	cases       *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	lastSuccess prometheus.Gauge
	retries     *prometheus.CounterVec
	events      prometheus.Counter
	scans       prometheus.Counter
}

// NewMetrics registers the daemon's metrics with reg and returns them.
// The inbox gauges are registered by New, which knows the inbox.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		files: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cacsd_files_total",
			Help: "Files handled, by outcome (imported, already_imported, failed).",
		}, []string{"outcome"}),
		cases: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cacsd_cases_total",
			Help: "Cases in imported files, by action (created, updated, unchanged).",
		}, []string{"action"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cacsd_import_duration_seconds",
			Help:    "Time to read, check, import and move one file, by outcome.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"outcome"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "cacsd_last_success_timestamp_seconds",
			Help: "Unix time of the last file imported into the database, by any daemon " +
				"as read at start, then by this one; 0 when none ever was.",
		}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cacsd_retries_total",
			Help: "Files put back to wait after a transient error, by cause (database, file).",
		}, []string{"cause"}),
		events: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cacsd_watch_events_total",
			Help: "File system events seen on the inbox (0 with --poll-only).",
		}),
		scans: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cacsd_inbox_scans_total",
			Help: "Full scans (polls) of the inbox.",
		}),
	}
	for _, o := range []Outcome{OutcomeImported, OutcomeDuplicate, OutcomeFailed} {
		m.files.WithLabelValues(string(o))
		m.duration.WithLabelValues(string(o))
	}
	for _, a := range []string{"created", "updated", "unchanged"} {
		m.cases.WithLabelValues(a)
	}
	for _, c := range []string{"database", "file"} {
		m.retries.WithLabelValues(c)
	}
	reg.MustRegister(m.files, m.cases, m.duration, m.lastSuccess, m.retries, m.events, m.scans)
	return m
}

// observe counts one handled file.
func (m *Metrics) observe(r Result) {
	m.files.WithLabelValues(string(r.Outcome)).Inc()
	m.duration.WithLabelValues(string(r.Outcome)).Observe(r.Duration.Seconds())
	if r.Outcome == OutcomeFailed {
		return
	}
	m.cases.WithLabelValues("created").Add(float64(r.Created))
	m.cases.WithLabelValues("updated").Add(float64(r.Updated))
	m.cases.WithLabelValues("unchanged").Add(float64(r.Unchanged))
	if r.Outcome == OutcomeImported {
		m.succeeded(time.Now())
	}
}

// retried counts a file put back to wait after err.
func (m *Metrics) retried(err *TransientError) {
	cause := "file"
	if err.Database {
		cause = "database"
	}
	m.retries.WithLabelValues(cause).Inc()
}

// succeeded moves the last success time forward to t.
func (m *Metrics) succeeded(t time.Time) {
	if t.IsZero() {
		return
	}
	m.lastSuccess.Set(float64(t.UnixNano()) / 1e9)
}

// backlogCollector reports the inbox backlog, read at each scrape so that
// it is right even between scans and when another daemon took the files.
type backlogCollector struct {
	cfg    Config
	files  *prometheus.Desc
	oldest *prometheus.Desc
	errors *prometheus.Desc
}

func newBacklogCollector(cfg Config) *backlogCollector {
	return &backlogCollector{
		cfg: cfg,
		files: prometheus.NewDesc("cacsd_inbox_files",
			"Files waiting in the inbox to be imported (the backlog).", nil, nil),
		oldest: prometheus.NewDesc("cacsd_inbox_oldest_file_age_seconds",
			"How long the oldest file in the inbox has waited there; 0 when it is empty.",
			nil, nil),
		errors: prometheus.NewDesc("cacsd_inbox_readable",
			"1 when the inbox could be listed at this scrape, else 0.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.files
	ch <- c.oldest
	ch <- c.errors
}

// Collect implements prometheus.Collector.
func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	b, err := ReadBacklog(c.cfg, time.Now())
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.errors, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.errors, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(c.files, prometheus.GaugeValue, float64(b.Files))
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, b.OldestAge.Seconds())
}
