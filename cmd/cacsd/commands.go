package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/peterbourgon/ff/v3/ffcli"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"

	"cacsd/daemon"
	"cacsd/mapping"
)

func runCommand(stdout, stderr io.Writer) *ffcli.Command {
	var o options
	fs := flag.NewFlagSet("cacsd run", flag.ContinueOnError)
	o.folderFlags(fs)
	o.importFlags(fs)
	o.watchFlags(fs)
	o.databaseFlags(fs)
	o.logFlags(fs)
	return &ffcli.Command{
		Name:       "run",
		ShortUsage: "cacsd run --root DIR [flags]",
		ShortHelp:  "Watch the inbox and import every export that arrives (the daemon).",
		FlagSet:    fs,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return &exitError{exitTrouble, fmt.Errorf("run takes no arguments, got %q", args)}
			}
			return o.runDaemon(ctx)
		},
	}
}

func (o *options) runDaemon(ctx context.Context) error {
	cfg, err := o.config()
	if err != nil {
		return &exitError{exitTrouble, err}
	}
	log, err := o.logger(os.Stdout)
	if err != nil {
		return &exitError{exitTrouble, err}
	}
	defer log.Sync()
	dsn, source, err := o.dsn()
	if err != nil {
		return &exitError{exitTrouble, err}
	}
	o.logConfig(log, cfg, dsn, source)

	store, err := o.openStore(ctx, !o.noMigrate)
	if err != nil {
		log.Error("cannot start", zap.Error(err))
		return &exitError{exitTrouble, nil}
	}
	defer store.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d, err := daemon.New(cfg, store, log, reg)
	if err != nil {
		return &exitError{exitTrouble, err}
	}

	notifyCtx, stopNotify := context.WithCancel(ctx)
	waitNotify := newNotifier().run(notifyCtx, d, log)
	err = d.Run(ctx)
	stopNotify()
	waitNotify()
	if err != nil {
		log.Error("cannot run", zap.Error(err))
		return &exitError{exitTrouble, nil}
	}
	return nil
}

// logConfig writes the effective configuration once, at start, with the
// database password masked.
func (o *options) logConfig(log *zap.Logger, cfg daemon.Config, dsn, source string) {
	log.Info("starting",
		zap.String("inbox", cfg.Inbox), zap.String("processed", cfg.Processed),
		zap.String("failed", cfg.Failed), zap.String("include", cfg.Include),
		zap.Duration("settle", cfg.Settle), zap.Duration("empty_grace", cfg.EmptyGrace),
		zap.Duration("scan_interval", cfg.ScanInterval), zap.Bool("poll_only", cfg.PollOnly),
		zap.Int("workers", cfg.Workers), zap.Duration("shutdown_timeout", cfg.ShutdownTimeout),
		zap.String("custodian", cfg.Custodian), zap.Int64("max_file_size", cfg.MaxFileSize),
		zap.String("retain", cfg.Retain.String()), zap.String("http_addr", cfg.HTTPAddr),
		zap.String("database", redactURL(dsn)), zap.String("database_from", source),
		zap.Bool("migrate", !o.noMigrate),
		zap.String("log_level", o.logLevel), zap.String("log_format", o.logFormat))
}

func importCommand(stdout, stderr io.Writer) *ffcli.Command {
	var o options
	var keep bool
	fs := flag.NewFlagSet("cacsd import", flag.ContinueOnError)
	o.folderFlags(fs)
	o.importFlags(fs)
	o.databaseFlags(fs)
	o.logFlags(fs)
	fs.BoolVar(&keep, "keep", false, "leave each file where it is instead of moving it")
	fs.BoolVar(&o.noMigrate, "no-migrate", false, "do not apply database migrations first")
	return &ffcli.Command{
		Name:       "import",
		ShortUsage: "cacsd import [--keep] --root DIR FILE...",
		ShortHelp:  "Import the given files once, as the daemon would; exit 1 if any failed.",
		LongHelp: "Exit status: 0 when every file was imported (or had been before), " +
			"1 when any file failed, 2 on usage, database or file system errors.",
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) == 0 {
				return &exitError{exitTrouble, errors.New("import needs at least one FILE")}
			}
			return o.importFiles(ctx, args, keep)
		},
	}
}

