package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/peterbourgon/ff/v3/ffcli"

	"cacsd/daemon"
)

func statusCommand(stdout io.Writer) *ffcli.Command {
	var o options
	var asJSON bool
	var limit int
	fs := flag.NewFlagSet("cacsd status", flag.ContinueOnError)
	o.folderFlags(fs)
	o.includeFlag(fs)
	o.databaseFlags(fs)
	fs.BoolVar(&asJSON, "json", false, "print JSON for scripts instead of text")
	fs.IntVar(&limit, "limit", 20, "how many recent imports to show")
	return &ffcli.Command{
		Name:       "status",
		ShortUsage: "cacsd status [--json] [--limit N] --root DIR",
		ShortHelp:  "Show the last imports, the inbox backlog and the failed files waiting.",
		FlagSet:    fs,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return &exitError{exitTrouble, fmt.Errorf("status takes no arguments, got %q", args)}
			}
			if limit < 1 {
				return &exitError{exitTrouble, errors.New("--limit must be at least 1")}
			}
			return o.showStatus(ctx, stdout, asJSON, limit)
		},
	}
}

func (o *options) showStatus(ctx context.Context, w io.Writer, asJSON bool, limit int) error {
	cfg, err := o.config()
	if err != nil {
		return &exitError{exitTrouble, err}
	}
	store, err := o.openStore(ctx, false)
	if err != nil {
		return &exitError{exitTrouble, err}
	}
	defer store.Close()
	if err := store.CheckSchema(ctx); err != nil {
		return &exitError{exitTrouble, fmt.Errorf("%w (run cacsd migrate)", err)}
	}

	st, err := daemon.ReadStatus(ctx, cfg, store, limit)
	if err != nil {
		return &exitError{exitTrouble, err}
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	return printStatus(w, st)
}

// printStatus writes the status for a person at a terminal.
func printStatus(w io.Writer, st daemon.Status) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Last %d imports:\n", len(st.Imports))
	if len(st.Imports) > 0 {
		fmt.Fprintln(tw, "  TIME\tOUTCOME\tFILE\tCASES\tCREATED\tUPDATED\tUNCHANGED")
	}
	for _, r := range st.Imports {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d\t%d\t%d\n", r.At.Local().Format(time.DateTime),
			r.Status, shownName(r.File), r.Cases, r.Created, r.Updated, r.Unchanged)
	}

	b := st.Backlog
	fmt.Fprintf(tw, "\nInbox: %d file(s) waiting, %d bytes", b.Files, b.Bytes)
	if b.Files > 0 {
		fmt.Fprintf(tw, "; oldest %s, waiting %s", shownName(b.OldestFile), b.OldestAge.Round(time.Second))
	}
	fmt.Fprintln(tw)

	fmt.Fprintf(tw, "\nFailed: %d file(s) waiting for a fix and `cacsd retry`\n", len(st.Failed))
	if len(st.Failed) > 0 {
		fmt.Fprintln(tw, "  FAILED AT\tFILE\tFIRST REASON")
	}
	for _, f := range st.Failed {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", f.FailedAt.Local().Format(time.DateTime),
			shownName(f.File), shownName(f.Reason))
	}
	return tw.Flush()
}

// shownName keeps a file name (or a reason quoting one) to one line of the
// table and honest: one with control characters (a newline), format
// characters (a right-to-left override) or bytes that are not UTF-8 is
// shown quoted, Go style.
func shownName(s string) string {
	hidden := func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }
	if !utf8.ValidString(s) || strings.ContainsFunc(s, hidden) {
		return strconv.Quote(s)
	}
	return s
}

func retryCommand(stdout io.Writer) *ffcli.Command {
	var o options
	var all bool
	fs := flag.NewFlagSet("cacsd retry", flag.ContinueOnError)
	o.folderFlags(fs)
	o.databaseFlags(fs)
	fs.BoolVar(&all, "all", false, "retry every file in failed/")
	fs.BoolVar(&o.noMigrate, "no-migrate", false, "do not apply database migrations first")
	return &ffcli.Command{
		Name:       "retry",
		ShortUsage: "cacsd retry --root DIR (--all | FILE...)",
		ShortHelp:  "Move failed files back into the inbox to be checked again, recording it.",
		LongHelp: "FILE is a name in failed/ or a path to one. Each file's report " +
			"(NAME.error.json) is removed; the database keeps it in file_retry.",
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if all == (len(args) > 0) {
				return &exitError{exitTrouble, errors.New("retry needs FILE... or --all, not both")}
			}
			return o.retryFiles(ctx, stdout, args, all)
		},
	}
}

func (o *options) retryFiles(ctx context.Context, w io.Writer, files []string, all bool) error {
	cfg, err := o.config()
	if err != nil {
		return &exitError{exitTrouble, err}
	}
	store, err := o.openStore(ctx, !o.noMigrate)
	if err != nil {
		return &exitError{exitTrouble, err}
	}
	defer store.Close()

	if all {
		done, err := daemon.RetryAll(ctx, cfg, store)
		for _, name := range done {
			fmt.Fprintf(w, "retried %s\n", name)
		}
		if err != nil {
			return &exitError{exitTrouble, err}
		}
		fmt.Fprintf(w, "%d file(s) back in the inbox\n", len(done))
		return nil
	}
	code := exitOK
	for _, name := range files {
		if err := daemon.Retry(ctx, cfg, store, name); err != nil {
			fmt.Fprintf(w, "cannot retry %s: %v\n", name, err)
			code = exitTrouble
			continue
		}
		fmt.Fprintf(w, "retried %s\n", name)
	}
	return &exitError{code, nil}
}
