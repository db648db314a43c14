package iam

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/drift"
)

// fakeServiceCredentials stands in for ListServiceSpecificCredentials,
// which MiniStack 1.5.33 does not serve ("Unknown IAM action"); every
// other call goes to the emulator. It pages MaxItems at a time, as IAM does.
type fakeServiceCredentials struct {
	*iam.Client
	creds []types.ServiceSpecificCredentialMetadata
	pages int
	fail  error
	// pageSize is the page when the caller gives no MaxItems (IAM's own
	// default is 100).
	pageSize int32
}

func (f *fakeServiceCredentials) ListServiceSpecificCredentials(_ context.Context, in *iam.ListServiceSpecificCredentialsInput, _ ...func(*iam.Options)) (*iam.ListServiceSpecificCredentialsOutput, error) {
	f.pages++
	if f.fail != nil {
		return nil, f.fail
	}
	maxItems := in.MaxItems
	if maxItems == nil && f.pageSize > 0 {
		maxItems = &f.pageSize
	}
	page, more, next := marked(f.creds, maxItems, in.Marker)
	return &iam.ListServiceSpecificCredentialsOutput{ServiceSpecificCredentials: page, IsTruncated: more, Marker: next}, nil
}

// TestScanUserOnMiniStack reads a whole user from MiniStack's IAM:
// boundary, managed and inline policies, groups, access keys with their
// status and the console password. Service-specific credentials come
// from a fake (see fakeServiceCredentials).
func TestScanUserOnMiniStack(t *testing.T) {
	ctx := context.Background()
	c, _ := emulator(t)
	name, group := awstest.Name(t, "user"), awstest.Name(t, "group")
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name), Path: aws.String("/ops/")})
	err = awstest.Created(err)
	must("CreateUser", err)
	var keys []string
	for range 2 {
		k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		must("CreateAccessKey", err)
		keys = append(keys, aws.ToString(k.AccessKey.AccessKeyId))
	}
	_, err = c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String(name), AccessKeyId: aws.String(keys[1]), Status: types.StatusTypeInactive})
	must("UpdateAccessKey", err)
	_, err = c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String(name), Password: aws.String("Correct-Horse-9")})
	err = awstest.Created(err)
	must("CreateLoginProfile", err)
	var managed []string
	for i := range 3 {
		p := fmt.Sprintf("arn:aws:iam::aws:policy/UserScan%d", i)
		managed = append(managed, p)
		_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name), PolicyArn: aws.String(p)})
		must("AttachUserPolicy", err)
	}
	for _, p := range []struct{ name, doc string }{{"read-eks", readEKS}, {"all", adminAll}} {
		_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String(p.name), PolicyDocument: aws.String(p.doc)})
		must("PutUserPolicy", err)
	}
	_, err = c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(group)})
	err = awstest.Created(err)
	must("CreateGroup", err)
	_, err = c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String(name), GroupName: aws.String(group)})
	must("AddUserToGroup", err)
	_, err = c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String(name), PermissionsBoundary: aws.String(powerUser)})
	must("PutUserPermissionsBoundary", err)

	f := &fakeServiceCredentials{Client: c, creds: []types.ServiceSpecificCredentialMetadata{
		{ServiceSpecificCredentialId: aws.String("ACCA1"), Status: types.StatusTypeActive},
		{ServiceSpecificCredentialId: aws.String("ACCA2"), Status: types.StatusTypeInactive},
		{ServiceSpecificCredentialId: aws.String("ACCA3"), Status: types.StatusTypeActive},
	}}
	s := newScanner(f, 2)
	s.PageSize = 2
	// The ARN without the user's path: the scan finds the user by name.
	got, err := s.ScanUser(ctx, "arn:aws:iam::"+account+":user/"+name)
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:iam::" + account + ":user/ops/" + name
	if !got.Found || got.ARN != arn || got.Name != name || got.Account != account || got.PermissionsBoundary != powerUser || !got.ConsoleAccess {
		t.Errorf("got %+v, want user %s with boundary %s and a console password", got, arn, powerUser)
	}
	if !slices.Equal(got.ManagedPolicies, managed) || !slices.Equal(got.Groups, []string{group}) {
		t.Errorf("got managed %v and groups %v, want %v and [%s]", got.ManagedPolicies, got.Groups, managed, group)
	}
	if len(got.InlinePolicies) != 2 || !got.InlinePolicies["all"].Equal(doc(t, adminAll)) || !got.InlinePolicies["read-eks"].Equal(doc(t, readEKS)) {
		t.Errorf("inline: got %v", got.InlinePolicies)
	}
	wantKeys := []drift.Credential{{ID: keys[0], Status: "Active"}, {ID: keys[1], Status: "Inactive"}}
	slices.SortFunc(got.AccessKeys, func(a, b drift.Credential) int { return strings.Compare(a.Status, b.Status) })
	if !slices.Equal(got.AccessKeys, wantKeys) {
		t.Errorf("access keys: got %v, want %v", got.AccessKeys, wantKeys)
	}
	wantCreds := []drift.Credential{{ID: "ACCA1", Status: "Active"}, {ID: "ACCA2", Status: "Inactive"}, {ID: "ACCA3", Status: "Active"}}
	if !slices.Equal(got.ServiceCredentials, wantCreds) || f.pages != 2 {
		t.Errorf("service credentials: got %v in %d pages, want %v in 2", got.ServiceCredentials, f.pages, wantCreds)
	}

	plain := awstest.Name(t, "plain")
	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(plain)})
	// The name is this test's own: if it exists, the SDK retried our own
	// request after the emulator had acted on it (seen under load).
	var exists *types.EntityAlreadyExistsException
	if !errors.As(err, &exists) {
		must("CreateUser", err)
	}
	f.creds = nil
	got, err = s.ScanUser(ctx, "arn:aws:iam::"+account+":user/"+plain)
	if err != nil || !got.Found || got.ConsoleAccess || got.PermissionsBoundary != "" || got.ManagedPolicies == nil || len(got.ManagedPolicies) != 0 ||
		got.InlinePolicies == nil || got.Groups == nil || len(got.AccessKeys)+len(got.ServiceCredentials) != 0 {
		t.Errorf("a user with nothing: got %+v, %v, want empty (not nil) lists and no credentials", got, err)
	}

	gone, err := s.ScanUser(ctx, "arn:aws:iam::"+account+":user/"+awstest.Name(t, "gone"))
	if err != nil || gone.Found {
		t.Errorf("a user that does not exist: got found=%v err=%v", gone.Found, err)
	}
	if _, err := s.ScanUser(ctx, "arn:aws:iam::"+account+":role/"+name); err == nil {
		t.Error("a role ARN was scanned as a user")
	}

	throttled := &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
	f.fail = throttled
	if _, err := s.ScanUser(ctx, arn); !errors.Is(err, throttled) || !strings.Contains(err.Error(), "iam "+account+": ListServiceSpecificCredentials "+name) {
		t.Errorf("got %v, want the throttling error with its call and user", err)
	}
	f.fail = &types.NoSuchEntityException{Message: aws.String("The user with name " + name + " cannot be found.")}
	if got, err := s.ScanUser(ctx, arn); err != nil || got.Found {
		t.Errorf("a user deleted while it is read: got found=%v err=%v, want not found", got.Found, err)
	}
}

