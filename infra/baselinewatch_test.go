package infra

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/routing"
)

// TestBaselineWatch checks that S3 sends the baselines bucket's events to
// EventBridge, that the stack's rules are routing.BaselineRules for the
// bucket and key, each targeting the detector with its dead-letter queue,
// and that the detector reads the versions of the baseline key only.
func TestBaselineWatch(t *testing.T) {
	s := synth(t, casePinned)
	tpl := mainTemplate(s)
	bucket := props(resources(tpl, "AWS::S3::Bucket")[logicalID(s.stacks.Main, s.stacks.Stores.Baselines)])
	nc, _ := bucket["NotificationConfiguration"].(map[string]any)
	if eb, _ := nc["EventBridgeConfiguration"].(map[string]any); eb["EventBridgeEnabled"] != true {
		t.Errorf("baselines bucket notifications: got %v, want EventBridgeEnabled true", bucket["NotificationConfiguration"])
	}
	if n := len(resources(tpl, "Custom::S3BucketNotifications")); n != 0 {
		t.Errorf("got %d notification custom resources, want none: CloudFormation sets it natively", n)
	}
	bucketRef := map[string]any{"Ref": logicalID(s.stacks.Main, s.stacks.Stores.Baselines)}
	rules := resources(tpl, "AWS::Events::Rule")
	for _, r := range routing.BaselineRules("BUCKET", "baseline.yaml") {
		t.Run(r.Name, func(t *testing.T) {
			rule, ok := s.stacks.BaselineWatch.Rules[r.Name]
			if !ok {
				t.Fatalf("no rule %s", r.Name)
			}
			var want any
			if err := json.Unmarshal([]byte(r.Pattern.JSON()), &want); err != nil {
				t.Fatal(err)
			}
			// The stack names the bucket by reference.
			replaceString(want, "BUCKET", bucketRef)
			got := props(rules[logicalID(s.stacks.Main, rule)])["EventPattern"]
			if !reflect.DeepEqual(got, want) {
				t.Errorf("pattern:\n got %v\nwant %v", got, want)
			}
			// The account files beside the baseline are watched too: a
			// prefix match on baselines/, in both rules. They used to match
			// the exact key only, so a write to baselines/<account>.yaml
			// reached no rule.
			if raw, _ := json.Marshal(got); !strings.Contains(string(raw), `"key":["baseline.yaml",{"prefix":"baselines/"}]`) {
				t.Errorf("pattern %s: want the key baseline.yaml and the prefix baselines/", raw)
			}
			targets := asList(props(rules[logicalID(s.stacks.Main, rule)])["Targets"])
			if len(targets) != 1 || targets[0].(map[string]any)["DeadLetterConfig"] == nil {
				t.Errorf("targets: got %v, want the detector with its dead-letter queue", targets)
			}
		})
	}
	var list, get bool
	for _, st := range roleStatements(t, s, s.stacks.Detector.Role) {
		switch {
		case slices.Contains(st.actions, "s3:ListBucketVersions"):
			list = true
			if c, _ := json.Marshal(st.raw["Condition"]); string(c) != `{"StringEquals":{"s3:prefix":"baseline.yaml"}}` {
				t.Errorf("s3:ListBucketVersions: got condition %s, want the baseline key as prefix", c)
			}
		case slices.Contains(st.actions, "s3:GetObjectVersion"):
			get = true
			if len(st.resources) != 1 {
				t.Errorf("s3:GetObjectVersion on %v, want the baseline object only", st.resources)
			}
		}
	}
	if !list || !get {
		t.Errorf("got list %v get %v, want the detector to read the baseline's versions", list, get)
	}
}

// replaceString replaces, in a decoded JSON value, every string s by v.
func replaceString(x any, s string, v any) {
	switch t := x.(type) {
	case map[string]any:
		for k, e := range t {
			if e == s {
				t[k] = v
			} else {
				replaceString(e, s, v)
			}
		}
	case []any:
		for i, e := range t {
			if e == s {
				t[i] = v
			} else {
				replaceString(e, s, v)
			}
		}
	}
}
