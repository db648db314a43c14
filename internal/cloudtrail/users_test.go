package cloudtrail

import (
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// record builds a bare CloudTrail record of a watched call.
func record(source, name, identity, req, resp string) string {
	return `{"eventVersion":"1.10","eventID":"e-1","eventTime":"2026-10-30T09:00:00Z","eventSource":"` + source + `","eventName":"` + name +
		`","awsRegion":"us-east-1","recipientAccountId":"111122223333","userIdentity":` + identity +
		`,"requestParameters":` + req + `,"responseElements":` + resp + `}`
}

const bobIdentity = `{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333"}`

func TestUserAndPermissionSetCalls(t *testing.T) {
	tests := []struct {
		name, source, event, req, resp string
		want                           string // kind op key
		err                            string
	}{
		{name: "access key for the caller itself", source: SourceIAM, event: "CreateAccessKey", req: `{}`,
			resp: `{"accessKey":{"accessKeyId":"AKIA1","status":"Active"}}`, want: "iam-user added bob|access-key|AKIA1"},
		{name: "reactivated key", source: SourceIAM, event: "UpdateAccessKey", req: `{"userName":"x","accessKeyId":"AKIA2","status":"Active"}`,
			resp: `null`, want: "iam-user modified x|access-key|AKIA2"},
		{name: "update key without id", source: SourceIAM, event: "UpdateAccessKey", req: `{"userName":"x","status":"Active"}`, resp: `null`, err: "accessKeyId"},
		{name: "password changed", source: SourceIAM, event: "UpdateLoginProfile", req: `{"userName":"x"}`, resp: `null`, want: "iam-user modified x|login-profile"},
		{name: "group", source: SourceIAM, event: "AddUserToGroup", req: `{"userName":"x","groupName":"admins"}`, resp: `null`, want: "iam-user added x|group|admins"},
		{name: "boundary deleted", source: SourceIAM, event: "DeleteUserPermissionsBoundary", req: `{"userName":"x"}`, resp: `null`, want: "iam-user removed x|permissions-boundary"},
		{name: "inline policy percent-encoded", source: SourceIAM, event: "PutUserPolicy",
			req:  `{"userName":"x","policyName":"p","policyDocument":"%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D"}`,
			resp: `null`, want: "iam-user added x|inline-policy|p"},
		{name: "assignment names the account", source: SourceSSO, event: "CreateAccountAssignment",
			req:  `{"instanceArn":"i","permissionSetArn":"ps","targetId":"111122223333","targetType":"AWS_ACCOUNT","principalType":"GROUP","principalId":"g-1"}`,
			resp: `{}`, want: "sso-permission-set added ps|111122223333|GROUP:g-1"},
		{name: "boundary on a set is not its policy", source: SourceSSO, event: "PutPermissionsBoundaryToPermissionSet",
			req:  `{"permissionSetArn":"ps","permissionsBoundary":{"managedPolicyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}}`,
			resp: `{}`, want: "sso-permission-set modified ps||permissions-boundary arn:aws:iam::aws:policy/AdministratorAccess"},
		{name: "permission set call without a set", source: SourceSSO, event: "ProvisionPermissionSet", req: `{"targetId":"111122223333"}`, resp: `{}`, err: "permissionSetArn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Decode([]byte(record(tt.source, tt.event, bobIdentity, tt.req, tt.resp)))
			if err != nil {
				t.Fatal(err)
			}
			changes, _, err := Changes(&b.Records[0])
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error naming %s", err, tt.err)
				}
				return
			}
			if err != nil || len(changes) != 1 {
				t.Fatalf("got %v, %v, want one change", changes, err)
			}
			c := changes[0]
			if got := string(c.Kind()) + " " + string(c.Op) + " " + c.Resource.Key(); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			if u, ok := c.Resource.(*drift.User); ok && u.Aspect == drift.UserInlinePolicy && !u.Document.GrantsAdmin() {
				t.Errorf("got document %v, want the decoded admin policy", u.Document)
			}
		})
	}
}