// The policy of whoever captures or plans users is built from
// UserScanActions: it must name every call the user scan makes.
func TestUserScanActionsNameEveryCall(t *testing.T) {
	api := reflect.TypeOf((*userScanAPI)(nil)).Elem()
	for i := range api.NumMethod() {
		if a := "iam:" + api.Method(i).Name; !slices.Contains(UserScanActions, a) {
			t.Errorf("UserScanActions lacks %s", a)
		}
	}
	if len(UserScanActions) != api.NumMethod() {
		t.Errorf("got %d actions for %d calls", len(UserScanActions), api.NumMethod())
	}
}

// TestReadServiceCredentialPastTheFirstPage: the detector's live read of a
// service-specific credential pages too, so one on the second page is not
// read as gone (it was: the reader read the first page only).
func TestReadServiceCredentialPastTheFirstPage(t *testing.T) {
	c, _ := emulator(t)
	f := &fakeServiceCredentials{Client: c, pageSize: 2}
	for _, id := range []string{"ACCA1", "ACCA2", "ACCA3"} {
		f.creds = append(f.creds, types.ServiceSpecificCredentialMetadata{ServiceSpecificCredentialId: aws.String(id), Status: types.StatusTypeActive})
	}
	r := newReader(f)
	for _, tc := range []struct {
		id      string
		present bool
	}{{"ACCA3", true}, {"ACCA9", false}} {
		t.Run(tc.id, func(t *testing.T) {
			f.pages = 0
			obs, err := r.Observe(context.Background(), change(drift.OpAdded, &drift.User{UserARN: "arn:aws:iam::" + account + ":user/bob", UserName: "bob",
				Aspect: drift.UserServiceCredential, Name: tc.id}))
			if err != nil {
				t.Fatal(err)
			}
			if obs.Present != tc.present || f.pages != 2 {
				t.Errorf("got present %v after %d pages, want %v after 2", obs.Present, f.pages, tc.present)
			}
			if u, _ := obs.Resource.(*drift.User); tc.present && (u == nil || u.Status != "Active") {
				t.Errorf("got %+v, want the credential, Active", obs.Resource)
			}
		})
	}
}
