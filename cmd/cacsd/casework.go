package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"

	"cacsd/daemon"
	"cacsd/repository"
)

// periodValue is a flag holding a retention period such as 6y.
type periodValue struct{ p *daemon.Period }

func (v periodValue) String() string {
	if v.p == nil {
		return ""
	}
	return v.p.String()
}

func (v periodValue) Set(s string) error {
	p, err := daemon.ParsePeriod(s)
	if err != nil {
		return err
	}
	*v.p = p
	return nil
}

// actorFlag registers --by, the person recorded in the audit trail.
func actorFlag(fs *flag.FlagSet) *string {
	def := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		def = u.Username
	}
	return fs.String("by", def, "who is doing this, for the audit trail")
}

func retainCommand(stdout io.Writer) *ffcli.Command {
	var o options
	var olderThan daemon.Period
	fs := flag.NewFlagSet("cacsd retain", flag.ContinueOnError)
	o.folderFlags(fs)
	o.databaseFlags(fs)
	fs.Var(periodValue{&olderThan}, "older-than",
		"anonymise requests closed longer ago than this, e.g. 6y (required)")
	by := actorFlag(fs)
	return &ffcli.Command{
		Name:       "retain",
		ShortUsage: "cacsd retain --older-than 6y --root DIR",
		ShortHelp:  "Anonymise requests closed before the period and remove their stored files.",
		FlagSet:    fs,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) > 0 || olderThan.IsZero() {
				return &exitError{exitTrouble, errors.New("retain needs --older-than and no arguments")}
			}
			processed := o.processed
			if processed == "" && o.root != "" {
				processed = filepath.Join(o.root, "processed")
			}
			if processed == "" {
				return &exitError{exitTrouble, errors.New("give --root or --processed")}
			}
			store, err := o.openStore(ctx, false)
			if err != nil {
				return &exitError{exitTrouble, err}
			}
			defer store.Close()

			before := olderThan.Before(time.Now())
			rep, err := daemon.Retain(ctx, store, processed, before, "user:"+*by)
			if err != nil {
				return &exitError{exitTrouble, err}
			}
			fmt.Fprintf(stdout, "closed before: %s\nrequests anonymised: %d\n"+
				"contacts wiped: %d\nevidence files removed: %d\nprocessed files removed: %d\n",
				before.UTC().Format(time.RFC3339), rep.Requests, rep.Contacts,
				rep.EvidenceFiles, rep.ProcessedFiles)
			return nil
		},
	}
}

func evidenceCommand(stdout, stderr io.Writer) *ffcli.Command {
	var o options
	fs := flag.NewFlagSet("cacsd evidence", flag.ContinueOnError)
	o.databaseFlags(fs)
	all := fs.Bool("all", false, "write every file that touched the case (needs --out)")
	out := fs.String("out", "", "folder to write the files into, with --all")
	by := actorFlag(fs)
	return &ffcli.Command{
		Name:       "evidence",
		ShortUsage: "cacsd evidence [--all --out DIR] CASE_REF",
		ShortHelp:  "Write the original file that last changed a case to standard output.",
		LongHelp: "With --all --out DIR, write every file that delivered the case into DIR, " +
			"named IMPORTID-NAME, and list them. Each file is checked against its SHA-256.",
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) != 1 || *all != (*out != "") {
				return &exitError{exitTrouble,
					errors.New("evidence takes one CASE_REF; --all and --out go together")}
			}
			store, err := o.openStore(ctx, false)
			if err != nil {
				return &exitError{exitTrouble, err}
			}
			defer store.Close()
			return writeEvidence(ctx, store, args[0], *out, "user:"+*by, stdout, stderr)
		},
	}
}

