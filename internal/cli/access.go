package cli

import (
	"bufio"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// accessLong is the help of eksdrift access.
const accessLong = `Access answers an auditor's questions from the history and the baseline's
versions:

  --cluster NAME --at TIME   who could reach the cluster at that moment, with
                             which access policies and scopes: what the
                             baseline in force then declared, and drift that
                             had appeared and not yet been undone, each row
                             marked baseline or drift (with the event and the
                             actor that introduced it)
  --principal ARN            the timeline of one principal's access across
                             clusters, from --since to --until
  --exposure                 for each drift that granted access from --since
                             to --until, how long it lasted (until reverted,
                             or still open), and per cluster the count, the
                             median and the worst

A drift that granted access is open from its event until eksdrift reverted
it, the detector found it already undone, a later compliant change (deleting
the undeclared entry, say) or a baseline version declaring it put the
resource back in line.

--baseline is the baseline file a replay judged against (one version,
in force throughout), or s3://bucket/key, the deployed baseline, whose
object versions say which version was in force when.`

type accessOptions struct {
	cluster, principal string
	accounts           accountsFlag
	naming             namesFlags
	names              drift.AccountAliases // read from --aliases
	at, since, until   string
	exposure           bool
	baseline           string
	output             string
	store              storeFlags
}

func newAccessCmd(e *env) *cobra.Command {
	var o accessOptions
	cmd := &cobra.Command{
		Use:   "access (--cluster NAME --at TIME | --principal ARN | --exposure) [flags]",
		Short: "Reconstruct who could reach a cluster, when, and for how long",
		Long:  accessLong,
		Example: `  eksdrift access --cluster prod --at 2026-03-14T09:00:00Z --baseline s3://eksdrift-config/baseline.yaml --table eksdrift-history
  eksdrift access --principal arn:aws:iam::111122223333:role/contractor --since 90d
  eksdrift access --exposure --since 90d --baseline baseline.yaml
  eksdrift access --exposure --since 90d --account 111122223333,444455556666 --aliases accounts.yaml
  eksdrift access --exposure --since 90d --table eksdrift-history --org-names`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			modes := 0
			for _, on := range []bool{o.at != "", o.principal != "", o.exposure} {
				if on {
					modes++
				}
			}
			switch {
			case modes != 1:
				return usageError{fmt.Errorf("access: give one of --at (with --cluster), --principal or --exposure")}
			case o.at != "" && o.cluster == "":
				return usageError{fmt.Errorf("access: --at needs --cluster")}
			case o.output != "table" && o.output != "json":
				return usageError{fmt.Errorf("access: --output must be table or json, got %q", o.output)}
			}
			return e.access(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.cluster, "cluster", "", "the cluster (with --at: required; otherwise: only this cluster)")
	f.Var(&o.accounts, "account", "only clusters of these AWS accounts (12 digits each, comma-separated)")
	o.naming.add(f)
	f.StringVar(&o.at, "at", "", "the moment: RFC 3339 (2026-03-14T09:00:00Z), a date, or an age (2h, 30d)")
	f.StringVar(&o.principal, "principal", "", "the principal whose access to follow (IAM ARN)")
	f.BoolVar(&o.exposure, "exposure", false, "how long each drift that granted access lasted")
	f.StringVar(&o.since, "since", "", "with --principal or --exposure: from this time (same forms as --at)")
	f.StringVar(&o.until, "until", "", "with --principal or --exposure: until this time (default: now)")
	f.StringVar(&o.baseline, "baseline", "", "baseline file, or s3://bucket/key for its versions (default $EKSDRIFT_BASELINE_BUCKET/$EKSDRIFT_BASELINE_KEY)")
	f.StringVarP(&o.output, "output", "o", "table", "table or json")
	o.store.add(f)
	return cmd
}

// wantAccount reports whether --account keeps account.
func (o accessOptions) wantAccount(account string) bool {
	return len(o.accounts) == 0 || slices.Contains(o.accounts, account)
}

// access runs one of the command's three questions: who could reach a
// cluster at a moment (access_at.go), one principal's timeline
// (access_principal.go), or how long drift granted access
// (access_exposure.go).
func (e *env) access(ctx context.Context, o accessOptions) error {
	now := time.Now().UTC()
	at, err := parseTime(o.at, now)
	if err != nil {
		return usageError{fmt.Errorf("access: --at: %w", err)}
	}
	since, err := parseTime(o.since, now)
	if err != nil {
		return usageError{fmt.Errorf("access: --since: %w", err)}
	}
	until, err := parseTime(o.until, now)
	if err != nil {
		return usageError{fmt.Errorf("access: --until: %w", err)}
	}
	if until.IsZero() {
		until = now
	}
	if o.names, err = loadAliases("access", o.naming.aliases); err != nil {
		return err
	}
	h, err := e.openHistory(ctx, "access", o.store)
	if err != nil {
		return err
	}
	defer h.close()
	p := newProgress(e.stderr)
	defer p.clear()
	out := bufio.NewWriter(e.stdout)
	defer out.Flush()
	switch {
	case o.at != "":
		return e.accessAt(ctx, o, h, p, out, at)
	case o.principal != "":
		return e.accessPrincipal(ctx, o, h, p, out, since, until)
	default:
		return e.accessExposure(ctx, o, h, p, out, since, until)
	}
}
