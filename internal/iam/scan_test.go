package iam

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/eksdrift/eksdrift/internal/awstest"
)

// MiniStack 1.5.33 ignores MaxItems on ListAttachedRolePolicies and
// ListRolePolicies and answers everything at once: asking for 2 at a time
// must still give all 5 (the paging loop is tested on a fake below).
func TestScanRoleOnMiniStack(t *testing.T) {
	ctx := context.Background()
	c, _ := emulator(t)
	boundary := "arn:aws:iam::aws:policy/PowerUserAccess"
	name, arn := createRole(t, c, trustPartner, boundary)
	var managed []string
	for i := range 5 {
		p := fmt.Sprintf("arn:aws:iam::aws:policy/Scan%d", i)
		managed = append(managed, p)
		if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(p)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []struct{ name, doc string }{{"read-eks", readEKS}, {"all", adminAll}} {
		if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(p.name), PolicyDocument: aws.String(p.doc)}); err != nil {
			t.Fatal(err)
		}
	}
	s := NewScanner(awstest.Config(t), 2)
	s.PageSize = 2
	// The ARN without the role's path: the scan finds the role by name.
	got, err := s.ScanRole(ctx, "arn:aws:iam::"+account+":role/"+name)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Found || got.ARN != arn || got.Name != name || got.Account != account || got.PermissionsBoundary != boundary {
		t.Errorf("got %+v, want role %s with boundary %s", got, arn, boundary)
	}
	if !got.TrustPolicy.Equal(doc(t, trustPartner)) {
		t.Errorf("trust: got %s", got.TrustPolicy)
	}
	if !slices.Equal(got.ManagedPolicies, managed) {
		t.Errorf("managed: got %v, want all of %v", got.ManagedPolicies, managed)
	}
	if len(got.InlinePolicies) != 2 || !got.InlinePolicies["all"].Equal(doc(t, adminAll)) || !got.InlinePolicies["read-eks"].Equal(doc(t, readEKS)) {
		t.Errorf("inline: got %v", got.InlinePolicies)
	}

	plain, _ := createRole(t, c, trustEKS, "")
	got, err = s.ScanRole(ctx, "arn:aws:iam::"+account+":role/eks/"+plain)
	if err != nil || !got.Found || got.PermissionsBoundary != "" || got.ManagedPolicies == nil || len(got.ManagedPolicies) != 0 || got.InlinePolicies == nil {
		t.Errorf("a role with nothing attached: got %+v, %v, want empty (not nil) lists", got, err)
	}

	gone, err := s.ScanRole(ctx, "arn:aws:iam::"+account+":role/"+awstest.Name(t, "gone"))
	if err != nil || gone.Found {
		t.Errorf("a role that does not exist: got found=%v err=%v", gone.Found, err)
	}
	if _, err := s.ScanRole(ctx, "arn:aws:iam::"+account+":user/bob"); err == nil {
		t.Error("a user ARN was scanned as a role")
	}
}

// pagedIAM answers the list calls MaxItems at a time with a Marker, as IAM
// does, and counts the pages.
type pagedIAM struct {
	managed, inline []string
	pages           map[string]int
	fail            error
}

func (p *pagedIAM) GetRole(_ context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	return &iam.GetRoleOutput{Role: &types.Role{RoleName: in.RoleName, Arn: aws.String("arn:aws:iam::111122223333:role/x/" + aws.ToString(in.RoleName)),
		AssumeRolePolicyDocument: aws.String(`%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22eks.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D`)}}, nil
}

func marked[T any](items []T, maxItems *int32, marker *string) ([]T, bool, *string) {
	n := 100
	if maxItems != nil {
		n = int(*maxItems)
	}
	start := 0
	if marker != nil {
		start, _ = strconv.Atoi(*marker)
	}
	end := min(start+n, len(items))
	if end < len(items) {
		return items[start:end], true, aws.String(strconv.Itoa(end))
	}
	return items[start:end], false, nil
}

func (p *pagedIAM) ListAttachedRolePolicies(_ context.Context, in *iam.ListAttachedRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	p.pages["ListAttachedRolePolicies"]++
	var all []types.AttachedPolicy
	for _, m := range p.managed {
		all = append(all, types.AttachedPolicy{PolicyArn: aws.String(m)})
	}
	page, more, next := marked(all, in.MaxItems, in.Marker)
	return &iam.ListAttachedRolePoliciesOutput{AttachedPolicies: page, IsTruncated: more, Marker: next}, nil
}

func (p *pagedIAM) ListRolePolicies(_ context.Context, in *iam.ListRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error) {
	p.pages["ListRolePolicies"]++
	page, more, next := marked(p.inline, in.MaxItems, in.Marker)
	return &iam.ListRolePoliciesOutput{PolicyNames: page, IsTruncated: more, Marker: next}, nil
}

func (p *pagedIAM) GetRolePolicy(_ context.Context, in *iam.GetRolePolicyInput, _ ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error) {
	if p.fail != nil {
		return nil, p.fail
	}
	if aws.ToString(in.PolicyName) == "vanished" {
		return nil, &types.NoSuchEntityException{Message: aws.String("gone")}
	}
	return &iam.GetRolePolicyOutput{PolicyName: in.PolicyName, PolicyDocument: aws.String(readEKS)}, nil
}

func TestScanRolePagesOnAFake(t *testing.T) {
	f := &pagedIAM{pages: map[string]int{}}
	for i := range 5 {
		f.managed = append(f.managed, fmt.Sprintf("arn:aws:iam::aws:policy/P%d", i))
		f.inline = append(f.inline, fmt.Sprintf("inline-%d", i))
	}
	f.inline = append(f.inline, "vanished") // deleted between the list and the get
	s := newScanner(f, 3)
	s.PageSize = 2
	got, err := s.ScanRole(context.Background(), "arn:aws:iam::111122223333:role/dev")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.ManagedPolicies, f.managed) || len(got.InlinePolicies) != 5 || got.ARN != "arn:aws:iam::111122223333:role/x/dev" {
		t.Errorf("got managed %v, %d inline, ARN %s: want all 5 of each and the ARN with its path", got.ManagedPolicies, len(got.InlinePolicies), got.ARN)
	}
	if f.pages["ListAttachedRolePolicies"] != 3 || f.pages["ListRolePolicies"] != 3 {
		t.Errorf("got %v pages, want 3 of each list", f.pages)
	}
	if got.TrustPolicy == nil || !strings.Contains(got.TrustPolicy.String(), "eks.amazonaws.com") {
		t.Errorf("percent-encoded trust policy not read: %s", got.TrustPolicy)
	}

	throttled := &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
	f.fail = throttled
	if _, err := s.ScanRole(context.Background(), "arn:aws:iam::111122223333:role/dev"); !errors.Is(err, throttled) || !strings.Contains(err.Error(), "iam 111122223333: GetRolePolicy dev ") {
		t.Errorf("got %v, want the throttling error with its call", err)
	}
}

// The policy of a role that scans is built from ScanActions: it must name
// every call the scanner makes.
func TestScanActionsNameEveryCall(t *testing.T) {
	api := reflect.TypeOf((*scanAPI)(nil)).Elem()
	for i := range api.NumMethod() {
		if a := "iam:" + api.Method(i).Name; !slices.Contains(ScanActions, a) {
			t.Errorf("ScanActions lacks %s", a)
		}
	}
	if len(ScanActions) != api.NumMethod() {
		t.Errorf("got %d actions for %d calls", len(ScanActions), api.NumMethod())
	}
}
