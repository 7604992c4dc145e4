// Command cacsgen writes CACS case exports full of invented but realistic
// data, for trying cacsd on a council's own set-up and for benchmarks. The
// same seed always gives the same files.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/peterbourgon/ff/v3"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "cacsgen:", err)
		}
		os.Exit(2)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("cacsgen", flag.ContinueOnError)
	var opts options
	out := fs.String("out", ".", "folder to write the exports into (env CACSGEN_OUT)")
	fs.IntVar(&opts.files, "files", 1, "number of export files (env CACSGEN_FILES)")
	fs.IntVar(&opts.cases, "cases", 100, "cases in each file (env CACSGEN_CASES)")
	fs.Uint64Var(&opts.seed, "seed", 1, "seed; the same seed gives the same files (env CACSGEN_SEED)")
	fs.Float64Var(&opts.updates, "updates", 0.1,
		"share of cases that resend an earlier case with a higher UpdateSequence (env CACSGEN_UPDATES)")
	fs.StringVar(&opts.encoding, "encoding", "utf-8",
		"utf-8, utf-8-bom, utf-16 (with BOM) or windows-1252 (env CACSGEN_ENCODING)")
	fs.StringVar(&opts.custodian, "custodian", "2280",
		"Recipient custodian code; empty leaves Recipient out (env CACSGEN_CUSTODIAN)")
	fs.StringVar(&opts.prefix, "prefix", "GEN", "start of every case reference and file name (env CACSGEN_PREFIX)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: cacsgen [flags]\n\nWrites invented CACS exports.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := ff.Parse(fs, args, ff.WithEnvVarPrefix("CACSGEN")); err != nil {
		return err
	}
	if err := opts.validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}

	g := newGenerator(opts)
	for i := range opts.files {
		name := filepath.Join(*out, fmt.Sprintf("%s-%06d.xml", opts.prefix, i+1))
		if err := writeFile(name, g, i); err != nil {
			return err
		}
	}
	return nil
}

// writeFile writes export number i to name.
func writeFile(name string, g *generator, i int) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := g.export(f, i); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	return f.Close()
}
