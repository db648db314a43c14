// Package cli is the eksdrift command: replay recorded events against a
// baseline, query the drift history, validate baselines. main only wires it;
// tests call Run with their own environment and buffers.
//
// Each command has its file, named after it (replay.go, history.go,
// plan.go, backfill.go, capture.go, report.go, baselinecmd.go, and
// access.go with one file per question, access_at.go, access_principal.go,
// access_exposure.go); what several share is in a file named for it
// (filters.go, output.go, progress.go, writefile.go, historystore.go).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Version is set at build time with -ldflags "-X .../internal/cli.Version=...".
var Version = "dev"

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1 // something failed: a file, a record, a store
	ExitUsage = 2 // the command line is wrong
)

// env is what a command may read of its surroundings.
type env struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
	// describeAccount names an account beyond the --aliases file
	// (organizations:DescribeAccount); nil names from the file only.
	describeAccount accountNamer
}

// exitError carries an exit code through cobra after the command has
// already told the user what went wrong.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// usageError marks a bad command line.
type usageError struct{ error }

// Run runs the eksdrift command with args (without the program name) and
// returns the process exit code.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	e := &env{getenv: getenv, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "eksdrift",
		Short: "Detect drift in who can reach your EKS clusters",
		Long: `eksdrift compares changes to EKS access entries, access policies, pod identity
associations, authentication modes and the IAM roles behind them with a
declared baseline, and reports (or reverts) what drifted.

Locally, with no AWS account, "eksdrift replay" judges recorded CloudTrail
events against a baseline file and keeps the findings in an embedded history.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newReplayCmd(e), newHistoryCmd(e), newBaselineCmd(e), newPlanCmd(e), newBackfillCmd(e), newAccessCmd(e), newReportCmd(e), newStatusCmd(e))
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintln(stderr, "eksdrift:", err)
	var ue usageError
	if errors.As(err, &ue) || isArgsError(err) {
		return ExitUsage
	}
	return ExitError
}

func isArgsError(err error) bool {
	// cobra reports unknown commands and wrong argument counts as plain
	// errors; they are still usage mistakes.
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "unknown flag", "unknown shorthand"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