// writeEvidence writes the last file of case ref to stdout or, with out
// set, every file into out. A file whose bytes retention removed is named
// on stderr and skipped, and makes the exit status 1.
func writeEvidence(ctx context.Context, store *repository.Store, ref, out, actor string,
	stdout, stderr io.Writer) error {
	files, err := store.EvidenceFiles(ctx, ref)
	if errors.Is(err, repository.ErrNotFound) || errors.Is(err, repository.ErrAnonymised) {
		return &exitError{exitFailed, fmt.Errorf("case %s: %w", ref, err)}
	}
	if err != nil {
		return &exitError{exitTrouble, err}
	}
	if out == "" {
		files = lastFile(files)
	} else {
		// Refuse before the read is recorded, rather than half-way.
		for _, f := range files {
			path := evidencePath(out, f)
			if _, err := os.Lstat(path); err == nil {
				return &exitError{exitTrouble, fmt.Errorf("%s exists: evidence is never "+
					"written over a file; give an empty or new --out folder", path)}
			}
		}
	}
	if err := store.RecordEvidenceRead(ctx, ref, actor, files); err != nil {
		return &exitError{exitTrouble, err}
	}
	if out == "" {
		if err := copyChecked(ctx, store, files[0], stdout); err != nil {
			return &exitError{exitFailed, err}
		}
		return nil
	}

	if err := os.MkdirAll(out, 0o750); err != nil {
		return &exitError{exitTrouble, err}
	}
	code := exitOK
	for _, f := range files {
		path := evidencePath(out, f)
		if f.Removed {
			fmt.Fprintf(stderr, "%s: evidence removed by retention, skipped\n", path)
			code = exitFailed
			continue
		}
		if err := writeEvidenceFile(ctx, store, f, path); err != nil {
			return &exitError{exitFailed, err}
		}
		fmt.Fprintf(stdout, "%s %s %d %s\n", path, f.SHA256, f.Size, f.Action)
	}
	return &exitError{code, nil}
}

// evidencePath is where --all writes file f in folder out.
func evidencePath(out string, f repository.EvidenceFile) string {
	return filepath.Join(out, fmt.Sprintf("%d-%s", f.ImportFileID, safeName(f.Name)))
}

// copyChecked writes file f to w only once its bytes have been checked
// against its SHA-256, so that w never gets bytes that are not the
// evidence. The bytes wait in a private temporary file meanwhile.
func copyChecked(ctx context.Context, store *repository.Store, f repository.EvidenceFile,
	w io.Writer) error {
	tmp, err := os.CreateTemp("", "cacsd-evidence-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := store.CopyEvidence(ctx, f, tmp); err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err = io.Copy(w, tmp)
	return err
}

func lastFile(files []repository.EvidenceFile) []repository.EvidenceFile {
	for _, f := range files {
		if f.Last {
			return []repository.EvidenceFile{f}
		}
	}
	return files[len(files)-1:]
}

// writeEvidenceFile writes one file, never over an existing one, and
// gives it its name only once its bytes have been checked.
func writeEvidenceFile(ctx context.Context, store *repository.Store,
	f repository.EvidenceFile, path string) error {
	w, err := os.CreateTemp(filepath.Dir(path), ".evidence-*")
	if err != nil {
		return err
	}
	defer os.Remove(w.Name())
	if err := store.CopyEvidence(ctx, f, w); err != nil {
		w.Close()
		return err
	}
	if err := w.Chmod(0o640); err != nil {
		w.Close()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	// A hard link fails rather than replace a file already at path.
	return os.Link(w.Name(), path)
}

// safeName keeps a stored file name to one path element.
func safeName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	if name == "." || name == "/" || name == ".." {
		return "file"
	}
	return name
}

func closeCommand(stdout io.Writer) *ffcli.Command {
	var o options
	fs := flag.NewFlagSet("cacsd close", flag.ContinueOnError)
	o.databaseFlags(fs)
	reopen := fs.Bool("reopen", false, "reopen the requests instead")
	by := actorFlag(fs)
	return &ffcli.Command{
		Name:       "close",
		ShortUsage: "cacsd close [--reopen] [--by NAME] CASE_REF...",
		ShortHelp:  "Close (or reopen) requests; retention counts from when they closed.",
		FlagSet:    fs,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) == 0 {
				return &exitError{exitTrouble, errors.New("close needs at least one CASE_REF")}
			}
			store, err := o.openStore(ctx, false)
			if err != nil {
				return &exitError{exitTrouble, err}
			}
			defer store.Close()
			status := repository.StatusClosed
			if *reopen {
				status = repository.StatusOpen
			}
			return setStatus(ctx, store, args, status, "user:"+*by, stdout)
		},
	}
}

func setStatus(ctx context.Context, store *repository.Store, refs []string,
	status, actor string, stdout io.Writer) error {
	code := exitOK
	for _, ref := range refs {
		changed, err := store.SetStatus(ctx, ref, status, actor)
		switch {
		case errors.Is(err, repository.ErrNotFound):
			fmt.Fprintf(stdout, "%s: no such case\n", ref)
			code = max(code, exitFailed)
		case err != nil:
			return &exitError{exitTrouble, err}
		case changed:
			fmt.Fprintf(stdout, "%s: %s\n", ref, status)
		default:
			fmt.Fprintf(stdout, "%s: already %s\n", ref, status)
		}
	}
	return &exitError{code, nil}
}
