package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
)

func newBaselineCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "baseline",
		Short: "Work with baseline files",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "validate FILE...",
		Short: "Check baseline files against the schema and the rules",
		Long: `Validate reports every problem in each baseline with its file, line and
field, and exits 1 when any file is invalid.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			failed := false
			for _, path := range args {
				b, err := baseline.LoadFile(path)
				if err != nil {
					fmt.Fprintln(e.stderr, err)
					failed = true
					continue
				}
				fmt.Fprintf(e.stdout, "%s: valid (%s): %d clusters, %d access entries, %d roles\n",
					path, b.VersionID, len(b.Clusters), countEntries(b), len(b.IAMRoles))
			}
			if failed {
				return &exitError{ExitError}
			}
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "schema",
		Short: "Print the baseline's JSON Schema",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := e.stdout.Write(baseline.Schema)
			return err
		},
	})
	cmd.AddCommand(newCaptureCmd(e))
	return cmd
}

func countEntries(b *drift.Baseline) int {
	n := 0
	for _, c := range b.Clusters {
		n += len(c.AccessEntries)
	}
	return n
}
