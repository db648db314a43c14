package revert

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/detect"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/eks"
	"github.com/eksdrift/eksdrift/internal/iam"
	"github.com/eksdrift/eksdrift/internal/metrics"
)

// TestPropertyDriftIsAlwaysUndone plays random sequences of drift against
// the detector and the reverter together, on MiniStack: entries created and
// deleted, policies associated with random scopes and disassociated, role
// policies attached and detached, with redelivered events and findings
// mixed in. Every change, the reverter's own included, reaches the
// detector as a CloudTrail record. After each step:
//   - every resource in revert mode is as the baseline says;
//   - no revert ever left a cluster with no cluster-admin;
//   - no change made by the reverter was judged as drift to revert.
//
// make test runs a few fixed seeds; make fuzz runs more, longer:
// EKSDRIFT_PROPERTY_SEEDS=20 EKSDRIFT_PROPERTY_STEPS=60.
func TestPropertyDriftIsAlwaysUndone(t *testing.T) {
	seeds, steps := envInt("EKSDRIFT_PROPERTY_SEEDS", 3), envInt("EKSDRIFT_PROPERTY_STEPS", 15)
	for seed := 1; seed <= seeds; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			p := newPlay(t, int64(seed))
			for i := 0; i < steps; i++ {
				p.step(i)
				if got, want := p.e.entries(), baselineEntries(true); got != want {
					t.Fatalf("step %d (%s): the cluster is not back to the baseline:\n%s\nwant\n%s", i, p.last, got, want)
				}
				if err := p.e.attached("arn:aws:iam::aws:policy/ReadOnlyAccess"); err != nil {
					t.Fatalf("step %d (%s): role: %v", i, p.last, err)
				}
			}
			t.Logf("%d steps, %d reverts", steps, p.reverts)
			if p.reverts == 0 {
				t.Error("no revert happened: the sequence tested nothing")
			}
		})
	}
}

type play struct {
	t        *testing.T
	e        *env
	rnd      *rand.Rand
	det      *detect.Detector
	findings []drift.Finding // published by the detector
	last     string
	reverts  int
	n        int
}

// publisherFunc collects what the detector publishes.
type publisherFunc func(drift.Finding)

func (f publisherFunc) Publish(_ context.Context, x drift.Finding) error { f(x); return nil }

// echo wraps a writer: every call the reverter makes comes back to the
// detector as the reverter's own CloudTrail record, and no call may take
// away a cluster's last cluster-admin.
type echo struct {
	p    *play
	next Applier
}

func (w echo) Apply(ctx context.Context, op drift.Operation) error {
	before, _ := w.p.e.writer.ClusterAdmins(ctx, region, w.p.e.cluster)
	if err := w.next.Apply(ctx, op); err != nil {
		return err
	}
	if op.IsEKS() {
		after, _ := w.p.e.writer.ClusterAdmins(ctx, region, w.p.e.cluster)
		if len(before) > 0 && len(after) == 0 {
			w.p.t.Errorf("%s removed the last cluster-admin", op)
		}
	}
	n := len(w.p.findings)
	w.p.event(selfRole, op)
	for _, f := range w.p.findings[n:] {
		if f.Decision == drift.DecisionRevert || f.Decision == drift.DecisionDryRun {
			w.p.t.Errorf("the reverter's own %s was judged %s: %s", op, f.Decision, f.Reason)
		}
	}
	w.p.findings = w.p.findings[:n] // they are not for the reverter
	return nil
}

func newPlay(t *testing.T, seed int64) *play {
	e := newEnv(t, options{})
	p := &play{t: t, e: e, rnd: rand.New(rand.NewSource(seed))}
	cfg := awstest.Config(t)
	p.det = &detect.Detector{
		Baseline:    func(context.Context) (*drift.Index, error) { return e.ix, nil },
		EKS:         eks.NewReader(cfg),
		IAM:         iam.NewReader(cfg),
		History:     e.history,
		Publisher:   publisherFunc(func(f drift.Finding) { p.findings = append(p.findings, f) }),
		Metrics:     &metrics.Set{},
		Log:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		Remediators: []string{selfRole},
	}
	e.rev.EKSWriter = echo{p: p, next: e.rev.EKSWriter}
	e.rev.IAMWriter = echo{p: p, next: e.rev.IAMWriter}
	return p
}

var principals = []string{admin, developer, intruder + "-1", intruder + "-2"}

