// Command cacsd imports the consumer complaints that the Citizens Advice
// Consumer Service sends as XML exports into a Trading Standards case
// database. See the README for how to run it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/peterbourgon/ff/v3"
	"github.com/peterbourgon/ff/v3/ffcli"
)

// Exit codes of every subcommand.
const (
	exitOK      = 0 // everything done
	exitFailed  = 1 // some file was bad
	exitTrouble = 2 // usage, configuration or infrastructure error
)

// envPrefix prefixes the environment variable of every flag.
const envPrefix = "CACSD"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// exitError carries the exit code a subcommand chose.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signalContext()
	defer stop()

	root := &ffcli.Command{
		Name:       "cacsd",
		ShortUsage: "cacsd <subcommand> [flags]",
		ShortHelp:  "Import CACS case exports into PostgreSQL as Trading Standards service requests.",
		FlagSet:    flag.NewFlagSet("cacsd", flag.ContinueOnError),
		Subcommands: []*ffcli.Command{
			runCommand(stdout, stderr),
			importCommand(stdout, stderr),
			validateCommand(stdout),
			migrateCommand(stderr),
			statusCommand(stdout),
			retryCommand(stdout),
			closeCommand(stdout),
			evidenceCommand(stdout, stderr),
			retainCommand(stdout),
		},
		Exec: func(_ context.Context, args []string) error {
			if len(args) > 0 {
				return &exitError{exitTrouble, fmt.Errorf("unknown subcommand %q; see cacsd --help", args[0])}
			}
			return flag.ErrHelp
		},
	}
	for _, c := range root.Subcommands {
		c.FlagSet.SetOutput(stderr)
		c.Options = []ff.Option{ff.WithEnvVarPrefix(envPrefix)}
		nameEnvVars(c.FlagSet)
		c.UsageFunc = ffcli.DefaultUsageFunc
	}
	root.FlagSet.SetOutput(stderr)

	err := root.ParseAndRun(ctx, args)
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		// The usage has been printed; asking for it is not an error.
		if len(args) == 0 {
			return exitTrouble
		}
		return exitOK
	case errors.As(err, &ee):
		if ee.err != nil {
			fmt.Fprintln(stderr, "cacsd:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "cacsd:", err)
	return exitTrouble
}

// signalContext is cancelled by the first SIGINT or SIGTERM. A second one
// ends the process at once: imports are transactions, so nothing is lost.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel()
		<-sigs
		os.Exit(exitTrouble)
	}()
	return ctx, func() {
		signal.Stop(sigs)
		cancel()
	}
}

// nameEnvVars adds to each flag's help the environment variable that also
// sets it, the way ff derives it.
func nameEnvVars(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		if strings.Contains(f.Usage, "(env ") {
			return
		}
		f.Usage = fmt.Sprintf("%s (env %s)", f.Usage, envName(f.Name))
	})
}

func envName(flagName string) string {
	r := strings.NewReplacer("-", "_", ".", "_")
	return envPrefix + "_" + strings.ToUpper(r.Replace(flagName))
}
