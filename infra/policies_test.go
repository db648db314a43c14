package infra

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
)

// These tests attack the synthesized policies: for each principal that
// should not write the baseline, publish a finding or have the reverter
// grant admin, they ask whether an explicit deny of the template stops
// the request, whatever that principal's own IAM policies allow (an
// explicit deny wins over any allow). The requests are judged by request
// below, a model of IAM's documented condition semantics for the operators
// the stack uses; the deployed stack itself is the end-to-end test's
// subject, not these.

// request is one call as a policy's conditions see it. Values are strings,
// or the template's tokens ({"Fn::GetAtt": ...}) for what the stack names
// by reference, such as its own roles.
type request struct {
	action    string
	principal any // aws:PrincipalArn; nil for a service acting on its own
	resource  any
	keys      map[string]any // the other condition keys present
}

func (r request) key(k string) (any, bool) {
	if k == "aws:PrincipalArn" {
		return r.principal, r.principal != nil
	}
	v, ok := r.keys[k]
	return v, ok
}

// like is IAM's * and ? matching; a token matches only itself.
func like(pattern, value any) bool {
	p, ok1 := pattern.(string)
	v, ok2 := value.(string)
	if !ok1 || !ok2 {
		return reflect.DeepEqual(pattern, value)
	}
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(p)) + "$"
	return regexp.MustCompile(re).MatchString(v)
}

// conditionHolds evaluates one operator on one key: without the key in
// the request, a positive operator is false and a negated one (Not...)
// true; with several values, a positive operator wants one to match and a
// negated one none.
func conditionHolds(t *testing.T, op, key string, values []any, r request) bool {
	t.Helper()
	v, present := r.key(key)
	negated := strings.Contains(op, "Not")
	if !present {
		return negated
	}
	match := false
	for _, want := range values {
		switch op {
		case "StringLike", "StringNotLike", "ArnLike", "ArnNotLike":
			match = match || like(want, v)
		case "StringEquals", "StringNotEquals", "ArnEquals", "ArnNotEquals":
			match = match || reflect.DeepEqual(want, v)
		default:
			t.Fatalf("condition operator %s: not modelled", op)
		}
	}
	return match != negated
}

// applies reports whether st covers r: its principal is everyone, an
// action matches, the resource matches (Resource or NotResource), and
// every condition holds.
func applies(t *testing.T, st statement, r request) bool {
	t.Helper()
	if p := st.raw["Principal"]; p != nil && !reflect.DeepEqual(p, "*") && !reflect.DeepEqual(p, map[string]any{"AWS": "*"}) {
		return false // not a statement about every principal
	}
	if !slices.ContainsFunc(st.actions, func(a string) bool { return like(a, r.action) }) {
		return false
	}
	if nr, ok := st.raw["NotResource"]; ok {
		if slices.ContainsFunc(asList(nr), func(p any) bool { return like(p, r.resource) }) {
			return false
		}
	} else if !slices.ContainsFunc(st.resources, func(p any) bool { return like(p, r.resource) }) {
		return false
	}
	cond, _ := st.raw["Condition"].(map[string]any)
	for op, kv := range cond {
		for k, vals := range kv.(map[string]any) {
			if !conditionHolds(t, op, k, asList(vals), r) {
				return false
			}
		}
	}
	return true
}

// denied reports whether an explicit deny among stmts stops r.
func denied(t *testing.T, stmts []statement, r request) bool {
	t.Helper()
	for _, st := range stmts {
		if st.raw["Effect"] == "Deny" && applies(t, st, r) {
			return true
		}
	}
	return false
}