func (o *options) importFiles(ctx context.Context, files []string, keep bool) error {
	if keep && o.root == "" && o.inbox == "" {
		o.root = "." // folders are not used when files are kept
	}
	cfg, err := o.config()
	if err != nil {
		return &exitError{exitTrouble, err}
	}
	log, err := o.logger(os.Stdout)
	if err != nil {
		return &exitError{exitTrouble, err}
	}
	defer log.Sync()

	store, err := o.openStore(ctx, !o.noMigrate)
	if err != nil {
		return &exitError{exitTrouble, err}
	}
	defer store.Close()

	imp := daemon.NewImporter(store, cfg, keep)
	code := exitOK
	for _, path := range files {
		res, err := imp.Import(ctx, path)
		switch {
		case errors.Is(err, daemon.ErrGone):
			log.Error("no such regular file (links and folders are not imported)",
				zap.String("file", path))
			code = exitTrouble
		case err != nil:
			log.Error("file not imported", zap.String("file", path), zap.Error(err))
			code = exitTrouble
		default:
			daemon.LogResult(log, res)
			if res.Outcome == daemon.OutcomeFailed && code == exitOK {
				code = exitFailed
			}
		}
		if ctx.Err() != nil {
			return &exitError{exitTrouble, ctx.Err()}
		}
	}
	return &exitError{code, nil}
}

func validateCommand(stdout io.Writer) *ffcli.Command {
	fs := flag.NewFlagSet("cacsd validate", flag.ContinueOnError)
	return &ffcli.Command{
		Name:       "validate",
		ShortUsage: "cacsd validate FILE...",
		ShortHelp:  "Check files without a database; print every problem; exit 1 if any is bad.",
		FlagSet:    fs,
		Exec: func(_ context.Context, args []string) error {
			if len(args) == 0 {
				return &exitError{exitTrouble, errors.New("validate needs at least one FILE")}
			}
			return validateFiles(stdout, args)
		},
	}
}

func validateFiles(w io.Writer, files []string) error {
	code := exitOK
	for _, path := range files {
		n, err := validateFile(path)
		var invalid *mapping.InvalidError
		switch {
		case errors.As(err, &invalid):
			fmt.Fprintf(w, "%s: %d problem(s)\n", path, len(invalid.Problems))
			for _, p := range invalid.Problems {
				fmt.Fprintf(w, "  %s\n", p)
			}
			code = max(code, exitFailed)
		case err != nil:
			fmt.Fprintf(w, "%s: %v\n", path, err)
			code = exitTrouble
		default:
			fmt.Fprintf(w, "%s: ok, %d case(s)\n", path, n)
		}
	}
	return &exitError{code, nil}
}

func validateFile(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	_, n, err := mapping.Decode(f, nil)
	return n, err
}

func migrateCommand(stderr io.Writer) *ffcli.Command {
	var o options
	fs := flag.NewFlagSet("cacsd migrate", flag.ContinueOnError)
	o.databaseFlags(fs)
	return &ffcli.Command{
		Name:       "migrate",
		ShortUsage: "cacsd migrate [--database-url URL]",
		ShortHelp:  "Apply the database migrations and exit.",
		FlagSet:    fs,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return &exitError{exitTrouble, fmt.Errorf("migrate takes no arguments, got %q", args)}
			}
			store, err := o.openStore(ctx, true)
			if err != nil {
				return &exitError{exitTrouble, err}
			}
			fmt.Fprintln(stderr, "cacsd: database is up to date")
			return store.Close()
		},
	}
}
