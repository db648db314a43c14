// Package securityhub is eksdrift's adapter for AWS Security Hub: it
// converts findings and the outcomes of their reverts into the AWS Security
// Finding Format (asff.go), for the Security Hub forwarder
// (functions/securityhub) and `eksdrift history|replay --output asff`, and
// imports them with BatchImportFindings (importer.go). It builds the SDK's
// own types (service/securityhub/types), so that the compiler checks the
// shape, and its wording and console links are internal/notice's.
//
// Every finding about one resource has the same Id, derived from its drift
// key (drift.DriftKey): a later finding, a revert or a sweep that resolves
// the drift updates the Security Hub finding instead of adding one, which
// is how a finding provider updates its findings. The fields that belong to
// people (Workflow, Note, UserDefinedFields, VerificationState, which they
// change with BatchUpdateFindings) are never set, and BatchUpdateFindings is
// never called, so an import never overwrites them.
//
// Everything a finding carries may come from whoever made the change, so
// every string is reduced to one printable line (notice.Line) and clipped
// to Security Hub's limits, and the Id, ARNs and links are built only from
// values that have the shape AWS gives them: a hostile event can neither
// make its finding unimportable nor point a link elsewhere.
package securityhub

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	sh "github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

// ImportActions are the only IAM actions the forwarder needs, granted by
// the stack on the product ARN alone.
var ImportActions = []string{"securityhub:BatchImportFindings"}

// MaxBatch is BatchImportFindings' limit of findings per request.
const MaxBatch = 100

// batchImporter is the one call of the Security Hub client this package
// makes.
type batchImporter interface {
	BatchImportFindings(ctx context.Context, in *sh.BatchImportFindingsInput, opts ...func(*sh.Options)) (*sh.BatchImportFindingsOutput, error)
}

// Importer imports findings.
type Importer struct{ client batchImporter }

// New gives an Importer over a Security Hub client.
func New(client batchImporter) *Importer { return &Importer{client: client} }

// FailedError lists the findings Security Hub refused, by Id, with its
// error code and message.
type FailedError struct{ Failed map[string]string }

func (e *FailedError) Error() string {
	ids := make([]string, 0, len(e.Failed))
	for id := range e.Failed {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var b strings.Builder
	fmt.Fprintf(&b, "securityhub: %d findings refused:", len(ids))
	for _, id := range ids {
		fmt.Fprintf(&b, " %s (%s)", id, e.Failed[id])
	}
	return b.String()
}

// Import imports findings, MaxBatch a request. A request that fails
// returns its error at once, naming how many findings were imported
// before it; findings refused one by one are returned together as a
// *FailedError after every request is made.
func (i *Importer) Import(ctx context.Context, findings []types.AwsSecurityFinding) error {
	failed := map[string]string{}
	for start := 0; start < len(findings); start += MaxBatch {
		batch := findings[start:min(start+MaxBatch, len(findings))]
		out, err := i.client.BatchImportFindings(ctx, &sh.BatchImportFindingsInput{Findings: batch})
		if err != nil {
			return fmt.Errorf("securityhub: BatchImportFindings of %d findings (after %d imported): %w", len(batch), start, err)
		}
		for _, f := range out.FailedFindings {
			failed[aws.ToString(f.Id)] = aws.ToString(f.ErrorCode) + ": " + aws.ToString(f.ErrorMessage)
		}
	}
	if len(failed) > 0 {
		return &FailedError{Failed: failed}
	}
	return nil
}
