package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/cloudtrail"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/replay"
	"github.com/eksdrift/eksdrift/internal/sqlite"
)

func newReplayCmd(e *env) *cobra.Command {
	var (
		baselinePath string
		deployment   string
		all          bool
		output       string
		historyPath  string
		workers      int
		auditCluster string
		maxFileSize  = sizeFlag(cloudtrail.DefaultMaxDecompressed)
	)
	cmd := &cobra.Command{
		Use:   "replay --baseline FILE [flags] PATH...",
		Short: "Judge recorded CloudTrail events against a baseline",
		Long: `Replay reads EventBridge events, bare CloudTrail records and CloudTrail log
files ({"Records": [...]}, plain or .json.gz) from each PATH (a file, or a
directory searched for *.json and *.json.gz), and Kubernetes audit logs of
the aws-auth ConfigMap (a CloudWatch Logs subscription payload, one audit
event per line, or CloudWatch Logs' export to S3; the last two name no
cluster: give it with --audit-cluster), judges every access change
against the baseline, prints one finding per line on stdout and a summary on
stderr, and records the findings in the history (idempotent by event).

A file that cannot be read, or holds more than --max-file-size of JSON once
decompressed, is reported with its name and position (or the limit) and
skipped; a record that cannot be read is reported with its file, place and
eventID, and the file's other records are judged. The others are still
judged, and the exit code is 1.`,
		Example: `  eksdrift replay --baseline events/baseline.yaml --deployment events/deployment.outputs events/
  eksdrift replay --baseline baseline.yaml --output json --all trail-logs/ > findings.jsonl`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if baselinePath == "" {
				return usageError{fmt.Errorf("replay: --baseline is required")}
			}
			if _, ok := findingFormats[output]; !ok && output != "table" && output != "json" {
				return usageError{fmt.Errorf("replay: --output must be table or json, or a finding format: asff or ocsf; got %q", output)}
			}
			dec := cloudtrail.Decoder{MaxDecompressed: int64(maxFileSize)}
			return e.replay(cmd.Context(), baselinePath, deployment, historyPath, output, all, workers, replay.Source{Decoder: dec, AuditCluster: auditCluster}, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&baselinePath, "baseline", "", "baseline file (YAML or JSON)")
	f.StringVar(&deployment, "deployment", "", deploymentUsage)
	f.BoolVar(&all, "all", false, "also print compliant changes")
	f.StringVarP(&output, "output", "o", "table", "table, json, asff (Security Hub) or ocsf (Detection Finding), one JSON object a line")
	f.StringVar(&historyPath, "history", "", "history database (default $XDG_STATE_HOME/eksdrift/history.db)")
	f.IntVar(&workers, "workers", 0, "files decoded in parallel (default: one per CPU)")
	f.Var(&maxFileSize, "max-file-size", maxFileSizeUsage)
	f.StringVar(&auditCluster, "audit-cluster", "", "the baseline cluster whose audit events a file holds, when the file does not name it")
	return cmd
}

func (e *env) historyPath(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	return sqlite.DefaultPath(e.getenv)
}

func (e *env) replay(ctx context.Context, baselinePath, deploymentPath, historyFlag, output string, all bool, workers int, like replay.Source, paths []string) error {
	ix, err := baseline.Load(baselinePath)
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return &exitError{ExitError}
	}
	ev := drift.NewEvaluator(ix)
	if deploymentPath != "" {
		dep, err := loadDeployment(deploymentPath)
		if err != nil {
			fmt.Fprintln(e.stderr, err)
			return &exitError{ExitError}
		}
		ev = ev.WithDeployment(dep)
	}
	files, err := replay.Files(paths)
	if err != nil {
		return err
	}
	hp, err := e.historyPath(historyFlag)
	if err != nil {
		return err
	}
	store, err := sqlite.Open(ctx, hp)
	if err != nil {
		return err
	}
	defer store.Close()

	sk := newSink(e.stdout, e.stderr, output, all, store)
	sources := replay.FileSources(files)
	for i := range sources {
		// Every file is read within the same limits, and a file of bare
		// audit events is of the cluster the flag names.
		sources[i].Decoder, sources[i].AuditCluster = like.Decoder, like.AuditCluster
	}
	err = replay.RunSources(ctx, sources, ev, workers, func(r replay.Result) error { return sk.add(ctx, r) })
	if err := sk.close(ctx, err); err != nil {
		return err
	}
	writeSummary(e.stderr, &sk.sum, sk.inserted, hp, ix.Baseline)
	if sk.sum.Errors > 0 {
		return &exitError{ExitError}
	}
	return nil
}

func writeSummary(w io.Writer, s *replay.Summary, inserted int, historyPath string, b *drift.Baseline) {
	fmt.Fprintf(w, "\nbaseline %s (%s)\n", b.Source, b.VersionID)
	fmt.Fprintf(w, "files %d, events read %d, access changes %d\n", s.Files, s.Records, s.Changes)
	var ignored []string
	keys := make([]string, 0, len(s.Ignored))
	for k := range s.Ignored {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	total := 0
	for _, k := range keys {
		ignored = append(ignored, fmt.Sprintf("%d %s", s.Ignored[k], k))
		total += s.Ignored[k]
	}
	if total > 0 {
		fmt.Fprintf(w, "ignored %d: %s\n", total, strings.Join(ignored, ", "))
	}
	fmt.Fprintf(w, "compliant %d\n", s.Compliant)
	var sev []string
	for _, v := range drift.Severities {
		if n := s.Drift[v]; n > 0 {
			sev = append(sev, fmt.Sprintf("%d %s", n, v))
		}
	}
	fmt.Fprintf(w, "drift %d", s.DriftTotal())
	if len(sev) > 0 {
		fmt.Fprintf(w, ": %s", strings.Join(sev, ", "))
	}
	fmt.Fprintln(w)
	var dec []string
	for _, d := range []drift.Decision{drift.DecisionRevert, drift.DecisionDryRun, drift.DecisionAlert, drift.DecisionBreakGlass} {
		if n := s.Decisions[d]; n > 0 {
			dec = append(dec, fmt.Sprintf("%d %s", n, d))
		}
	}
	if len(dec) > 0 {
		fmt.Fprintf(w, "decisions: %s\n", strings.Join(dec, ", "))
	}
	fmt.Fprintf(w, "history %s: %d new findings recorded\n", historyPath, inserted)
	if s.Errors > 0 {
		fmt.Fprintf(w, "errors %d (see above)\n", s.Errors)
	}
}
