package iam

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/drift"
)

// TestUsersOnTheEmulator reads each part of a user that a User change can
// name on MiniStack's IAM, then reverts it with the writer and reads again:
// the drift is gone, and a key is deactivated, not deleted.
func TestUsersOnTheEmulator(t *testing.T) {
	ctx := context.Background()
	c, r := emulator(t)
	w := NewWriter(awstest.Config(t))
	name := awstest.Name(t, "user")
	group := awstest.Name(t, "group")
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name), Path: aws.String("/ops/")})
	err = awstest.Created(err)
	must("CreateUser", err)
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	must("CreateAccessKey", err)
	keyID := aws.ToString(key.AccessKey.AccessKeyId)
	_, err = c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String(name), Password: aws.String("Correct-Horse-9")})
	err = awstest.Created(err)
	must("CreateLoginProfile", err)
	_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name), PolicyArn: aws.String(adminAccess)})
	must("AttachUserPolicy", err)
	_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("debug"), PolicyDocument: aws.String(adminAll)})
	must("PutUserPolicy", err)
	_, err = c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(group)})
	err = awstest.Created(err)
	must("CreateGroup", err)
	_, err = c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String(name), GroupName: aws.String(group)})
	must("AddUserToGroup", err)
	_, err = c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String(name), PermissionsBoundary: aws.String(powerUser)})
	must("PutUserPermissionsBoundary", err)

	arn := "arn:aws:iam::" + account + ":user/" + name
	u := func(aspect, id string) *drift.User {
		return &drift.User{UserARN: arn, UserName: name, Aspect: aspect, Name: id}
	}
	with := func(x *drift.User, f func(*drift.User)) *drift.User { f(x); return x }
	tests := []struct {
		name   string
		res    *drift.User
		before drift.Resource // live before the revert
		action string
		after  drift.Resource // live after it; nil: gone
	}{
		{"access key", u(drift.UserAccessKey, keyID), with(u(drift.UserAccessKey, keyID), func(x *drift.User) { x.Status = "Active" }),
			drift.ActDeactivateAccessKey, with(u(drift.UserAccessKey, keyID), func(x *drift.User) { x.Status = "Inactive" })},
		{"login profile", u(drift.UserLoginProfile, ""), u(drift.UserLoginProfile, ""), drift.ActDeleteLoginProfile, nil},
		{"managed policy", u(drift.UserManagedPolicy, adminAccess), u(drift.UserManagedPolicy, adminAccess), drift.ActDetachUserPolicy, nil},
		{"inline policy", u(drift.UserInlinePolicy, "debug"), with(u(drift.UserInlinePolicy, "debug"), func(x *drift.User) { x.Document = doc(t, adminAll) }),
			drift.ActDeleteUserPolicy, nil},
		{"group", u(drift.UserGroup, group), u(drift.UserGroup, group), drift.ActRemoveUserFromGroup, nil},
		{"boundary", u(drift.UserBoundary, ""), u(drift.UserBoundary, powerUser), drift.ActDeleteUserPermissionsBoundary, nil},
		{"user gone", &drift.User{UserName: awstest.Name(t, "nobody"), Aspect: drift.UserAccessKey, Name: "AKIANOBODY"}, nil, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := change(drift.OpAdded, tt.res)
			check(t, r, ch, tt.before)
			if tt.action == "" {
				return
			}
			// The writer is handed what the plan hands it: for a key, an
			// Active status must not matter; it only ever deactivates.
			op := drift.Operation{Action: tt.action, Resource: with(u(tt.res.Aspect, tt.res.Name), func(x *drift.User) { x.Status = "Active" })}
			if err := w.Apply(ctx, op); err != nil {
				t.Fatalf("Apply %s: %v", op, err)
			}
			check(t, r, ch, tt.after)
			if err := w.Apply(ctx, op); err != nil && !op.Grants() {
				t.Errorf("Apply %s again: got %v, want nil (a removal already done is done)", op, err)
			}
		})
	}
	t.Run("unknown action", func(t *testing.T) {
		if err := w.Apply(ctx, drift.Operation{Action: "iam:DeleteAccessKey", Resource: u(drift.UserAccessKey, keyID)}); err == nil {
			t.Error("got nil, want the writer to refuse an action it does not make (it never deletes keys)")
		}
	})
}
