package accept_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/eksdrift/eksdrift/internal/accept"
	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/dynamodb"
	"github.com/eksdrift/eksdrift/internal/s3"
	"github.com/eksdrift/eksdrift/internal/wiring"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

const (
	acct     = "111122223333"
	role     = "arn:aws:iam::111122223333:role/"
	admin    = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
	edit     = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
	view     = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
	key      = "baseline.yaml"
	approver = "U0APPROVER1"
)

var at = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

// world is a versioned baseline bucket holding events/baseline.yaml, a
// history table, and the accepter the deployed function builds on them.
type world struct {
	t      *testing.T
	cfg    aws.Config
	s3     *awss3.Client
	bucket string
	store  *dynamodb.Store
	acc    *accept.Accepter
	first  string // the version uploaded
}

func newWorld(t *testing.T) *world {
	t.Helper()
	cfg := awstest.Config(t)
	w := &world{t: t, cfg: cfg, s3: awss3.NewFromConfig(cfg), bucket: awstest.Name(t, "baseline")}
	if _, err := w.s3.CreateBucket(t.Context(), &awss3.CreateBucketInput{Bucket: aws.String(w.bucket)}); awstest.Created(err) != nil {
		t.Fatal(err)
	}
	if _, err := w.s3.PutBucketVersioning(t.Context(), &awss3.PutBucketVersioningInput{Bucket: aws.String(w.bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../events/baseline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w.first = w.put(string(data))
	dc := ddb.NewFromConfig(cfg)
	table := awstest.Name(t, "history")
	if err := dynamodb.CreateTable(t.Context(), dc, table); err != nil {
		t.Fatal(err)
	}
	w.store = dynamodb.New(dc, table)
	w.acc = wiring.Accepter(cfg, w.bucket, key, w.store)
	return w
}

func (w *world) put(body string) string {
	w.t.Helper()
	out, err := w.s3.PutObject(w.t.Context(), &awss3.PutObjectInput{Bucket: aws.String(w.bucket), Key: aws.String(key), Body: strings.NewReader(body)})
	if err != nil {
		w.t.Fatal(err)
	}
	return aws.ToString(out.VersionId)
}

func (w *world) current() (string, string, map[string]string) {
	w.t.Helper()
	out, err := w.s3.GetObject(w.t.Context(), &awss3.GetObjectInput{Bucket: aws.String(w.bucket), Key: aws.String(key)})
	if err != nil {
		w.t.Fatal(err)
	}
	defer out.Body.Close()
	var b strings.Builder
	buf := make([]byte, 1<<16)
	for {
		n, err := out.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return aws.ToString(out.VersionId), b.String(), out.Metadata
}

func (w *world) versions() int {
	w.t.Helper()
	vs, err := s3.Versions(w.t.Context(), w.s3, w.bucket, key)
	if err != nil {
		w.t.Fatal(err)
	}
	return len(vs)
}

func (w *world) index() *drift.Index {
	w.t.Helper()
	_, data, _ := w.current()
	ix, err := baseline.IndexAt(at, "s3://"+w.bucket+"/"+key, []byte(data))
	if err != nil {
		w.t.Fatal(err)
	}
	return ix
}

// record judges c against the baseline in force, as the detector does, with
// the live state it would read (the change's own resource, or none for a
// removal), and records the finding.
func (w *world) record(c drift.Change) drift.Finding {
	w.t.Helper()
	ev := drift.NewEvaluator(w.index())
	f := ev.Evaluate(c)
	obs := drift.Observation{Present: c.Op != drift.OpRemoved, ReadAt: c.Event.Time.Add(time.Second)}
	if obs.Present {
		obs.Resource = c.Resource
	}
	f = ev.Confirm(f, c, obs)
	if !f.Drift {
		w.t.Fatalf("the fixture's change is no drift: %s", f.Reason)
	}
	if _, err := w.store.Record(w.t.Context(), []drift.Finding{f}); err != nil {
		w.t.Fatal(err)
	}
	return f
}

var events = 0

func change(cluster string, op drift.Op, r drift.Resource) drift.Change {
	events++
	return drift.Change{
		Event: drift.Event{ID: "ev-" + string(rune('a'+events%26)) + time.Now().Format("150405.000000000"), Time: at.Add(-time.Hour), Name: "Call",
			Account: acct, Region: "us-west-2", Actor: drift.Actor{ARN: role + "someone", Type: "AssumedRole"}},
		Op: op, Cluster: cluster, Resource: r,
	}
}

func policy(t *testing.T, s string) *drift.PolicyDocument {
	t.Helper()
	d, err := drift.ParsePolicyDocument(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestAcceptEachKind: each acceptable kind, accepted by one approver on
// MiniStack: a new version with the approver, the finding and the previous
// version in its metadata; judged against it the change is no drift; the
// detector's reading of the write (the versions around it) shows a diff
// about that resource alone; and the reverter, planning from the live
// state against the accepted version, has nothing to do, so the accepted
// version grants nothing beyond what is live (the hold-down never has a
// grant of it to hold).
func TestAcceptEachKind(t *testing.T) {
	tests := []struct {
		name string
		c    drift.Change
	}{
		{"access entry added", change("prod", drift.OpAdded, &drift.AccessEntry{PrincipalARN: role + "ci", Type: "STANDARD", KubernetesGroups: []string{"ci"}})},
		{"access entry deleted", change("staging", drift.OpRemoved, &drift.AccessEntry{PrincipalARN: role + "developers"})},
		{"access policy widened", change("prod", drift.OpModified, &drift.AccessPolicy{PrincipalARN: role + "developers", PolicyARN: edit, Scope: drift.AccessScope{Type: "namespace", Namespaces: []string{"app", "jobs"}}})},
		{"access policy added", change("staging", drift.OpAdded, &drift.AccessPolicy{PrincipalARN: role + "developers", PolicyARN: view, Scope: drift.AccessScope{Type: "namespace", Namespaces: []string{"ops"}}})},
		{"authentication mode", change("staging", drift.OpModified, &drift.AuthenticationMode{Mode: "API"})},
		{"identity provider", change("prod", drift.OpAdded, &drift.IdentityProviderConfig{Name: "okta", IssuerURL: "https://corp.okta.com", ClientID: "eks"})},
		{"pod identity removed", change("prod", drift.OpRemoved, &drift.PodIdentityAssociation{Namespace: "app", ServiceAccount: "api"})},
		{"trust policy", change("", drift.OpModified, &drift.TrustPolicy{RoleARN: role + "developers", RoleName: "developers",
			Document: policy(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/ops"},"Action":"sts:AssumeRole"}]}`)})},
		{"managed policy", change("", drift.OpAdded, &drift.ManagedPolicy{RoleARN: role + "app-api", RoleName: "app-api", PolicyARN: "arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess"})},
		{"inline policy", change("", drift.OpAdded, &drift.InlinePolicy{RoleARN: role + "app-api", RoleName: "app-api", PolicyName: "queue",
			Document: policy(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-west-2:111122223333:q"}]}`)})},
		{"oidc provider", change("", drift.OpAdded, &drift.OIDCProvider{ARN: "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/NEW"})},
		{"iam user access key", change("", drift.OpAdded, &drift.User{UserARN: "arn:aws:iam::111122223333:user/release-bot", UserName: "release-bot", Aspect: drift.UserAccessKey, Name: "AKIARZ7QF3D5RBNEWKEY"})},
		{"aws-auth", change("staging", drift.OpModified, &drift.AwsAuth{MapRoles: []drift.AwsAuthRole{
			{RoleARN: role + "eks-node-role", Username: "system:node:{{EC2PrivateDNSName}}", Groups: []string{"system:bootstrappers", "system:nodes"}},
			{RoleARN: role + "developers", Username: "developers", Groups: []string{"dev"}},
			{RoleARN: role + "ops", Username: "ops", Groups: []string{"ops"}},
		}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			f := w.record(tt.c)
			r, err := w.acc.Accept(t.Context(), f, approver, at)
			if err != nil {
				t.Fatal(err)
			}
			if !r.Written || r.Pending || r.Version == "" {
				t.Fatalf("got %+v, want a version written", r)
			}
			version, _, meta := w.current()
			if version != r.Version {
				t.Errorf("got version %s in force, want %s", version, r.Version)
			}
			for k, want := range map[string]string{accept.MetaApprovers: approver, accept.MetaFinding: f.ID(), accept.MetaPreviousVersion: w.first} {
				if meta[k] != want {
					t.Errorf("got metadata %s=%q, want %q", k, meta[k], want)
				}
			}
			ix := w.index()
			c, _ := drift.ChangeOf(f)
			if g := drift.NewEvaluator(ix).Evaluate(c); g.Drift {
				t.Errorf("got drift against the accepted version (%s), want none", g.Reason)
			}
			// The detector's path for the write: the versions around it.
			around, err := wiring.BaselineVersions(w.cfg, w.bucket, key)(t.Context(), r.Version)
			if err != nil {
				t.Fatal(err)
			}
			if around.PreviousID != w.first || around.Next == nil || around.Previous == nil {
				t.Fatalf("got previous %s (next %v, err %v), want %s", around.PreviousID, around.Next != nil, around.NextErr, w.first)
			}
			obj := drift.NewBaselineObject(w.bucket, key)
			obj.VersionID = r.Version
			bf := drift.JudgeBaselineWrite(drift.Change{Event: drift.Event{ID: "s3-put", Time: at, Account: acct, Region: "us-west-2"}, Op: drift.OpModified, Resource: obj}, around.BaselineVersions)
			var written drift.BaselineObject
			if err := jsonUnmarshal(bf.After, &written); err != nil {
				t.Fatal(err)
			}
			if len(written.Diff) == 0 {
				t.Fatalf("got no diff in the baseline finding (%s), want what was accepted", bf.Reason)
			}
			// From the live state (what the finding saw), the accepted
			// version plans nothing: it grants nothing that is not there.
			obs := drift.Observation{Present: c.Op != drift.OpRemoved, ReadAt: at}
			if obs.Present {
				obs.Resource = c.Resource
			}
			if ops, _ := drift.NewEvaluator(ix).Plan(c, obs); len(ops) > 0 {
				t.Errorf("got plan %v from the live state, want none", ops)
			}
		})
	}
}

// TestAcceptTwoApprovers: a grant of cluster-admin needs two different
// approvers; the first is pending and writes nothing, the same approver
// again is refused, a second approver writes the version naming both.
func TestAcceptTwoApprovers(t *testing.T) {
	grants := []struct {
		name string
		c    drift.Change
	}{
		{"cluster-admin", change("staging", drift.OpAdded, &drift.AccessPolicy{PrincipalARN: role + "developers", PolicyARN: admin, Scope: drift.AccessScope{Type: "cluster"}})},
		{"admin policy in a namespace", change("staging", drift.OpAdded, &drift.AccessPolicy{PrincipalARN: role + "developers", PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy", Scope: drift.AccessScope{Type: "namespace", Namespaces: []string{"app"}}})},
		{"system:masters", change("prod", drift.OpModified, &drift.AccessEntry{PrincipalARN: role + "developers", KubernetesGroups: []string{"dev", "system:masters"}})},
		{"aws-auth system:masters", change("staging", drift.OpModified, &drift.AwsAuth{MapRoles: []drift.AwsAuthRole{
			{RoleARN: role + "eks-node-role", Username: "system:node:{{EC2PrivateDNSName}}", Groups: []string{"system:bootstrappers", "system:nodes"}},
			{RoleARN: role + "developers", Username: "developers", Groups: []string{"system:masters"}},
		}})},
		{"AdministratorAccess", change("", drift.OpAdded, &drift.ManagedPolicy{RoleARN: role + "app-api", RoleName: "app-api", PolicyARN: "arn:aws:iam::aws:policy/AdministratorAccess"})},
	}
	for _, tt := range grants {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			f := w.record(tt.c)
			steps := []struct {
				approver     string
				pending      bool
				written      bool
				why          string
				wantVersions int
			}{
				{"U1", true, false, "needs a second, different approver", 1},
				{"U1", true, false, "U1 has already approved this", 1},
				{"U2", false, true, "by U1 and U2", 2},
				{"U3", false, false, "already declares this", 2},
			}
			for i, st := range steps {
				r, err := w.acc.Accept(t.Context(), f, st.approver, at.Add(time.Duration(i)*time.Minute))
				if err != nil {
					t.Fatal(err)
				}
				if r.Pending != st.pending || r.Written != st.written || !strings.Contains(r.Why, st.why) {
					t.Fatalf("step %d (%s): got %+v, want pending %v written %v saying %q", i, st.approver, r, st.pending, st.written, st.why)
				}
				if got := w.versions(); got != st.wantVersions {
					t.Fatalf("step %d: got %d versions, want %d", i, got, st.wantVersions)
				}
			}
			if _, _, meta := w.current(); meta[accept.MetaApprovers] != "U1,U2" {
				t.Errorf("got approvers %q, want U1,U2", meta[accept.MetaApprovers])
			}
		})
	}
}

// TestAcceptApproversAtOnce: approvers pressing at the same moment write
// exactly one version, for a grant that needs two and for one that needs one.
func TestAcceptApproversAtOnce(t *testing.T) {
	for _, tt := range []struct {
		name string
		c    drift.Change
	}{
		{"two needed", change("staging", drift.OpAdded, &drift.AccessPolicy{PrincipalARN: role + "developers", PolicyARN: admin, Scope: drift.AccessScope{Type: "cluster"}})},
		{"one needed", change("prod", drift.OpAdded, &drift.AccessEntry{PrincipalARN: role + "ci", KubernetesGroups: []string{"ci"}})},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			f := w.record(tt.c)
			var wg sync.WaitGroup
			var mu sync.Mutex
			written := 0
			start := make(chan struct{})
			for i := range 6 {
				wg.Go(func() {
					<-start
					r, err := w.acc.Accept(context.Background(), f, "U"+string(rune('1'+i)), at)
					if err != nil {
						t.Error(err)
						return
					}
					if r.Written {
						mu.Lock()
						written++
						mu.Unlock()
					}
				})
			}
			close(start)
			wg.Wait()
			if written != 1 {
				t.Errorf("got %d writes, want 1", written)
			}
			if got := w.versions(); got != 2 {
				t.Errorf("got %d versions, want 2 (the upload and one acceptance)", got)
			}
		})
	}
}

// racing writes a person's edit to the object right after the accepter
// first reads it, so that the accepter's conditional write meets a newer
// version (S3 refuses it) and must start again from that one.
type racing struct {
	accept.Baseline
	once sync.Once
	edit func()
}

func (r *racing) Read(ctx context.Context) (accept.Document, error) {
	d, err := r.Baseline.Read(ctx)
	r.once.Do(r.edit)
	return d, err
}

// TestAcceptAConcurrentBaselineWrite: a person's edit lands between the
// accepter's read and its write; the write made from the old version is
// refused by S3, and the acceptance is re-applied to the person's version:
// both changes are in the result, and the previous version named is the
// person's.
func TestAcceptAConcurrentBaselineWrite(t *testing.T) {
	w := newWorld(t)
	f := w.record(change("prod", drift.OpAdded, &drift.AccessEntry{PrincipalARN: role + "ci", KubernetesGroups: []string{"ci"}}))
	_, data, _ := w.current()
	var person string
	w.acc.Baseline = &racing{Baseline: w.acc.Baseline, edit: func() {
		person = w.put(strings.Replace(data, "identityProviderConfigs: []", "identityProviderConfigs: []  # reviewed by the platform team", 1))
	}}
	r, err := w.acc.Accept(t.Context(), f, approver, at)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Written {
		t.Fatalf("got %+v, want written", r)
	}
	_, got, meta := w.current()
	if !strings.Contains(got, "reviewed by the platform team") || !strings.Contains(got, role+"ci") {
		t.Errorf("got\n%s\nwant both the person's edit and the accepted entry", got)
	}
	if meta[accept.MetaPreviousVersion] != person {
		t.Errorf("got previous version %q, want the person's %q", meta[accept.MetaPreviousVersion], person)
	}
	if n := w.versions(); n != 3 {
		t.Errorf("got %d versions, want 3", n)
	}
}

// TestAcceptRefuses: what is not accepted, with nothing written.
func TestAcceptRefuses(t *testing.T) {
	tests := []struct {
		name  string
		setup func(w *world) drift.Finding
		want  string
	}{
		{"a finding not in the history", func(w *world) drift.Finding {
			ev := drift.NewEvaluator(w.index())
			return ev.Evaluate(change("prod", drift.OpAdded, &drift.AccessEntry{PrincipalARN: role + "ci"}))
		}, "not in the history"},
		{"a finding that differs from the record", func(w *world) drift.Finding {
			f := w.record(change("prod", drift.OpAdded, &drift.AccessEntry{PrincipalARN: role + "ci"}))
			f.After = []byte(`{"principalArn":"arn:aws:iam::111122223333:role/ci","kubernetesGroups":["system:masters"]}`)
			return f
		}, "differs from the one recorded"},
		{"a stale finding: the resource's declaration changed", func(w *world) drift.Finding {
			f := w.record(change("prod", drift.OpModified, &drift.AccessPolicy{PrincipalARN: role + "developers", PolicyARN: edit, Scope: drift.AccessScope{Type: "namespace", Namespaces: []string{"app", "jobs"}}}))
			_, data, _ := w.current()
			w.put(strings.Replace(data, "accessScope: {type: namespace, namespaces: [app]}", "accessScope: {type: namespace, namespaces: [app, web]}", 1))
			return f
		}, "baseline changed since this finding"},
		{"an invalid result: aws-auth maps one role twice", func(w *world) drift.Finding {
			return w.record(change("staging", drift.OpModified, &drift.AwsAuth{MapRoles: []drift.AwsAuthRole{
				{RoleARN: role + "eks-node-role", Username: "system:node:{{EC2PrivateDNSName}}", Groups: []string{"system:bootstrappers", "system:nodes"}},
				{RoleARN: role + "developers", Username: "developers", Groups: []string{"dev"}},
				{RoleARN: role + "developers", Username: "developers", Groups: []string{"ops"}},
			}}))
		}, "would be invalid, so nothing was written"},
		{"a kind never accepted", func(w *world) drift.Finding {
			return w.record(change("", drift.OpRemoved, &drift.Role{ARN: role + "app-api", Name: "app-api"}))
		}, "declared by hand"},
		{"a reverted finding", func(w *world) drift.Finding {
			f := w.record(change("prod", drift.OpAdded, &drift.AccessEntry{PrincipalARN: role + "ci"}))
			if err := w.store.SetOutcome(w.t.Context(), f.ID(), drift.RevertOutcome{Result: "reverted", At: at}); err != nil {
				w.t.Fatal(err)
			}
			return f
		}, "the reverter undid this drift"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			f := tt.setup(w)
			before := w.versions()
			r, err := w.acc.Accept(t.Context(), f, approver, at)
			if err != nil {
				t.Fatal(err)
			}
			if r.Written || r.Pending || !strings.Contains(r.Why, tt.want) {
				t.Fatalf("got %+v, want a refusal saying %q", r, tt.want)
			}
			if got := w.versions(); got != before {
				t.Errorf("got %d versions, want %d: nothing written", got, before)
			}
		})
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// TestAcceptIntoANewerVersion: the baseline moved on since the finding (an
// unrelated edit); the resource's declaration is unchanged, so the
// acceptance is applied to the version in force, which it names as the
// previous one.
func TestAcceptIntoANewerVersion(t *testing.T) {
	w := newWorld(t)
	f := w.record(change("prod", drift.OpAdded, &drift.AccessEntry{PrincipalARN: role + "ci", KubernetesGroups: []string{"ci"}}))
	_, data, _ := w.current()
	newer := w.put(strings.Replace(data, "reason: on-call incident response", "reason: on-call incident response (reviewed)", 1))
	r, err := w.acc.Accept(t.Context(), f, approver, at)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Written {
		t.Fatalf("got %+v, want written", r)
	}
	_, got, meta := w.current()
	if !strings.Contains(got, "(reviewed)") || !strings.Contains(got, role+"ci") {
		t.Errorf("got\n%s\nwant the newer edit and the accepted entry", got)
	}
	if meta[accept.MetaPreviousVersion] != newer || f.BaselineVersion == newer {
		t.Errorf("got previous version %q (finding judged against %q), want %q", meta[accept.MetaPreviousVersion], f.BaselineVersion, newer)
	}
}
