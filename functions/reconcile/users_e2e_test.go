package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/lambdatest"
	"github.com/eksdrift/eksdrift/internal/stacktest"
)

// noServiceCredentials answers ListServiceSpecificCredentials, which
// MiniStack 1.5.33 does not serve ("Unknown IAM action"), with none, in
// front of the emulator: every other call goes to MiniStack as it came.
type noServiceCredentials struct{ next http.Handler }

func (s noServiceCredentials) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if form, _ := url.ParseQuery(string(body)); form.Get("Action") == "ListServiceSpecificCredentials" {
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<ListServiceSpecificCredentialsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListServiceSpecificCredentialsResult>`+
			`<ServiceSpecificCredentials></ServiceSpecificCredentials><IsTruncated>false</IsTruncated></ListServiceSpecificCredentialsResult>`+
			`<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></ListServiceSpecificCredentialsResponse>`)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.next.ServeHTTP(w, r)
}

// TestSweepOfDeclaredUsers: an access key made while no event reached the
// detector is found by the reconcile function's sweep of the baseline's
// iamUsers (real bootstrap, real IAM adapter, MiniStack's IAM), recorded
// once, and closed when the key is deleted outside eksdrift.
func TestSweepOfDeclaredUsers(t *testing.T) {
	ctx := context.Background()
	w := stacktest.New(t, []byte("version: 1\n"))
	queue := w.Subscribe(t, "")
	im := awsiam.NewFromConfig(w.Config)
	name := awstest.Name(t, "deploy")
	out, err := im.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String(name), Path: aws.String("/ci/")})
	must(t, err)
	userARN := aws.ToString(out.User.Arn)
	gone := "arn:aws:iam::000000000000:user/" + awstest.Name(t, "gone")
	b := fmt.Sprintf(`version: 1
mode: alert
iamUsers:
  - arn: %s
    accessKeys: []
    managedPolicies: []
    inlinePolicies: {}
    groups: []
    permissionsBoundary: ""
  - arn: %s
`, userARN, gone)
	_, err = awss3.NewFromConfig(w.Config).PutObject(ctx, &awss3.PutObjectInput{Bucket: &w.Bucket, Key: &w.Key, Body: strings.NewReader(b)})
	must(t, err)

	// The key the detector never heard of.
	k, err := im.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String(name)})
	must(t, err)
	key := aws.ToString(k.AccessKey.AccessKeyId)

	u, err := url.Parse(awstest.Endpoint(t))
	must(t, err)
	proxy := httptest.NewServer(noServiceCredentials{next: httputil.NewSingleHostReverseProxy(u)})
	t.Cleanup(proxy.Close)
	w.Env["AWS_ENDPOINT_URL"] = proxy.URL
	w.Env[config.EnvCatchUp] = "false"
	fn := lambdatest.Start(t, lambdatest.Build(t, "./functions/reconcile"), w.Env)

	t1 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	first := invoke(t, fn, t1)
	if first.Sweep.Users != 2 || first.Sweep.Recorded != 1 || first.Sweep.Errors != 0 {
		t.Fatalf("first run: got %+v, want 2 users read, 1 drift recorded", first.Sweep)
	}
	if msgs := w.Receive(t, queue, 3*time.Second); len(msgs) != 1 {
		t.Errorf("got %d messages after the first run, want 1", len(msgs))
	}
	fs, err := w.History.Query(ctx, drift.HistoryQuery{Principal: userARN})
	must(t, err)
	if len(fs) != 1 || fs[0].Kind != drift.KindUser || fs[0].Resource != name+"|access-key|"+key || fs[0].DetectedBy != drift.DetectedBySweep || fs[0].NotifiedAt == nil {
		t.Fatalf("got findings %+v, want the sweep's published drift of key %s", fs, key)
	}
	if again := invoke(t, fn, t1.Add(time.Hour)); again.Sweep.Recorded != 0 || again.Sweep.AlreadyOpen != 1 {
		t.Errorf("second run: got %+v, want the drift already open", again.Sweep)
	}

	_, err = im.DeleteAccessKey(ctx, &awsiam.DeleteAccessKeyInput{UserName: aws.String(name), AccessKeyId: aws.String(key)})
	must(t, err)
	if fixed := invoke(t, fn, t1.Add(2*time.Hour)); fixed.Sweep.Resolved != 1 || fixed.Sweep.Drift != 0 {
		t.Errorf("after the key is deleted: got %+v, want the drift resolved", fixed.Sweep)
	}
	if !fn.LogsContain(`"UsersScanned"`, 2*time.Second) {
		t.Error("no UsersScanned metric in the function's output")
	}
}
