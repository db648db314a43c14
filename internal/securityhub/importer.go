// Package securityhub imports findings into AWS Security Hub: the adapter
// of the Security Hub forwarder (functions/securityhub). It only calls
// BatchImportFindings, with findings internal/asff has already converted;
// updating a finding is importing it again under the same Id, as a finding
// provider does (BatchUpdateFindings is for people, and eksdrift never
// calls it).
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