// step makes one random drift with the SDK, reports it to the detector,
// and runs the reverter on what the detector published for revert.
func (p *play) step(i int) {
	ctx := context.Background()
	e, r := p.e, p.rnd
	cluster := aws.String(e.cluster)
	principal := principals[r.Intn(len(principals))]
	var op drift.Operation
	var err error
	switch r.Intn(6) {
	case 0:
		groups := [][]string{nil, {"dev"}, {"ops", "dev"}}[r.Intn(3)]
		_, err = e.eksc.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: cluster, PrincipalArn: aws.String(principal), KubernetesGroups: groups})
		op = drift.Operation{Action: drift.ActCreateAccessEntry, Resource: &drift.AccessEntry{PrincipalARN: principal, Type: "STANDARD", KubernetesGroups: append([]string{}, groups...)}}
	case 1:
		_, err = e.eksc.DeleteAccessEntry(ctx, &awseks.DeleteAccessEntryInput{ClusterName: cluster, PrincipalArn: aws.String(principal)})
		op = drift.Operation{Action: drift.ActDeleteAccessEntry, Resource: &drift.AccessEntry{PrincipalARN: principal}}
	case 2:
		policy := []string{clusterAdmin, edit, drift.PolicyView}[r.Intn(3)]
		scope := drift.AccessScope{Type: "cluster"}
		if r.Intn(2) == 0 {
			scope = drift.AccessScope{Type: "namespace", Namespaces: [][]string{{"app"}, {"app", "jobs"}, {"kube-system"}}[r.Intn(3)]}
		}
		_, err = e.eksc.AssociateAccessPolicy(ctx, &awseks.AssociateAccessPolicyInput{ClusterName: cluster, PrincipalArn: aws.String(principal), PolicyArn: aws.String(policy),
			AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeType(scope.Type), Namespaces: scope.Namespaces}})
		op = drift.Operation{Action: drift.ActAssociateAccessPolicy, Resource: &drift.AccessPolicy{PrincipalARN: principal, PolicyARN: policy, Scope: scope}}
	case 3:
		policy := []string{clusterAdmin, edit}[r.Intn(2)]
		_, err = e.eksc.DisassociateAccessPolicy(ctx, &awseks.DisassociateAccessPolicyInput{ClusterName: cluster, PrincipalArn: aws.String(principal), PolicyArn: aws.String(policy)})
		op = drift.Operation{Action: drift.ActDisassociateAccessPolicy, Resource: &drift.AccessPolicy{PrincipalARN: principal, PolicyARN: policy}}
	case 4:
		policy := []string{"arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/PowerUserAccess"}[r.Intn(2)]
		_, err = e.iamc.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String(e.role), PolicyArn: aws.String(policy)})
		op = drift.Operation{Action: drift.ActAttachRolePolicy, Resource: &drift.ManagedPolicy{RoleName: e.role, PolicyARN: policy}}
	case 5:
		_, err = e.iamc.DetachRolePolicy(ctx, &awsiam.DetachRolePolicyInput{RoleName: aws.String(e.role), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
		op = drift.Operation{Action: drift.ActDetachRolePolicy, Resource: &drift.ManagedPolicy{RoleName: e.role, PolicyARN: "arn:aws:iam::aws:policy/ReadOnlyAccess"}}
	}
	p.last = op.String()
	if err != nil && !op.Grants() && (strings.Contains(err.Error(), "NoSuchEntity") || strings.Contains(err.Error(), "ResourceNotFoundException")) {
		// A removal whose answer the emulator lost, retried by the SDK:
		// the first try went through, and CloudTrail records that one. If
		// the thing was truly absent, the event is harmless: plans are made
		// from the live state.
		p.last += " (retried after a lost answer: " + firstLine(err.Error()) + ")"
		err = nil
	}
	if err != nil {
		p.last += " (refused by the API: " + firstLine(err.Error()) + ")"
		return // the API refused it (no such entry, already there): no drift, no event
	}
	p.findings = p.findings[:0]
	record := p.event(person, op)
	if r.Intn(3) == 0 {
		p.deliver(record) // EventBridge delivers at least once
	}
	pending := append([]drift.Finding{}, p.findings...)
	for _, f := range pending {
		if f.Decision != drift.DecisionRevert {
			continue
		}
		must(p.t, e.rev.Handle(ctx, f))
		if r.Intn(3) == 0 {
			must(p.t, e.rev.Handle(ctx, f)) // and SQS too
		}
		p.reverts++
	}
}

// event reports an operation to the detector as a CloudTrail record made
// by actor, and returns the record.
func (p *play) event(actor string, op drift.Operation) []byte {
	p.n++
	rec := map[string]any{
		"eventVersion":       "1.09",
		"eventID":            fmt.Sprintf("prop-%d-%d", time.Now().UnixNano(), p.n),
		"eventTime":          time.Now().UTC().Format(time.RFC3339),
		"eventName":          strings.SplitN(op.Action, ":", 2)[1],
		"readOnly":           false,
		"recipientAccountId": account,
		"userIdentity": map[string]any{"type": "AssumedRole", "accountId": account,
			"arn":            "arn:aws:sts::111122223333:assumed-role/" + short(actor) + "/session",
			"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "arn": actor}}},
	}
	req := map[string]any{}
	switch res := op.Resource.(type) {
	case *drift.AccessEntry:
		rec["eventSource"], rec["awsRegion"] = "eks.amazonaws.com", region
		req["name"] = p.e.cluster
		if op.Action == drift.ActCreateAccessEntry {
			req["principalArn"], req["kubernetesGroups"], req["type"] = res.PrincipalARN, res.KubernetesGroups, "STANDARD"
		} else {
			req["principalArn"] = url.PathEscape(res.PrincipalARN)
			if op.Action == drift.ActUpdateAccessEntry {
				req["kubernetesGroups"] = res.KubernetesGroups
			}
		}
	case *drift.AccessPolicy:
		rec["eventSource"], rec["awsRegion"] = "eks.amazonaws.com", region
		req["name"], req["principalArn"] = p.e.cluster, url.PathEscape(res.PrincipalARN)
		if op.Action == drift.ActAssociateAccessPolicy {
			req["policyArn"], req["accessScope"] = res.PolicyARN, res.Scope
		} else {
			req["policyArn"] = url.PathEscape(res.PolicyARN)
		}
	case *drift.ManagedPolicy:
		rec["eventSource"], rec["awsRegion"] = "iam.amazonaws.com", "us-east-1"
		req["roleName"], req["policyArn"] = res.RoleName, res.PolicyARN
	default:
		p.t.Fatalf("no record for %s", op)
	}
	rec["requestParameters"] = req
	b, err := json.Marshal(rec)
	must(p.t, err)
	p.deliver(b)
	return b
}

func (p *play) deliver(record []byte) {
	if err := p.det.Handle(context.Background(), record); err != nil {
		p.t.Fatalf("detector: %v", err)
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
