package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/term"

	"cacsd/daemon"
	"cacsd/repository"
)

// options is everything a subcommand can be told, from flags and the
// environment.
type options struct {
	root      string
	inbox     string
	processed string
	failed    string

	include         string
	settle          time.Duration
	emptyGrace      time.Duration
	scanInterval    time.Duration
	workers         int
	custodian       string
	maxFileSize     int64
	pollOnly        bool
	shutdownTimeout time.Duration
	retain          daemon.Period

	httpAddr string

	watching        bool // the watch flags were registered
	databaseURL     string
	databaseURLFile string
	noMigrate       bool
	logLevel        string
	logFormat       string
}

// folderFlags registers the flags that place the inbox and its siblings.
func (o *options) folderFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.root, "root", "", "folder holding inbox/, processed/ and failed/")
	fs.StringVar(&o.inbox, "inbox", "", "inbox folder (default ROOT/inbox)")
	fs.StringVar(&o.processed, "processed", "", "imported files go here, by date (default ROOT/processed)")
	fs.StringVar(&o.failed, "failed", "", "rejected files and their reports (default ROOT/failed)")
}

// importFlags registers the flags that govern how a file is imported.
func (o *options) importFlags(fs *flag.FlagSet) {
	def := daemon.DefaultConfig("")
	fs.StringVar(&o.custodian, "custodian", "",
		"local custodian code for files that name no recipient, or auto to place "+
			"each case by postcode district")
	fs.Int64Var(&o.maxFileSize, "max-file-size", def.MaxFileSize,
		"largest file accepted, in bytes; larger ones fail unread")
}

// watchFlags registers the daemon's own flags.
func (o *options) watchFlags(fs *flag.FlagSet) {
	o.watching = true
	def := daemon.DefaultConfig("")
	o.includeFlag(fs)
	fs.DurationVar(&o.settle, "settle", def.Settle, "a file must stay unchanged this long before it is read")
	fs.DurationVar(&o.emptyGrace, "empty-grace", def.EmptyGrace,
		"an empty file, or one that ends mid-document, waits this long after its last change before it fails")
	fs.DurationVar(&o.scanInterval, "scan-interval", def.ScanInterval, "full scan of the inbox this often")
	fs.IntVar(&o.workers, "workers", def.Workers, "files imported at once")
	fs.BoolVar(&o.pollOnly, "poll-only", false,
		"find files by scanning only, without file system events (network shares)")
	fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", def.ShutdownTimeout,
		"on SIGINT/SIGTERM, imports in flight get this long to finish")
	fs.BoolVar(&o.noMigrate, "no-migrate", false, "do not apply database migrations at start")
	fs.StringVar(&o.httpAddr, "http-addr", defaultHTTPAddr,
		"serve /metrics, /healthz and /readyz on this address; empty turns it off")
	fs.Var(periodValue{&o.retain}, "retain",
		"run retention daily: anonymise requests closed longer ago than this, e.g. 6y")
}

// defaultHTTPAddr is the endpoint's address unless told otherwise: local
// only, on the port Prometheus's registry of exporters gives cacsd.
const defaultHTTPAddr = "127.0.0.1:9464"

// includeFlag registers the pattern naming the files to import.
func (o *options) includeFlag(fs *flag.FlagSet) {
	fs.StringVar(&o.include, "include", daemon.DefaultConfig("").Include,
		"glob naming the files to import (case insensitive)")
}

// databaseFlags registers the connection flag.
func (o *options) databaseFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.databaseURL, "database-url", "",
		"PostgreSQL connection URL (env CACSD_DATABASE_URL or DATABASE_URL)")
	fs.StringVar(&o.databaseURLFile, "database-url-file", "",
		"file holding the connection URL, for secrets mounted as files "+
			"(env CACSD_DATABASE_URL_FILE or DATABASE_URL_FILE)")
}

// logFlags registers the logging flags.
func (o *options) logFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", "",
		"json or console (default console on a terminal, json otherwise)")
}