// resourcePolicy gives the statements of the resource policies of type
// typ (AWS::S3::BucketPolicy, AWS::SNS::TopicPolicy) whose property prop
// refers to c.
func resourcePolicy(t *testing.T, s *synthesized, stack awscdk.Stack, typ, prop string, c constructs.IConstruct) []statement {
	t.Helper()
	ref := map[string]any{"Ref": logicalID(stack, c)}
	var out []statement
	for id, res := range resources(s.templates[*stack.StackName()], typ) {
		for _, target := range asList(props(res)[prop]) {
			if reflect.DeepEqual(target, ref) {
				out = append(out, statementsOf(id, props(res)["PolicyDocument"])...)
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %s for %s", typ, *c.Node().Path())
	}
	return out
}

func roleRef(stack awscdk.Stack, role constructs.IConstruct) any {
	return map[string]any{"Fn::GetAtt": []any{logicalID(stack, role), "Arn"}}
}

// Principals that must not change the baseline: an administrator's role,
// a role with the writer's name on another path, a role whose name starts
// with the writer's, the account's root user, and a service (replication,
// a lifecycle rule) acting with no principal ARN.
var notWriters = []any{
	"arn:aws:iam::111122223333:role/Admin",
	"arn:aws:iam::111122223333:role/baseline-admins",
	"arn:aws:iam::111122223333:role/platform/baseline-admins-2",
	"arn:aws:iam::111122223333:root",
	nil,
}

func TestBaselineObjectsOnlyWriters(t *testing.T) {
	for _, c := range []synthCase{caseDefault, caseRevert, caseRevertAdmin} {
		t.Run(c.name, func(t *testing.T) {
			s := synth(t, c)
			main, bucket := s.stacks.Main, s.stacks.Stores.Baselines
			stmts := resourcePolicy(t, s, main, "AWS::S3::BucketPolicy", "Bucket", bucket)
			object := map[string]any{"Fn::Join": []any{"", []any{map[string]any{"Fn::GetAtt": []any{logicalID(main, bucket), "Arn"}}, "/*"}}}
			for _, action := range baselineObjectWrites {
				for _, p := range notWriters {
					if !denied(t, stmts, request{action: action, principal: p, resource: object}) {
						t.Errorf("%s by %v: got allowed by the bucket policy, want denied", action, p)
					}
				}
				for _, w := range s.settings.BaselineWriters {
					if denied(t, stmts, request{action: action, principal: w, resource: object}) {
						t.Errorf("%s by the writer %s: got denied, want allowed", action, w)
					}
				}
			}
			// With retainData=false CDK's handler empties the bucket before
			// its deletion; it is the only principal besides the writers.
			var autoDelete any
			if c.overrides[CtxRetainData] == false {
				autoDelete = map[string]any{"Fn::GetAtt": []any{"CustomS3AutoDeleteObjectsCustomResourceProviderRole3B1BD092", "Arn"}}
				for _, action := range []string{"s3:DeleteObject", "s3:DeleteObjectVersion"} {
					if denied(t, stmts, request{action: action, principal: autoDelete, resource: object}) {
						t.Errorf("%s by the auto-delete handler: got denied, want allowed (cdk destroy empties the bucket)", action)
					}
				}
			}
			var exempt []any
			for _, st := range stmts {
				if st.raw["Effect"] == "Deny" && slices.Contains(st.actions, "s3:PutObject") {
					cond, _ := st.raw["Condition"].(map[string]any)
					notLike, _ := cond["ArnNotLike"].(map[string]any)
					exempt = append(exempt, asList(notLike["aws:PrincipalArn"])...)
				}
			}
			want := []any{}
			for _, w := range s.settings.BaselineWriters {
				want = append(want, w)
			}
			if autoDelete != nil {
				want = append(want, autoDelete)
			}
			if !reflect.DeepEqual(exempt, want) {
				t.Errorf("principals the object deny exempts: got %v, want %v", exempt, want)
			}
		})
	}
}

func TestKeyPolicyOnlyWritersMakeS3DataKeys(t *testing.T) {
	for _, c := range []synthCase{caseDefault, caseRevertAdmin} {
		t.Run(c.name, func(t *testing.T) {
			s := synth(t, c)
			main := s.stacks.Main
			key := props(resource(t, s, s.stacks.Stores.Key))
			stmts := statementsOf("key", key["KeyPolicy"])
			bucket := "arn:aws:s3:::eksdrift-storesbaselines-0123456789ab"
			viaS3 := map[string]any{"kms:ViaService": "s3.eu-west-1.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": bucket}
			direct := map[string]any{"kms:EncryptionContext:aws:s3:arn": bucket + "/baseline.yaml"}
			for _, action := range []string{"kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:GenerateDataKeyPair"} {
				for _, p := range notWriters {
					for how, keys := range map[string]map[string]any{"through S3": viaS3, "directly with S3's context": direct} {
						if !denied(t, stmts, request{action: action, principal: p, resource: "*", keys: keys}) {
							t.Errorf("%s by %v %s: got allowed by the key policy, want denied", action, p, how)
						}
					}
				}
				for _, w := range s.settings.BaselineWriters {
					if denied(t, stmts, request{action: action, principal: w, resource: "*", keys: viaS3}) {
						t.Errorf("%s by the writer %s through S3: got denied, want allowed", action, w)
					}
				}
			}
			// The key's other uses go on: the functions through DynamoDB
			// and SNS, CloudWatch publishing alarms.
			detector := roleRef(main, s.stacks.Detector.Role)
			for what, r := range map[string]request{
				"the detector through DynamoDB": {action: "kms:GenerateDataKey", principal: detector, resource: "*",
					keys: map[string]any{"kms:ViaService": "dynamodb.eu-west-1.amazonaws.com", "kms:EncryptionContext:aws:dynamodb:tableName": "History"}},
				"the detector through SNS": {action: "kms:GenerateDataKey", principal: detector, resource: "*",
					keys: map[string]any{"kms:ViaService": "sns.eu-west-1.amazonaws.com"}},
				"CloudWatch": {action: "kms:GenerateDataKey", principal: nil, resource: "*",
					keys: map[string]any{"aws:PrincipalServiceName": cloudWatchService}},
				"the detector reading the baseline": {action: "kms:Decrypt", principal: detector, resource: "*", keys: viaS3},
			} {
				if denied(t, stmts, r) {
					t.Errorf("%s: got denied, want allowed", what)
				}
			}
			// The writers are given the data keys in the key policy itself.
			var grant []any
			for _, st := range stmts {
				if st.raw["Effect"] == "Allow" && slices.Contains(st.actions, "kms:GenerateDataKey") {
					if p, _ := st.raw["Principal"].(map[string]any); p != nil && strings.Contains(fmt.Sprint(st.raw["Condition"]), "kms:EncryptionContext:aws:s3:arn") {
						grant = append(grant, asList(p["AWS"])...)
					}
				}
			}
			want := []any{}
			for _, w := range s.settings.BaselineWriters {
				want = append(want, w)
			}
			if !reflect.DeepEqual(grant, want) {
				t.Errorf("S3 data keys granted to: got %v, want the writers %v", grant, want)
			}
		})
	}
}

// TestKeyServesOnlyTheBaselinesBucket: the key policy's S3 statements
// cannot name the baselines bucket (the key and the bucket would depend on
// each other), so they cover S3 as a whole; this holds only while no other
// bucket is encrypted with the key.
func TestKeyServesOnlyTheBaselinesBucket(t *testing.T) {
	for _, c := range allCases {
		t.Run(c.name, func(t *testing.T) {
			s := synth(t, c)
			keyID := logicalID(s.stacks.Main, s.stacks.Stores.Key)
			baselines := logicalID(s.stacks.Main, s.stacks.Stores.Baselines)
			for id, b := range resources(mainTemplate(s), "AWS::S3::Bucket") {
				if strings.Contains(fmt.Sprint(props(b)["BucketEncryption"]), keyID) && id != baselines {
					t.Errorf("bucket %s is encrypted with the key: the key policy's S3 denies would cover it too", id)
				}
			}
		})
	}
}

func TestOnlyEksdriftPublishes(t *testing.T) {
	for _, c := range []synthCase{caseDefault, casePinned, caseRevert} {
		t.Run(c.name, func(t *testing.T) {
			s := synth(t, c)
			main, st := s.stacks.Main, s.stacks.Stores
			publishers := []any{roleRef(main, s.stacks.Detector.Role), roleRef(main, s.stacks.Reconciler.Role)}
			if s.stacks.Reverter != nil {
				publishers = append(publishers, roleRef(main, s.stacks.Reverter.Role))
			}
			topics := []struct {
				name       string
				stack      awscdk.Stack
				topic      constructs.IConstruct
				publishers []request
			}{
				{"findings", main, st.Findings, nil},
				{"chatbot", main, st.Chatbot, []request{{principal: roleRef(main, s.stacks.Notifier.Role)}}},
				{"alarms", main, s.stacks.Operations.Topic, []request{{keys: map[string]any{"aws:PrincipalServiceName": cloudWatchService}}}},
			}
			for _, p := range publishers {
				topics[0].publishers = append(topics[0].publishers, request{principal: p})
			}
			if s.stacks.Forwarder != nil {
				var fwd constructs.IConstruct
				for _, child := range *s.stacks.Forwarder.Node().Children() {
					if *child.Node().Id() == "AlarmTopic" {
						fwd = child
					}
				}
				topics = append(topics, struct {
					name       string
					stack      awscdk.Stack
					topic      constructs.IConstruct
					publishers []request
				}{"forwarder alarms", s.stacks.Forwarder, fwd, []request{{keys: map[string]any{"aws:PrincipalServiceName": cloudWatchService}}}})
			}
			for _, tp := range topics {
				t.Run(tp.name, func(t *testing.T) {
					stmts := resourcePolicy(t, s, tp.stack, "AWS::SNS::TopicPolicy", "Topics", tp.topic)
					arn := map[string]any{"Ref": logicalID(tp.stack, tp.topic)}
					forged := append(slices.Clone(notWriters), testWriter)
					if tp.name != "findings" {
						forged = append(forged, publishers...) // the findings' publishers do not publish alerts
					}
					for _, p := range forged {
						if !denied(t, stmts, request{action: "sns:Publish", principal: p, resource: arn}) {
							t.Errorf("sns:Publish by %v: got allowed by the topic policy, want denied", p)
						}
					}
					for _, r := range tp.publishers {
						r.action, r.resource = "sns:Publish", arn
						if denied(t, stmts, r) {
							t.Errorf("sns:Publish by its publisher %v %v: got denied, want allowed", r.principal, r.keys)
						}
					}
				})
			}
			// Every role the stack lets publish to a topic may, by that
			// topic's policy: a new publisher cannot be forgotten.
			for id, pol := range resources(mainTemplate(s), "AWS::IAM::Policy") {
				for _, ps := range statementsOf(id, props(pol)["PolicyDocument"]) {
					if !slices.Contains(ps.actions, "sns:Publish") || ps.raw["Effect"] == "Deny" {
						continue
					}
					for _, role := range asList(props(pol)["Roles"]) {
						principal := map[string]any{"Fn::GetAtt": []any{role.(map[string]any)["Ref"], "Arn"}}
						for _, topic := range ps.resources {
							var stmts []statement
							for tid, tpol := range resources(mainTemplate(s), "AWS::SNS::TopicPolicy") {
								if slices.ContainsFunc(asList(props(tpol)["Topics"]), func(x any) bool { return reflect.DeepEqual(x, topic) }) {
									stmts = append(stmts, statementsOf(tid, props(tpol)["PolicyDocument"])...)
								}
							}
							if denied(t, stmts, request{action: "sns:Publish", principal: principal, resource: topic}) {
								t.Errorf("%v may publish to %v by its role, and the topic's policy denies it", role, topic)
							}
						}
					}
				}
			}
		})
	}
}

func TestReverterCannotGrantAdmin(t *testing.T) {
	inScope := "arn:aws:iam::111122223333:role/developers"
	tests := []struct {
		c synthCase
		// adminDenied: the administrator policies are denied.
		adminDenied bool
	}{{caseRevert, true}, {caseRevertAdmin, false}}
	for _, tt := range tests {
		t.Run(tt.c.name, func(t *testing.T) {
			s := synth(t, tt.c)
			if s.settings.AllowGrantingAdmin == tt.adminDenied {
				t.Fatalf("allowGrantingAdmin: got %v, want %v", s.settings.AllowGrantingAdmin, !tt.adminDenied)
			}
			stmts := roleStatements(t, s, s.stacks.Reverter.Role)
			reverter := roleRef(s.stacks.Main, s.stacks.Reverter.Role)
			for _, p := range drift.ReverterDeniedManagedPolicies {
				for _, arn := range []string{p, strings.Replace(p, "arn:aws:", "arn:aws-cn:", 1)} {
					// Each call names the policy in its own condition key:
					// AttachRolePolicy in iam:PolicyARN, the boundary in
					// iam:PermissionsBoundary (IAM's service authorization
					// reference).
					for action, key := range map[string]string{drift.ActAttachRolePolicy: "iam:PolicyARN", drift.ActPutRolePermissionsBoundary: "iam:PermissionsBoundary",
						drift.ActPutUserPermissionsBoundary: "iam:PermissionsBoundary"} {
						resource := inScope
						if action == drift.ActPutUserPermissionsBoundary {
							resource = "arn:aws:iam::111122223333:user/release-bot"
						}
						r := request{action: action, principal: reverter, resource: resource, keys: map[string]any{key: arn}}
						if got := denied(t, stmts, r); got != tt.adminDenied {
							t.Errorf("%s %s: denied %v, want %v", action, arn, got, tt.adminDenied)
						}
					}
				}
			}
			// Every access policy the rating table calls critical is denied,
			// in every partition: the stack and the planner's guard agree.
			for _, p := range drift.AccessPolicies() {
				if p.Cluster != drift.SeverityCritical && p.Namespaced != drift.SeverityCritical {
					continue
				}
				for _, arn := range []string{p.ARN(), strings.Replace(p.ARN(), "arn:aws:", "arn:aws-cn:", 1)} {
					r := request{action: drift.ActAssociateAccessPolicy, principal: reverter,
						resource: "arn:aws:eks:eu-west-1:111122223333:access-entry/prod/role/111122223333/attacker/0123", keys: map[string]any{"eks:policyArn": arn}}
					if got := denied(t, stmts, r); got != tt.adminDenied {
						t.Errorf("%s %s (rated critical): denied %v, want %v", drift.ActAssociateAccessPolicy, arn, got, tt.adminDenied)
					}
				}
			}
			for _, p := range drift.ReverterDeniedAccessPolicies {
				r := request{action: drift.ActAssociateAccessPolicy, principal: reverter,
					resource: "arn:aws:eks:eu-west-1:111122223333:access-entry/prod/role/111122223333/attacker/0123", keys: map[string]any{"eks:policyArn": p}}
				if got := denied(t, stmts, r); got != tt.adminDenied {
					t.Errorf("%s %s: denied %v, want %v", drift.ActAssociateAccessPolicy, p, got, tt.adminDenied)
				}
			}
			// What a baseline may still restore.
			for what, r := range map[string]request{
				"attach ReadOnlyAccess": {action: drift.ActAttachRolePolicy, resource: inScope,
					keys: map[string]any{"iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"}},
				"a customer policy as a boundary": {action: drift.ActPutRolePermissionsBoundary, resource: inScope,
					keys: map[string]any{"iam:PermissionsBoundary": "arn:aws:iam::111122223333:policy/boundary"}},
				"associate AmazonEKSViewPolicy": {action: drift.ActAssociateAccessPolicy, resource: "arn:aws:eks:eu-west-1:111122223333:cluster/prod",
					keys: map[string]any{"eks:policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"}},
				"an inline policy on a role in scope": {action: drift.ActPutRolePolicy, resource: inScope},
			} {
				r.principal = reverter
				if denied(t, stmts, r) {
					t.Errorf("%s: got denied, want allowed", what)
				}
			}
			// Inline policies outside the users setting: denied likewise.
			for _, user := range []string{"arn:aws:iam::111122223333:user/admin", "arn:aws:iam::444455556666:user/release-bot"} {
				if !denied(t, stmts, request{action: drift.ActPutUserPolicy, principal: reverter, resource: user}) {
					t.Errorf("iam:PutUserPolicy on %s: got allowed, want denied (outside the users setting)", user)
				}
			}
			if denied(t, stmts, request{action: drift.ActPutUserPolicy, principal: reverter, resource: "arn:aws:iam::111122223333:user/release-bot"}) {
				t.Error("iam:PutUserPolicy on a user in scope: got denied, want allowed")
			}
			// Inline policies outside the roles setting: denied, whatever
			// allowGrantingAdmin says.
			for _, role := range []string{"arn:aws:iam::111122223333:role/Admin", "arn:aws:iam::111122223333:role/developers-2", "arn:aws:iam::444455556666:role/developers"} {
				if !denied(t, stmts, request{action: drift.ActPutRolePolicy, principal: reverter, resource: role}) {
					t.Errorf("iam:PutRolePolicy on %s: got allowed, want denied (outside the roles setting)", role)
				}
			}
		})
	}
}

// TestReverterMayCallEveryRevertAction: a planned call the role may not
// make fails at every revert; each of drift.RevertActions is allowed.
func TestReverterMayCallEveryRevertAction(t *testing.T) {
	for _, c := range []synthCase{caseRevert, caseRevertAdmin} {
		t.Run(c.name, func(t *testing.T) {
			s := synth(t, c)
			allowed := map[string][]any{}
			for _, st := range roleStatements(t, s, s.stacks.Reverter.Role) {
				if st.raw["Effect"] == "Deny" {
					continue
				}
				for _, a := range st.actions {
					allowed[a] = append(allowed[a], st.resources...)
				}
			}
			for _, a := range drift.RevertActions {
				if len(allowed[a]) == 0 {
					t.Errorf("the planner may emit %s, and the reverter's role does not allow it", a)
				}
			}
			want := []any{"arn:aws:iam::111122223333:oidc-provider/*"}
			if got := allowed[drift.ActDeleteOIDCProvider]; !reflect.DeepEqual(got, want) {
				t.Errorf("%s on: got %v, want %v", drift.ActDeleteOIDCProvider, got, want)
			}
		})
	}
}

func TestReverterAndSweepSettings(t *testing.T) {
	tests := []struct {
		c                   synthCase
		holdDown, allowsAdm string
	}{{caseRevert, "1h0m0s", "false"}, {caseRevertAdmin, "0s", "true"}}
	for _, tt := range tests {
		t.Run(tt.c.name, func(t *testing.T) {
			s := synth(t, tt.c)
			env := func(f *Function) map[string]any {
				return props(resource(t, s, f.Fn))["Environment"].(map[string]any)["Variables"].(map[string]any)
			}
			rv, rc := env(s.stacks.Reverter.Function), env(s.stacks.Reconciler.Function)
			if got := rv[config.EnvBaselineHoldDown]; got != tt.holdDown {
				t.Errorf("reverter %s: got %v, want %s", config.EnvBaselineHoldDown, got, tt.holdDown)
			}
			if got := rc[config.EnvBaselineHoldDown]; got != tt.holdDown {
				t.Errorf("reconcile %s: got %v, want %s", config.EnvBaselineHoldDown, got, tt.holdDown)
			}
			if got := rv[config.EnvAllowGrantingAdmin]; got != tt.allowsAdm {
				t.Errorf("reverter %s: got %v, want %s", config.EnvAllowGrantingAdmin, got, tt.allowsAdm)
			}
		})
	}
}

// TestReverterMayReadBaselineVersions: the hold-down compares the
// baseline version in force with the one before it, read from the
// object's S3 versions; a reverter that cannot list or read them holds
// back every grant.
func TestReverterMayReadBaselineVersions(t *testing.T) {
	s := synth(t, caseRevert)
	main, bucket := s.stacks.Main, s.stacks.Stores.Baselines
	bucketARN := map[string]any{"Fn::GetAtt": []any{logicalID(main, bucket), "Arn"}}
	object := map[string]any{"Fn::Join": []any{"", []any{bucketARN, "/" + s.settings.BaselineKey}}}
	var list, get bool
	for _, st := range roleStatements(t, s, s.stacks.Reverter.Role) {
		if st.raw["Effect"] == "Deny" {
			continue
		}
		if slices.Contains(st.actions, "s3:ListBucketVersions") {
			list = reflect.DeepEqual(st.resources, []any{bucketARN}) &&
				reflect.DeepEqual(st.raw["Condition"], map[string]any{"StringEquals": map[string]any{"s3:prefix": s.settings.BaselineKey}})
			if !list {
				t.Errorf("s3:ListBucketVersions: got %v on %v, want the baselines bucket, the baseline key's prefix only", st.raw["Condition"], st.resources)
			}
		}
		if slices.Contains(st.actions, "s3:GetObjectVersion") {
			get = slices.ContainsFunc(st.resources, func(r any) bool { return reflect.DeepEqual(r, object) })
			if len(st.resources) != 1 || !get {
				t.Errorf("s3:GetObjectVersion on: got %v, want the baseline object only", st.resources)
			}
		}
	}
	if !list || !get {
		t.Errorf("reverter: may list the baseline's versions %v, read them %v; want both (the hold-down)", list, get)
	}
}
