package replay

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"

	"github.com/eksdrift/eksdrift/internal/cloudtrail"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/k8saudit"
)

// sniffSize is how much of an input is read to tell a Kubernetes audit log
// from CloudTrail's: an audit event names its apiVersion among its first
// keys.
const sniffSize = 64 << 10

// input is an opened source, read as CloudTrail's or as an audit log.
type input struct {
	trail *cloudtrail.Batch
	audit *k8saudit.Batch
}

// readInput opens the source and decodes it with the decoder its content
// asks for: a Kubernetes audit log (a CloudWatch Logs subscription payload,
// one audit event per line, CloudWatch Logs' export to S3), gzipped or not,
// or else CloudTrail input.
func (s Source) readInput(r io.Reader) (input, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	head, _ := br.Peek(sniffSize)
	var plain io.Reader = br
	if len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return input{}, fmt.Errorf("gzip: %w", err)
		}
		zb := bufio.NewReaderSize(zr, sniffSize)
		head, _ = zb.Peek(sniffSize)
		plain = zb
	}
	if !k8saudit.Sniff(head) {
		b, err := s.Decoder.Read(io.NopCloser(plain))
		return input{trail: b}, err
	}
	data, err := io.ReadAll(io.LimitReader(plain, k8saudit.MaxInput+1))
	if err != nil {
		return input{}, err
	}
	if len(data) > k8saudit.MaxInput {
		return input{}, fmt.Errorf("audit log over %d bytes", k8saudit.MaxInput)
	}
	b, err := k8saudit.Decode(data)
	return input{audit: b}, err
}

// placeAudit gives an audit log's changes their cluster, account and region:
// the cluster from the payload's log group or, for a file of bare events,
// from AuditCluster; the account from the payload's owner or the baseline;
// the region from the baseline's cluster of that name (and account). A
// cluster the baseline does not declare is left for the rules to call out
// of scope.
func placeAudit(b *k8saudit.Batch, ix *drift.Index, cluster string) error {
	w := b.Where
	if w.Cluster == "" {
		w.Cluster = cluster
	}
	if w.Cluster == "" && len(b.Changes) > 0 {
		return fmt.Errorf("audit events name no cluster: give it with --audit-cluster")
	}
	var found []drift.ClusterBaseline
	for _, c := range ix.Baseline.Clusters {
		if c.Name == w.Cluster && (w.Account == "" || c.Account == w.Account) {
			found = append(found, c)
		}
	}
	switch len(found) {
	case 0:
	case 1:
		w.Account, w.Region = found[0].Account, found[0].Region
	default:
		return fmt.Errorf("audit events of cluster %s: the baseline declares %d clusters of that name in account %q; the input does not say which", w.Cluster, len(found), w.Account)
	}
	b.At(w)
	return nil
}

// judgeAudit judges an audit log's changes into r.
func judgeAudit(r *Result, b *k8saudit.Batch, ev *drift.Evaluator, cluster string) {
	r.Records = b.Events
	for k, n := range b.Ignored {
		r.Ignored[k] += n
	}
	for _, err := range b.Errors {
		r.Errors = append(r.Errors, fmt.Errorf("%s: %w", r.Path, err))
	}
	if err := placeAudit(b, ev.Index(), cluster); err != nil {
		r.Errors = append(r.Errors, fmt.Errorf("%s: %w", r.Path, err))
		return
	}
	for _, c := range b.Changes {
		r.Findings = append(r.Findings, ev.Evaluate(c))
	}
}
