package e2e

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	awsevents "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	evtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/dynamodb"
)

// stack is the deployed eksdrift and the test's view of it.
type stack struct {
	cfg aws.Config // the account's root, in region
	// res maps a resource's CDK path in the main stack (Detector/Function/Resource)
	// to its physical ID; out holds the main stack's outputs.
	res, out map[string]string

	bucket, baselineKey string
	findingsTopic       string
	chatbotTopic        string
	history             *dynamodb.Store
	baselineVersion     string

	// findingsQ and chatbotQ are the test's own queues on the two topics,
	// subscribed with raw delivery and no filter.
	findingsQ, chatbotQ string
	slack               *slackStub
	// alarmQ is the test's queue on the alarm topic, once a tamper
	// scenario subscribes it; alarms keeps what a wait did not ask for.
	alarmQ string
	alarms []string

	eks    *awseks.Client
	iam    *awsiam.Client
	s3     *awss3.Client
	sqs    *awssqs.Client
	sns    *awssns.Client
	events *awsevents.Client
	lambda *awslambda.Client
	sts    *awssts.Client

	// mu keeps the findings queue's messages that a wait did not ask for,
	// for the next.
	mu      sync.Mutex
	pending []sqstypes.Message
}

// deploy does what a new user does (bootstrap, deploy every stack, upload
// the baseline as its writer), then builds the sample world's clusters and
// roles as the baseline declares them, and subscribes the test's queues.
func deploy(t *testing.T) (*stack, error) {
	ctx := context.Background()
	s := &stack{cfg: awstest.Config(t), baselineKey: "baseline.yaml"}
	s.eks = awseks.NewFromConfig(s.cfg)
	s.iam = awsiam.NewFromConfig(s.cfg)
	s.s3 = awss3.NewFromConfig(s.cfg, func(o *awss3.Options) { o.UsePathStyle = true })
	s.sqs = awssqs.NewFromConfig(s.cfg)
	s.sns = awssns.NewFromConfig(s.cfg)
	s.events = awsevents.NewFromConfig(s.cfg)
	s.lambda = awslambda.NewFromConfig(s.cfg)
	s.sts = awssts.NewFromConfig(s.cfg)

	// The Slack stand-in and its secret exist before the notifier runs.
	s.slack = newSlackStub()
	sm := awssm.NewFromConfig(s.cfg)
	if _, err := sm.CreateSecret(ctx, &awssm.CreateSecretInput{Name: aws.String(slackSecret), SecretString: aws.String(s.slack.URL + "/services/T000/B000/e2e")}); awstest.Created(err) != nil {
		return nil, fmt.Errorf("slack secret: %w", err)
	}
	// The baseline's writer, before the bucket policy names it.
	if err := s.createWriter(ctx); err != nil {
		return nil, err
	}

	sts, err := deployAll(ctx)
	if err != nil {
		return nil, err
	}
	for _, st := range sts {
		if st.Name != stackName {
			continue
		}
		if s.res, s.out, err = stackResources(ctx, s.cfg, st); err != nil {
			return nil, err
		}
	}
	if s.res == nil {
		return nil, fmt.Errorf("manifest.json has no stack %s", stackName)
	}
	s.bucket, s.findingsTopic, s.chatbotTopic = s.out["BaselineBucket"], s.out["FindingsTopic"], s.out["ChatbotTopic"]
	s.history = dynamodb.New(awsddb.NewFromConfig(s.cfg), s.out["HistoryTable"])
	for k, v := range map[string]string{"BaselineBucket": s.bucket, "FindingsTopic": s.findingsTopic, "ChatbotTopic": s.chatbotTopic, "HistoryTable": s.out["HistoryTable"]} {
		if v == "" {
			return nil, fmt.Errorf("stack %s has no output %s", stackName, k)
		}
	}

	start := time.Now()
	body, err := os.ReadFile(filepath.Join(p.root, "events", "baseline.yaml"))
	if err != nil {
		return nil, err
	}
	if err := s.buildWorld(ctx, body); err != nil {
		return nil, fmt.Errorf("building the sample world: %w", err)
	}
	if s.baselineVersion, err = s.uploadBaseline(ctx, body); err != nil {
		return nil, err
	}
	if s.findingsQ, err = s.subscribe(ctx, s.findingsTopic, "findings"); err != nil {
		return nil, err
	}
	if s.chatbotQ, err = s.subscribe(ctx, s.chatbotTopic, "chatbot"); err != nil {
		return nil, err
	}
	timings["world and baseline"] = time.Since(start)
	return s, nil
}

