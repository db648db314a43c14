package iam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/drift"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

const (
	account = "000000000000"

	trustEKS = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	// Characters that percent-encoding must carry through: space, &, +, %.
	trustPartner = `{"Version":"2012-10-17","Statement":[{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"a b&c+d%20e"}}}]}`
	readEKS      = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["eks:Describe*","eks:List*"],"Resource":"*"}]}`
	adminAll     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

	readOnlyAccess = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	adminAccess    = "arn:aws:iam::aws:policy/AdministratorAccess"
	powerUser      = "arn:aws:iam::aws:policy/PowerUserAccess"
)

func emulator(t *testing.T) (*iam.Client, *Reader) {
	t.Helper()
	cfg := awstest.Config(t)
	return iam.NewFromConfig(cfg), NewReader(cfg)
}

// createRole creates a role under a path and gives its name and ARN.
func createRole(t *testing.T, c *iam.Client, trust, boundary string) (name, arn string) {
	t.Helper()
	name = awstest.Name(t, "role")
	in := &iam.CreateRoleInput{RoleName: aws.String(name), Path: aws.String("/eks/"), AssumeRolePolicyDocument: aws.String(trust)}
	if boundary != "" {
		in.PermissionsBoundary = aws.String(boundary)
	}
	out, err := c.CreateRole(context.Background(), in)
	if awstest.Created(err) != nil {
		t.Fatalf("CreateRole %s: %v", name, err)
	}
	if err != nil { // the emulator made the role but lost its answer
		got, err := c.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(name)})
		if err != nil {
			t.Fatalf("GetRole %s: %v", name, err)
		}
		return name, aws.ToString(got.Role.Arn)
	}
	return name, aws.ToString(out.Role.Arn)
}

func doc(t *testing.T, text string) *drift.PolicyDocument {
	t.Helper()
	d, err := drift.ParsePolicyDocument(text)
	if err != nil {
		t.Fatalf("ParsePolicyDocument(%s): %v", text, err)
	}
	return d
}

func change(op drift.Op, r drift.Resource) drift.Change {
	return drift.Change{Event: drift.Event{ID: "event-1", Region: "eu-west-1", Account: account, Time: time.Now()}, Op: op, Resource: r}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// check observes c and compares with want (nil: absent). Resources are
// compared in their JSON form, where policy documents are canonical.
func check(t *testing.T, r *Reader, c drift.Change, want drift.Resource) {
	t.Helper()
	before := time.Now()
	obs, err := r.Observe(context.Background(), c)
	if err != nil {
		t.Fatalf("Observe: %v", err)
	}
	if obs.ReadAt.Before(before.Add(-time.Second)) || obs.ReadAt.After(time.Now()) {
		t.Errorf("ReadAt: got %v, want about %v", obs.ReadAt, before)
	}
	if want == nil {
		if obs.Present || obs.Resource != nil {
			t.Errorf("got present %v %s, want absent", obs.Present, mustJSON(t, obs.Resource))
		}
		return
	}
	if !obs.Present {
		t.Fatalf("got absent, want present %s", mustJSON(t, want))
	}
	if fmt.Sprintf("%T", obs.Resource) != fmt.Sprintf("%T", want) {
		t.Fatalf("type: got %T, want %T", obs.Resource, want)
	}
	if obs.Resource.Key() != c.Resource.Key() {
		t.Errorf("Key: got %q, want the change's %q", obs.Resource.Key(), c.Resource.Key())
	}
	if got, want := mustJSON(t, obs.Resource), mustJSON(t, want); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestObserveRole(t *testing.T) {
	ctx := context.Background()
	c, r := emulator(t)
	name, arn := createRole(t, c, trustEKS, "")
	retrusted, retrustedARN := createRole(t, c, trustEKS, "")
	if _, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(retrusted), PolicyDocument: aws.String(trustPartner)}); err != nil {
		t.Fatalf("UpdateAssumeRolePolicy: %v", err)
	}
	deleted, deletedARN := createRole(t, c, trustEKS, "")
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(deleted)}); err != nil {
		t.Fatalf("DeleteRole: %v", err)
	}
	// CloudTrail's role ARNs lack the path; the observation has the real one.
	flat := func(n string) string { return "arn:aws:iam::" + account + ":role/" + n }

	for _, tc := range []struct {
		name   string
		op     drift.Op
		change *drift.Role
		want   drift.Resource
	}{
		{"present", drift.OpAdded, &drift.Role{Name: name, ARN: flat(name), TrustPolicy: doc(t, trustEKS)},
			&drift.Role{Name: name, ARN: arn, TrustPolicy: doc(t, trustEKS)}},
		{"trust changed after the event", drift.OpAdded, &drift.Role{Name: retrusted, ARN: flat(retrusted), TrustPolicy: doc(t, trustEKS)},
			&drift.Role{Name: retrusted, ARN: retrustedARN, TrustPolicy: doc(t, trustPartner)}},
		{"deleted", drift.OpRemoved, &drift.Role{Name: deleted, ARN: deletedARN}, nil},
		{"never created", drift.OpAdded, &drift.Role{Name: awstest.Name(t, "nobody")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) { check(t, r, change(tc.op, tc.change), tc.want) })
	}
}

func TestObserveTrustPolicy(t *testing.T) {
	ctx := context.Background()
	c, r := emulator(t)
	name, arn := createRole(t, c, trustPartner, "")
	updated, updatedARN := createRole(t, c, trustEKS, "")
	if _, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(updated), PolicyDocument: aws.String(trustPartner)}); err != nil {
		t.Fatalf("UpdateAssumeRolePolicy: %v", err)
	}

	for _, tc := range []struct {
		name   string
		change *drift.TrustPolicy
		want   drift.Resource
	}{
		{"present, percent-encoded by IAM", &drift.TrustPolicy{RoleName: name, Document: doc(t, trustPartner)},
			&drift.TrustPolicy{RoleARN: arn, RoleName: name, Document: doc(t, trustPartner)}},
		{"changed again after the event", &drift.TrustPolicy{RoleName: updated, Document: doc(t, trustEKS)},
			&drift.TrustPolicy{RoleARN: updatedARN, RoleName: updated, Document: doc(t, trustPartner)}},
		{"role gone", &drift.TrustPolicy{RoleName: awstest.Name(t, "nobody"), Document: doc(t, trustEKS)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) { check(t, r, change(drift.OpModified, tc.change), tc.want) })
	}
}

func TestObserveManagedPolicy(t *testing.T) {
	ctx := context.Background()
	c, r := emulator(t)
	name, _ := createRole(t, c, trustEKS, "")
	roleARN := "arn:aws:iam::" + account + ":role/" + name // as the event says it
	for _, p := range []string{readOnlyAccess, adminAccess} {
		if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(p)}); err != nil {
			t.Fatalf("AttachRolePolicy %s: %v", p, err)
		}
	}
	if _, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(adminAccess)}); err != nil {
		t.Fatalf("DetachRolePolicy: %v", err)
	}

	for _, tc := range []struct {
		name   string
		op     drift.Op
		role   string
		policy string
		want   drift.Resource
	}{
		{"attached", drift.OpAdded, name, readOnlyAccess, &drift.ManagedPolicy{RoleARN: roleARN, RoleName: name, PolicyARN: readOnlyAccess}},
		{"detached after the event", drift.OpAdded, name, adminAccess, nil},
		{"never attached", drift.OpAdded, name, powerUser, nil},
		{"role gone", drift.OpAdded, awstest.Name(t, "nobody"), readOnlyAccess, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check(t, r, change(tc.op, &drift.ManagedPolicy{RoleARN: roleARN, RoleName: tc.role, PolicyARN: tc.policy}), tc.want)
		})
	}
}

func TestObserveInlinePolicy(t *testing.T) {
	ctx := context.Background()
	c, r := emulator(t)
	name, _ := createRole(t, c, trustEKS, "")
	roleARN := "arn:aws:iam::" + account + ":role/" + name
	put := func(policy, text string) {
		t.Helper()
		if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(policy), PolicyDocument: aws.String(text)}); err != nil {
			t.Fatalf("PutRolePolicy %s: %v", policy, err)
		}
	}
	put("read-eks", readEKS)
	put("escalated", readEKS)
	put("escalated", adminAll)
	put("removed", adminAll)
	if _, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("removed")}); err != nil {
		t.Fatalf("DeleteRolePolicy: %v", err)
	}

	for _, tc := range []struct {
		name   string
		op     drift.Op
		change *drift.InlinePolicy
		want   drift.Resource
	}{
		{"present", drift.OpAdded, &drift.InlinePolicy{RoleARN: roleARN, RoleName: name, PolicyName: "read-eks", Document: doc(t, readEKS)},
			&drift.InlinePolicy{RoleARN: roleARN, RoleName: name, PolicyName: "read-eks", Document: doc(t, readEKS)}},
		{"replaced after the event", drift.OpAdded, &drift.InlinePolicy{RoleARN: roleARN, RoleName: name, PolicyName: "escalated", Document: doc(t, readEKS)},
			&drift.InlinePolicy{RoleARN: roleARN, RoleName: name, PolicyName: "escalated", Document: doc(t, adminAll)}},
		{"deleted", drift.OpRemoved, &drift.InlinePolicy{RoleARN: roleARN, RoleName: name, PolicyName: "removed"}, nil},
		{"never put", drift.OpAdded, &drift.InlinePolicy{RoleARN: roleARN, RoleName: name, PolicyName: "nothing", Document: doc(t, readEKS)}, nil},
		{"role gone", drift.OpAdded, &drift.InlinePolicy{RoleName: awstest.Name(t, "nobody"), PolicyName: "read-eks", Document: doc(t, readEKS)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) { check(t, r, change(tc.op, tc.change), tc.want) })
	}
}

func TestObservePermissionsBoundary(t *testing.T) {
	ctx := context.Background()
	c, r := emulator(t)
	bounded, boundedARN := createRole(t, c, trustEKS, powerUser)
	replaced, replacedARN := createRole(t, c, trustEKS, powerUser)
	if _, err := c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String(replaced), PermissionsBoundary: aws.String(readOnlyAccess)}); err != nil {
		t.Fatalf("PutRolePermissionsBoundary: %v", err)
	}
	lifted, _ := createRole(t, c, trustEKS, powerUser)
	if _, err := c.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String(lifted)}); err != nil {
		t.Fatalf("DeleteRolePermissionsBoundary: %v", err)
	}
	unbounded, _ := createRole(t, c, trustEKS, "")

	for _, tc := range []struct {
		name   string
		op     drift.Op
		change *drift.PermissionsBoundary
		want   drift.Resource
	}{
		{"set at creation", drift.OpAdded, &drift.PermissionsBoundary{RoleName: bounded, PolicyARN: powerUser},
			&drift.PermissionsBoundary{RoleARN: boundedARN, RoleName: bounded, PolicyARN: powerUser}},
		{"replaced after the event", drift.OpAdded, &drift.PermissionsBoundary{RoleName: replaced, PolicyARN: powerUser},
			&drift.PermissionsBoundary{RoleARN: replacedARN, RoleName: replaced, PolicyARN: readOnlyAccess}},
		{"deleted", drift.OpRemoved, &drift.PermissionsBoundary{RoleName: lifted}, nil},
		{"never set", drift.OpAdded, &drift.PermissionsBoundary{RoleName: unbounded, PolicyARN: powerUser}, nil},
		{"role gone", drift.OpAdded, &drift.PermissionsBoundary{RoleName: awstest.Name(t, "nobody"), PolicyARN: powerUser}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) { check(t, r, change(tc.op, tc.change), tc.want) })
	}
}

func TestObserveOIDCProvider(t *testing.T) {
	ctx := context.Background()
	c, r := emulator(t)
	create := func(url string) string {
		t.Helper()
		out, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
			Url: aws.String(url), ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{"9e99a48a9960b14926bb7f3b02e22da2b0ab7280"},
		})
		if err != nil {
			t.Fatalf("CreateOpenIDConnectProvider %s: %v", url, err)
		}
		return aws.ToString(out.OpenIDConnectProviderArn)
	}
	url := "https://oidc.eks.eu-west-1.amazonaws.com/id/" + strings.ToUpper(awstest.Name(t, "present"))
	present := create(url)
	deleted := create("https://oidc.eks.eu-west-1.amazonaws.com/id/" + strings.ToUpper(awstest.Name(t, "deleted")))
	if _, err := c.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(deleted)}); err != nil {
		t.Fatalf("DeleteOpenIDConnectProvider: %v", err)
	}

	for _, tc := range []struct {
		name string
		op   drift.Op
		arn  string
		want drift.Resource
	}{
		{"present", drift.OpAdded, present, &drift.OIDCProvider{ARN: present, URL: url}},
		{"deleted", drift.OpRemoved, deleted, nil},
		{"never created", drift.OpAdded, "arn:aws:iam::" + account + ":oidc-provider/" + awstest.Name(t, "nobody") + ".example.com", nil},
	} {
		t.Run(tc.name, func(t *testing.T) { check(t, r, change(tc.op, &drift.OIDCProvider{ARN: tc.arn}), tc.want) })
	}
}

// IAM returns a provider's URL without its scheme; MiniStack keeps it.
func TestIssuerURL(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"as IAM returns it", "oidc.eks.eu-west-1.amazonaws.com/id/ABC", "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC"},
		{"with a scheme", "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC", "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC"},
		{"empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := issuerURL(tc.in); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// fakeAPI answers only the calls a test sets; the others fail the test.
type fakeAPI struct {
	t            *testing.T
	getRole      func(*iam.GetRoleInput) (*iam.GetRoleOutput, error)
	listAttached func(*iam.ListAttachedRolePoliciesInput) (*iam.ListAttachedRolePoliciesOutput, error)
	getPolicy    func(*iam.GetRolePolicyInput) (*iam.GetRolePolicyOutput, error)
	getOIDC      func(*iam.GetOpenIDConnectProviderInput) (*iam.GetOpenIDConnectProviderOutput, error)
}

func unexpected[T any](t *testing.T, call string) (T, error) {
	t.Helper()
	t.Errorf("unexpected call to %s", call)
	var zero T
	return zero, errors.New("unexpected call to " + call)
}

func (f *fakeAPI) GetRole(_ context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	if f.getRole == nil {
		return unexpected[*iam.GetRoleOutput](f.t, "GetRole")
	}
	return f.getRole(in)
}

func (f *fakeAPI) ListAttachedRolePolicies(_ context.Context, in *iam.ListAttachedRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	if f.listAttached == nil {
		return unexpected[*iam.ListAttachedRolePoliciesOutput](f.t, "ListAttachedRolePolicies")
	}
	return f.listAttached(in)
}

func (f *fakeAPI) GetRolePolicy(_ context.Context, in *iam.GetRolePolicyInput, _ ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error) {
	if f.getPolicy == nil {
		return unexpected[*iam.GetRolePolicyOutput](f.t, "GetRolePolicy")
	}
	return f.getPolicy(in)
}

func (f *fakeAPI) GetOpenIDConnectProvider(_ context.Context, in *iam.GetOpenIDConnectProviderInput, _ ...func(*iam.Options)) (*iam.GetOpenIDConnectProviderOutput, error) {
	if f.getOIDC == nil {
		return unexpected[*iam.GetOpenIDConnectProviderOutput](f.t, "GetOpenIDConnectProvider")
	}
	return f.getOIDC(in)
}

// MiniStack 1.5.33 does not page ListAttachedRolePolicies: it ignores
// MaxItems and Marker and answers IsTruncated false. Paging is tested on a
// fake that answers two policies at a time.
func TestObservePagesThroughAttachedPolicies(t *testing.T) {
	var attached []types.AttachedPolicy
	for i := range 5 {
		attached = append(attached, types.AttachedPolicy{PolicyArn: aws.String(fmt.Sprintf("arn:aws:iam::%s:policy/p%d", account, i))})
	}
	var calls int
	r := newReader(&fakeAPI{t: t, listAttached: func(in *iam.ListAttachedRolePoliciesInput) (*iam.ListAttachedRolePoliciesOutput, error) {
		calls++
		start := 0
		if in.Marker != nil {
			start, _ = strconv.Atoi(*in.Marker)
		}
		end := min(start+2, len(attached))
		out := &iam.ListAttachedRolePoliciesOutput{AttachedPolicies: attached[start:end]}
		if end < len(attached) {
			out.IsTruncated, out.Marker = true, aws.String(strconv.Itoa(end))
		}
		return out, nil
	}})
	for _, tc := range []struct {
		name      string
		policy    int
		present   bool
		wantCalls int
	}{
		{"first page", 0, true, 1},
		{"last page", 4, true, 3},
		{"on no page", 9, false, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls = 0
			p := &drift.ManagedPolicy{RoleARN: "arn:aws:iam::" + account + ":role/deploy", RoleName: "deploy", PolicyARN: fmt.Sprintf("arn:aws:iam::%s:policy/p%d", account, tc.policy)}
			var want drift.Resource
			if tc.present {
				want = p
			}
			check(t, r, change(drift.OpAdded, p), want)
			if calls != tc.wantCalls {
				t.Errorf("ListAttachedRolePolicies calls: got %d, want %d", calls, tc.wantCalls)
			}
		})
	}
}

// A detector that cannot see must not conclude that nothing is there.
// MiniStack cannot be made to throttle or deny, so these run on a fake.
func TestObserveReturnsErrors(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
	denied := &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform iam:GetRole"}
	r := newReader(&fakeAPI{
		t:       t,
		getRole: func(*iam.GetRoleInput) (*iam.GetRoleOutput, error) { return nil, denied },
		listAttached: func(in *iam.ListAttachedRolePoliciesInput) (*iam.ListAttachedRolePoliciesOutput, error) {
			if in.Marker == nil {
				return &iam.ListAttachedRolePoliciesOutput{IsTruncated: true, Marker: aws.String("2")}, nil
			}
			return nil, throttled // on the second page
		},
		getPolicy: func(*iam.GetRolePolicyInput) (*iam.GetRolePolicyOutput, error) { return nil, throttled },
		getOIDC: func(*iam.GetOpenIDConnectProviderInput) (*iam.GetOpenIDConnectProviderOutput, error) {
			return nil, denied
		},
	})
	oidc := "arn:aws:iam::" + account + ":oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
	for _, tc := range []struct {
		name    string
		res     drift.Resource
		wantMsg string
		want    error
	}{
		{"role", &drift.Role{Name: "deploy"}, "iam " + account + ": GetRole deploy: ", denied},
		{"trust policy", &drift.TrustPolicy{RoleName: "deploy"}, "iam " + account + ": GetRole deploy: ", denied},
		{"boundary", &drift.PermissionsBoundary{RoleName: "deploy"}, "iam " + account + ": GetRole deploy: ", denied},
		{"managed policy", &drift.ManagedPolicy{RoleName: "deploy", PolicyARN: adminAccess}, "iam " + account + ": ListAttachedRolePolicies deploy: ", throttled},
		{"inline policy", &drift.InlinePolicy{RoleName: "deploy", PolicyName: "admin"}, "iam " + account + ": GetRolePolicy deploy admin: ", throttled},
		{"OIDC provider", &drift.OIDCProvider{ARN: oidc}, "iam " + account + ": GetOpenIDConnectProvider " + oidc + ": ", denied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obs, err := r.Observe(context.Background(), change(drift.OpAdded, tc.res))
			if err == nil {
				t.Fatalf("got %+v, want an error", obs)
			}
			if !strings.HasPrefix(err.Error(), tc.wantMsg) {
				t.Errorf("error: got %q, want it to start %q", err, tc.wantMsg)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("error: got %v, want it to wrap %v", err, tc.want)
			}
			if obs.Present || obs.Resource != nil {
				t.Errorf("observation: got %+v, want none", obs)
			}
		})
	}

	t.Run("unreadable trust policy", func(t *testing.T) {
		r := newReader(&fakeAPI{t: t, getRole: func(*iam.GetRoleInput) (*iam.GetRoleOutput, error) {
			return &iam.GetRoleOutput{Role: &types.Role{RoleName: aws.String("deploy"), Arn: aws.String("arn:aws:iam::" + account + ":role/deploy"),
				AssumeRolePolicyDocument: aws.String("%7Bnot json")}}, nil
		}})
		_, err := r.Observe(context.Background(), change(drift.OpModified, &drift.TrustPolicy{RoleName: "deploy"}))
		if err == nil || !strings.Contains(err.Error(), "GetRole deploy: AssumeRolePolicyDocument: policy document") {
			t.Errorf("got %v, want an error naming the unreadable AssumeRolePolicyDocument", err)
		}
	})

	t.Run("network", func(t *testing.T) {
		port, err := awstest.FreePort() // nothing listens there
		if err != nil {
			t.Fatal(err)
		}
		r := NewReader(awstest.Config(t), func(o *iam.Options) {
			o.BaseEndpoint = aws.String(fmt.Sprintf("http://127.0.0.1:%d", port))
			o.RetryMaxAttempts = 1
		})
		_, err = r.Observe(context.Background(), change(drift.OpAdded, &drift.Role{Name: "deploy"}))
		if err == nil || !strings.HasPrefix(err.Error(), "iam "+account+": GetRole deploy: ") {
			t.Errorf("got %v, want a GetRole error with its context", err)
		}
	})
}

func TestObserveRejects(t *testing.T) {
	r := newReader(&fakeAPI{t: t}) // no call may be made
	for _, tc := range []struct {
		name    string
		change  drift.Change
		wantMsg string
	}{
		{"EKS kind", change(drift.OpAdded, &drift.AccessEntry{PrincipalARN: "arn:aws:iam::1:role/x"}), `iam: cannot observe access-entry "arn:aws:iam::1:role/x": not an IAM kind`},
		{"no resource", drift.Change{Event: drift.Event{ID: "e-1"}}, "iam: change of event e-1 has no resource"},
		{"role without a name", change(drift.OpAdded, &drift.Role{}), "cannot read a role without a name"},
		{"managed policy without a role", change(drift.OpAdded, &drift.ManagedPolicy{PolicyARN: adminAccess}), "cannot read a role without a name"},
		{"inline policy without a name", change(drift.OpAdded, &drift.InlinePolicy{RoleName: "deploy"}), "a name is missing"},
		{"OIDC provider without an ARN", change(drift.OpAdded, &drift.OIDCProvider{URL: "https://x"}), "without its ARN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Observe(context.Background(), tc.change)
			if err == nil || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("got %v, want an error containing %q", err, tc.wantMsg)
			}
		})
	}
}