// config turns the options into the daemon's configuration.
func (o *options) config() (daemon.Config, error) {
	if o.root == "" && (o.inbox == "" || o.processed == "" || o.failed == "") {
		return daemon.Config{}, errors.New("give --root, or all of --inbox, --processed and --failed")
	}
	cfg := daemon.DefaultConfig(o.root)
	for _, p := range []struct {
		dst *string
		src string
	}{
		{&cfg.Inbox, o.inbox}, {&cfg.Processed, o.processed}, {&cfg.Failed, o.failed},
	} {
		if p.src != "" {
			*p.dst = p.src
		}
	}
	for _, p := range []*string{&cfg.Inbox, &cfg.Processed, &cfg.Failed} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return daemon.Config{}, err
		}
		*p = abs
	}
	cfg.Custodian = o.custodian
	if o.include != "" {
		cfg.Include = o.include
	}
	if o.maxFileSize != 0 {
		cfg.MaxFileSize = o.maxFileSize
	}
	if o.watching {
		cfg.Settle = o.settle
		cfg.EmptyGrace = o.emptyGrace
		cfg.ScanInterval = o.scanInterval
		cfg.Workers = o.workers
		cfg.PollOnly = o.pollOnly
		cfg.ShutdownTimeout = o.shutdownTimeout
		cfg.HTTPAddr = o.httpAddr
		cfg.Retain = o.retain
	}
	return cfg, cfg.Validate()
}

// dsn is the connection URL and where it came from. In order: the flag
// (or CACSD_DATABASE_URL), the file the flag names (or
// CACSD_DATABASE_URL_FILE), DATABASE_URL, the file DATABASE_URL_FILE names.
func (o *options) dsn() (url, source string, err error) {
	switch {
	case o.databaseURL != "":
		return o.databaseURL, "--database-url", nil
	case o.databaseURLFile != "":
		return readSecret(o.databaseURLFile, "--database-url-file")
	case os.Getenv("DATABASE_URL") != "":
		return os.Getenv("DATABASE_URL"), "DATABASE_URL", nil
	case os.Getenv("DATABASE_URL_FILE") != "":
		return readSecret(os.Getenv("DATABASE_URL_FILE"), "DATABASE_URL_FILE")
	}
	return "", "", errors.New("no database: set DATABASE_URL, DATABASE_URL_FILE or --database-url")
}

// readSecret reads a secret from the file at path, without the line break
// that editors and `kubectl create secret --from-file` leave.
func readSecret(path, source string) (secret, from string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", source, err)
	}
	secret = strings.TrimSpace(string(data))
	if secret == "" {
		return "", "", fmt.Errorf("%s: %s is empty", source, path)
	}
	return secret, source + " " + path, nil
}

// openStore connects to the database, migrating it unless told not to.
func (o *options) openStore(ctx context.Context, migrate bool) (*repository.Store, error) {
	dsn, _, err := o.dsn()
	if err != nil {
		return nil, err
	}
	store, err := repository.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", redactURL(dsn), err)
	}
	if migrate {
		if err := store.Migrate(ctx); err != nil {
			store.Close()
			return nil, fmt.Errorf("migrate database: %w", err)
		}
	}
	return store, nil
}

// redactURL hides the password of a connection URL for logs and errors,
// in the user part and in a password parameter. A key=value connection
// string is not shown at all.
func redactURL(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") ||
		repository.URLMisread(dsn) {
		return "(connection string hidden)"
	}
	q := u.Query()
	masked := false
	for k := range q {
		if strings.Contains(strings.ToLower(k), "password") { // password, sslpassword
			q.Set(k, "xxxxx")
			masked = true
		}
	}
	if masked {
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// logger builds the zap logger the options ask for, writing to w.
func (o *options) logger(w *os.File) (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(o.logLevel)
	if err != nil {
		return nil, fmt.Errorf("log level: %w", err)
	}
	format := o.logFormat
	if format == "" {
		format = "json"
		if term.IsTerminal(int(w.Fd())) {
			format = "console"
		}
	}
	o.logFormat = format // as resolved, for the start line

	encCfg := zap.NewProductionEncoderConfig()
	encCfg.EncodeTime = zapcore.ISO8601TimeEncoder
	encCfg.EncodeDuration = zapcore.StringDurationEncoder
	var enc zapcore.Encoder
	switch format {
	case "json":
		enc = zapcore.NewJSONEncoder(encCfg)
	case "console":
		encCfg.EncodeLevel = zapcore.CapitalLevelEncoder
		enc = zapcore.NewConsoleEncoder(encCfg)
	default:
		return nil, fmt.Errorf("log format %q: want json or console", format)
	}
	core := zapcore.NewCore(enc, zapcore.Lock(w), level)
	return zap.New(core), nil
}