// createWriter makes the role allowed to write the baseline: assumable by
// the account, allowed s3:PutObject on the bucket's objects and the key
// calls an SSE-KMS upload makes.
func (s *stack) createWriter(ctx context.Context) error {
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole"}]}`, account)
	if _, err := s.iam.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String(writerRole), AssumeRolePolicyDocument: aws.String(trust)}); awstest.Created(err) != nil {
		return fmt.Errorf("baseline writer role: %w", err)
	}
	// The bucket is named at deployment; the grant names the stack's prefix.
	policy := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::` + strings.ToLower(stackName) + `-*/*"},
		{"Effect":"Allow","Action":["kms:GenerateDataKey","kms:Decrypt"],"Resource":"arn:aws:kms:` + region + `:` + account + `:key/*"}]}`
	if _, err := s.iam.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String(writerRole), PolicyName: aws.String("write-baseline"), PolicyDocument: aws.String(policy)}); err != nil {
		return fmt.Errorf("baseline writer policy: %w", err)
	}
	return nil
}

// as gives a configuration with the credentials of a session of role.
func (s *stack) as(ctx context.Context, roleARN string) (aws.Config, error) {
	out, err := s.sts.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("e2e")})
	if err != nil {
		return aws.Config{}, fmt.Errorf("assuming %s: %w", roleARN, err)
	}
	c := s.cfg.Copy()
	c.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
	return c, nil
}

// uploadBaseline puts the baseline as the writer role and gives its version.
func (s *stack) uploadBaseline(ctx context.Context, body []byte) (string, error) {
	cfg, err := s.as(ctx, fmt.Sprintf("arn:aws:iam::%s:role/%s", account, writerRole))
	if err != nil {
		return "", err
	}
	c := awss3.NewFromConfig(cfg, func(o *awss3.Options) { o.UsePathStyle = true })
	out, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.baselineKey), Body: strings.NewReader(string(body))})
	if err != nil {
		return "", fmt.Errorf("uploading the baseline as %s: %w", writerRole, err)
	}
	return aws.ToString(out.VersionId), nil
}

// subscribe makes a queue whose policy lets the topic (and only it) send,
// subscribed to the topic with raw delivery.
func (s *stack) subscribe(ctx context.Context, topicARN, name string) (string, error) {
	q, err := s.sqs.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String(awstest.Name(nil, "e2e-"+name))})
	if err != nil {
		return "", err
	}
	a, err := s.sqs.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return "", err
	}
	arn := a.Attributes["QueueArn"]
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":%q,"Condition":{"ArnEquals":{"aws:SourceArn":%q}}}]}`, arn, topicARN)
	if _, err := s.sqs.SetQueueAttributes(ctx, &awssqs.SetQueueAttributesInput{QueueUrl: q.QueueUrl, Attributes: map[string]string{"Policy": policy}}); err != nil {
		return "", err
	}
	if _, err := s.sns.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String("sqs"), Endpoint: aws.String(arn),
		Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		return "", fmt.Errorf("subscribing %s to %s: %w", name, topicARN, err)
	}
	return aws.ToString(q.QueueUrl), nil
}

// buildWorld makes the baseline's clusters, access entries, pod identity
// associations and roles as it declares them, so that the account starts
// compliant.
func (s *stack) buildWorld(ctx context.Context, body []byte) error {
	b, err := baseline.Parse("events/baseline.yaml", body)
	if err != nil {
		return err
	}
	for _, name := range []string{"platform-boundary", "workload-boundary"} {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
		if _, err := s.iam.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(doc)}); awstest.Created(err) != nil {
			return fmt.Errorf("policy %s: %w", name, err)
		}
	}
	for _, r := range b.IAMRoles {
		if err := s.createRole(ctx, r); err != nil {
			return err
		}
	}
	for _, extra := range []string{"eks-cluster", "contractor", "eks-node-role", "lambda-exec", "break-glass"} {
		if err := s.createRole(ctx, drift.RoleBaseline{ARN: fmt.Sprintf("arn:aws:iam::%s:role/%s", account, extra)}); err != nil {
			return err
		}
	}
	for _, c := range b.Clusters {
		if err := s.createCluster(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

const defaultTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`

func (s *stack) createRole(ctx context.Context, r drift.RoleBaseline) error {
	name := r.Name()
	path := "/"
	if i := strings.Index(r.ARN, ":role/"); i >= 0 {
		full := r.ARN[i+len(":role/"):]
		if j := strings.LastIndex(full, "/"); j >= 0 {
			path = "/" + full[:j+1]
		}
	}
	trust := defaultTrust
	if r.TrustPolicy != nil {
		b, err := json.Marshal(r.TrustPolicy)
		if err != nil {
			return err
		}
		trust = string(b)
	}
	in := &awsiam.CreateRoleInput{RoleName: aws.String(name), Path: aws.String(path), AssumeRolePolicyDocument: aws.String(trust)}
	if r.PermissionsBoundary != nil && *r.PermissionsBoundary != "" {
		in.PermissionsBoundary = r.PermissionsBoundary
	}
	if _, err := s.iam.CreateRole(ctx, in); awstest.Created(err) != nil {
		return fmt.Errorf("role %s: %w", r.ARN, err)
	}
	for _, m := range r.ManagedPolicies {
		if _, err := s.iam.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(m)}); err != nil {
			return fmt.Errorf("role %s: attaching %s: %w", r.ARN, m, err)
		}
	}
	for pn, doc := range r.InlinePolicies {
		b, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		if _, err := s.iam.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(pn), PolicyDocument: aws.String(string(b))}); err != nil {
			return fmt.Errorf("role %s: inline policy %s: %w", r.ARN, pn, err)
		}
	}
	return nil
}

func (s *stack) createCluster(ctx context.Context, c drift.ClusterBaseline) error {
	mode := ekstypes.AuthenticationMode(c.AuthenticationMode)
	if mode == "" {
		mode = ekstypes.AuthenticationModeApi
	}
	if _, err := s.eks.CreateCluster(ctx, &awseks.CreateClusterInput{
		Name: aws.String(c.Name), RoleArn: aws.String("arn:aws:iam::" + account + ":role/eks-cluster"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1", "subnet-2"}},
		AccessConfig: &ekstypes.CreateAccessConfigRequest{AuthenticationMode: mode,
			BootstrapClusterCreatorAdminPermissions: aws.Bool(false)},
	}); err != nil {
		return fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	for _, e := range c.AccessEntries {
		if err := s.createEntry(ctx, c.Name, e); err != nil {
			return err
		}
	}
	for _, a := range c.PodIdentityAssociations {
		in := &awseks.CreatePodIdentityAssociationInput{ClusterName: aws.String(c.Name),
			Namespace: aws.String(a.Namespace), ServiceAccount: aws.String(a.ServiceAccount), RoleArn: aws.String(a.RoleARN), DisableSessionTags: aws.Bool(a.SessionTagsDisabled())}
		if a.TargetRoleARN != "" {
			in.TargetRoleArn = aws.String(a.TargetRoleARN)
		}
		if a.Policy != nil {
			in.Policy = aws.String(a.Policy.String())
		}
		if _, err := s.eks.CreatePodIdentityAssociation(ctx, in); awstest.Created(err) != nil {
			return fmt.Errorf("cluster %s: pod identity %s/%s: %w", c.Name, a.Namespace, a.ServiceAccount, err)
		}
	}
	for _, i := range c.IdentityProviderConfigs {
		if _, err := s.eks.AssociateIdentityProviderConfig(ctx, &awseks.AssociateIdentityProviderConfigInput{ClusterName: aws.String(c.Name),
			Oidc: &ekstypes.OidcIdentityProviderConfigRequest{IdentityProviderConfigName: aws.String(i.Name), IssuerUrl: aws.String(i.IssuerURL), ClientId: aws.String(orDefault(i.ClientID, "kubernetes"))}}); err != nil {
			return fmt.Errorf("cluster %s: identity provider %s: %w", c.Name, i.Name, err)
		}
	}
	return nil
}

func (s *stack) createEntry(ctx context.Context, cluster string, e drift.AccessEntryBaseline) error {
	in := &awseks.CreateAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(e.PrincipalARN), KubernetesGroups: e.KubernetesGroups}
	if e.Type != "" {
		in.Type = aws.String(e.Type)
	}
	if e.Username != "" {
		in.Username = aws.String(e.Username)
	}
	if _, err := s.eks.CreateAccessEntry(ctx, in); awstest.Created(err) != nil {
		return fmt.Errorf("cluster %s: access entry %s: %w", cluster, e.PrincipalARN, err)
	}
	for _, ap := range e.AccessPolicies {
		if _, err := s.eks.AssociateAccessPolicy(ctx, &awseks.AssociateAccessPolicyInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(e.PrincipalARN),
			PolicyArn: aws.String(ap.PolicyARN), AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeType(ap.Scope.Type), Namespaces: ap.Scope.Namespaces}}); err != nil {
			return fmt.Errorf("cluster %s: %s: %s: %w", cluster, e.PrincipalARN, ap.PolicyARN, err)
		}
	}
	return nil
}

// putEvent puts one sample on the default bus of the main region, as
// CloudTrail's delivery would (the launcher lets its aws.* source through).
// IAM's events too: in AWS they arrive in us-east-1 and the forwarder
// stack's rule puts them on this bus, but MiniStack does not model
// cross-region bus targets, so the harness skips that hop (the forwarder's
// rule and target are checked on the template by infra's tests).
func (s *stack) putEvent(ctx context.Context, sample []byte) (time.Time, error) {
	var e struct {
		Source     string          `json:"source"`
		DetailType string          `json:"detail-type"`
		Resources  []string        `json:"resources"`
		Detail     json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal(sample, &e); err != nil {
		return time.Time{}, err
	}
	sent := time.Now()
	out, err := s.events.PutEvents(ctx, &awsevents.PutEventsInput{Entries: []evtypes.PutEventsRequestEntry{{
		Source: aws.String(e.Source), DetailType: aws.String(e.DetailType), Detail: aws.String(string(e.Detail)), Resources: e.Resources,
		EventBusName: aws.String("default"),
	}}})
	if err != nil {
		return sent, fmt.Errorf("PutEvents: %w", err)
	}
	if out.FailedEntryCount > 0 {
		return sent, fmt.Errorf("PutEvents refused %s: %s %s", e.Source, aws.ToString(out.Entries[0].ErrorCode), aws.ToString(out.Entries[0].ErrorMessage))
	}
	return sent, nil
}

// fresh gives a sample as a new CloudTrail event: a new eventID (and
// requestID), so its findings are new to the history, which would
// otherwise take it for a redelivery of an event it has seen.
func fresh(t *testing.T, name string) ([]byte, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(p.root, "events", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	d := ev["detail"].(map[string]any)
	id := uuid()
	d["eventID"], d["requestID"] = id, uuid()
	// The change happens now, as the test makes it: the reverter lets a
	// newer recorded change to the resource (a sweep's finding, for one)
	// win over an older finding, and the samples' own times are old.
	now := time.Now().UTC().Format(time.RFC3339)
	d["eventTime"], ev["time"] = now, now
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out, id
}

func uuid() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// message is one finding (or outcome) as it arrived on the test's queue.
type message struct {
	Finding drift.Finding
	// Outcome is set for messageType outcome; Finding is then its finding.
	Outcome  *drift.Outcome
	Attrs    map[string]string
	Received time.Time
}

// awaitFindings takes findings off the test's findings queue until every
// ID in ids has come (other messages are kept for a later wait), or wait
// has passed.
func (s *stack) awaitFindings(t *testing.T, ids []string, messageType string, wait time.Duration) map[string]message {
	t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	got := map[string]message{}
	take := func(m sqstypes.Message) bool {
		attrs := map[string]string{}
		for k, v := range m.MessageAttributes {
			attrs[k] = aws.ToString(v.StringValue)
		}
		msg := message{Attrs: attrs, Received: time.Now()}
		var err error
		if attrs["messageType"] == "outcome" {
			msg.Outcome = &drift.Outcome{}
			err = json.Unmarshal([]byte(aws.ToString(m.Body)), msg.Outcome)
			msg.Finding = msg.Outcome.Finding
		} else {
			err = json.Unmarshal([]byte(aws.ToString(m.Body)), &msg.Finding)
		}
		if err != nil {
			t.Errorf("a message on the findings topic is no %s: %v: %s", attrs["messageType"], err, aws.ToString(m.Body))
			return true
		}
		if id := msg.Finding.ID(); want[id] && attrs["messageType"] == messageType {
			got[id] = msg
			return true
		}
		return false
	}
	s.mu.Lock()
	kept := s.pending[:0]
	for _, m := range s.pending {
		if !take(m) {
			kept = append(kept, m)
		}
	}
	s.pending = kept
	s.mu.Unlock()
	deadline := time.Now().Add(wait)
	for len(got) < len(want) && time.Now().Before(deadline) {
		out, err := s.sqs.ReceiveMessage(context.Background(), &awssqs.ReceiveMessageInput{
			QueueUrl: &s.findingsQ, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: []string{"All"},
		})
		if err != nil {
			t.Fatalf("receiving from the findings queue: %v", err)
		}
		for _, m := range out.Messages {
			s.sqs.DeleteMessage(context.Background(), &awssqs.DeleteMessageInput{QueueUrl: &s.findingsQ, ReceiptHandle: m.ReceiptHandle})
			if !take(m) {
				s.mu.Lock()
				s.pending = append(s.pending, m)
				s.mu.Unlock()
			}
		}
	}
	return got
}

// drain takes whatever is on a queue within wait.
func (s *stack) drain(t *testing.T, queueURL string, wait time.Duration) []sqstypes.Message {
	t.Helper()
	var got []sqstypes.Message
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		out, err := s.sqs.ReceiveMessage(context.Background(), &awssqs.ReceiveMessageInput{
			QueueUrl: &queueURL, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: []string{"All"}, MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{"All"},
		})
		if err != nil {
			t.Fatalf("receiving from %s: %v", queueURL, err)
		}
		for _, m := range out.Messages {
			got = append(got, m)
			s.sqs.DeleteMessage(context.Background(), &awssqs.DeleteMessageInput{QueueUrl: &queueURL, ReceiptHandle: m.ReceiptHandle})
		}
	}
	return got
}

// queueURL gives the URL of a queue of the stack by its CDK path.
func (s *stack) queueURL(t *testing.T, path string) string {
	t.Helper()
	id := s.res[path]
	if id == "" {
		t.Fatalf("the stack has no %s", path)
	}
	if strings.HasPrefix(id, "https://") || strings.HasPrefix(id, "http://") {
		return id
	}
	out, err := s.sqs.GetQueueUrl(context.Background(), &awssqs.GetQueueUrlInput{QueueName: aws.String(id[strings.LastIndex(id, "/")+1:])})
	if err != nil {
		t.Fatalf("queue %s (%s): %v", path, id, err)
	}
	return aws.ToString(out.QueueUrl)
}

// roleARN gives the ARN of a role of the stack by its CDK path.
func (s *stack) roleARN(t *testing.T, path string) string {
	t.Helper()
	name := s.res[path]
	if name == "" {
		t.Fatalf("the stack has no %s", path)
	}
	if strings.HasPrefix(name, "arn:") {
		return name
	}
	out, err := s.iam.GetRole(context.Background(), &awsiam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		t.Fatalf("role %s (%s): %v", path, name, err)
	}
	return aws.ToString(out.Role.Arn)
}

// denied reports whether err is an authorization refusal.
func denied(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	c := ae.ErrorCode()
	return strings.Contains(c, "AccessDenied") || c == "AuthorizationError" || c == "UnauthorizedOperation" || c == "AuthorizationErrorException" || c == "KMSAccessDeniedException"
}

// slackStub stands in for Slack's incoming webhook on 127.0.0.1 and keeps
// every post it receives.
type slackStub struct {
	*httptest.Server
	mu    sync.Mutex
	posts []slackPost
}

type slackPost struct {
	Text     string
	Body     []byte
	Received time.Time
}

func newSlackStub() *slackStub {
	s := &slackStub{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m struct {
			Text string `json:"text"`
		}
		json.Unmarshal(b, &m)
		s.mu.Lock()
		s.posts = append(s.posts, slackPost{Text: m.Text, Body: b, Received: time.Now()})
		s.mu.Unlock()
		w.Write([]byte("ok"))
	}))
	return s
}

// await waits until a post contains every one of parts, and gives it.
func (s *slackStub) await(wait time.Duration, parts ...string) (slackPost, bool) {
	deadline := time.Now().Add(wait)
	for {
		s.mu.Lock()
		for _, p := range s.posts {
			ok := true
			for _, part := range parts {
				ok = ok && strings.Contains(string(p.Body), part)
			}
			if ok {
				s.mu.Unlock()
				return p, true
			}
		}
		s.mu.Unlock()
		if time.Now().After(deadline) {
			return slackPost{}, false
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// filterPolicy gives the filter policy of the main stack's subscription
// whose CDK path starts with prefix (Notifier/, Reverter/), as deployed.
func filterPolicy(t *testing.T, prefix string) map[string][]string {
	t.Helper()
	tp, err := readTemplate(filepath.Join(p.assembly, stackName+".template.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range tp.Resources {
		if r.Type != "AWS::SNS::Subscription" || !strings.HasPrefix(r.Metadata.Path, stackName+"/"+prefix) {
			continue
		}
		var props struct {
			FilterPolicy map[string][]string `json:"FilterPolicy"`
		}
		if err := json.Unmarshal(r.Properties, &props); err != nil {
			t.Fatalf("subscription %s: its filter policy is not exact-match lists, which this harness reads: %v", r.Metadata.Path, err)
		}
		return props.FilterPolicy
	}
	t.Fatalf("the main stack has no subscription under %s", prefix)
	return nil
}

// passes says whether message attributes pass an exact-match filter policy.
func passes(policy map[string][]string, attrs map[string]string) bool {
	for k, values := range policy {
		v, ok := attrs[k]
		if !ok || !slices.Contains(values, v) {
			return false
		}
	}
	return true
}
