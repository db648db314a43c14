package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// These check the harness's own pieces; they run in every make test.

func TestStacksComeFromTheManifest(t *testing.T) {
	dir := t.TempDir()
	manifest := `{"version":"41.0.0","artifacts":{
		"main":{"type":"aws:cloudformation:stack","environment":"aws://111122223333/us-west-2","properties":{"templateFile":"main.template.json","stackName":"eksdrift-e2e"}},
		"fwd":{"type":"aws:cloudformation:stack","environment":"aws://111122223333/us-east-1","properties":{"templateFile":"fwd.template.json"}},
		"Tree":{"type":"cdk:tree","properties":{"file":"tree.json"}}}}`
	for name, body := range map[string]string{
		"manifest.json":      manifest,
		"main.template.json": `{"Resources":{}}`,
		"fwd.template.json":  `{"Resources":{}}`,
		// Left by an older synthesis: cdk synth does not delete it.
		"stale.template.json": `{"Resources":{}}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := stacks(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range got {
		names = append(names, s.Name+"@"+s.Environment)
	}
	want := []string{"eksdrift-e2e@aws://111122223333/us-west-2", "fwd@aws://111122223333/us-east-1"}
	if !slices.Equal(names, want) {
		t.Errorf("got %v, want %v", names, want)
	}
}

func TestRuleSources(t *testing.T) {
	dir := t.TempDir()
	manifest := `{"artifacts":{"main":{"type":"aws:cloudformation:stack","environment":"aws://1/r","properties":{"templateFile":"main.template.json"}}}}`
	template := `{"Resources":{
		"Eks":{"Type":"AWS::Events::Rule","Properties":{"EventPattern":{"source":["aws.eks"],"detail-type":["AWS API Call via CloudTrail"]}}},
		"Iam":{"Type":"AWS::Events::Rule","Properties":{"EventPattern":{"source":["aws.iam"]}}},
		"Schedule":{"Type":"AWS::Events::Rule","Properties":{"ScheduleExpression":"rate(1 hour)"}},
		"Custom":{"Type":"AWS::Events::Rule","Properties":{"EventPattern":{"source":["my.app"]}}},
		"Queue":{"Type":"AWS::SQS::Queue","Properties":{}}}}`
	os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(manifest), 0o644)
	os.WriteFile(filepath.Join(dir, "main.template.json"), []byte(template), 0o644)
	got, err := ruleSources(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"aws.eks", "aws.iam"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestPasses(t *testing.T) {
	policy := map[string][]string{"severity": {"critical", "high"}, "decision": {"alert", "revert"}}
	for _, tc := range []struct {
		name  string
		attrs map[string]string
		want  bool
	}{
		{"both match", map[string]string{"severity": "high", "decision": "revert", "cluster": "prod"}, true},
		{"severity does not", map[string]string{"severity": "low", "decision": "revert"}, false},
		{"attribute missing", map[string]string{"severity": "high"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := passes(policy, tc.attrs); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestQuantile(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}} {
		if got := quantile(ds, tc.q); got != tc.want {
			t.Errorf("quantile %v: got %v, want %v", tc.q, got, tc.want)
		}
	}
	if got := quantile(nil, 0.5); got != 0 {
		t.Errorf("quantile of nothing: got %v, want 0", got)
	}
}

func TestUUIDIsVersion4(t *testing.T) {
	u := uuid()
	if len(u) != 36 || u[14] != '4' || !slices.Contains([]byte("89ab"), u[19]) {
		t.Errorf("got %q, want a version 4 UUID", u)
	}
}
