package infra

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/k8saudit"
)

func TestAuditLogSubscriptions(t *testing.T) {
	tests := []struct {
		c      synthCase
		groups []string
	}{
		// Every cluster of the account ("*") names no log group.
		{caseDefault, nil},
		{casePinned, []string{"/aws/eks/prod/cluster", "/aws/eks/staging/cluster"}},
	}
	for _, tt := range tests {
		t.Run(tt.c.name, func(t *testing.T) {
			s := synth(t, tt.c)
			tpl := mainTemplate(s)
			detector := logicalID(s.stacks.Main, s.stacks.Detector.Fn)
			var groups []string
			for _, f := range resources(tpl, "AWS::Logs::SubscriptionFilter") {
				p := props(f)
				groups = append(groups, p["LogGroupName"].(string))
				if p["FilterPattern"] != k8saudit.FilterPattern || p["FilterName"] != AuditLogFilterName {
					t.Errorf("got pattern %v named %v, want k8saudit.FilterPattern named %s", p["FilterPattern"], p["FilterName"], AuditLogFilterName)
				}
				if !strings.Contains(toJSON(t, p["DestinationArn"]), detector) {
					t.Errorf("got destination %v, want the detector %s", p["DestinationArn"], detector)
				}
			}
			sort.Strings(groups)
			if !reflect.DeepEqual(groups, tt.groups) {
				t.Errorf("got log groups %v, want %v", groups, tt.groups)
			}
			// CloudWatch Logs may invoke the detector from these log groups only.
			var sources []string
			for _, perm := range resources(tpl, "AWS::Lambda::Permission") {
				p := props(perm)
				if p["Principal"] == "logs.amazonaws.com" {
					sources = append(sources, toJSON(t, p["SourceArn"]))
					if !strings.Contains(toJSON(t, p["FunctionName"]), detector) {
						t.Errorf("got permission on %v, want the detector", p["FunctionName"])
					}
				}
			}
			if len(sources) != len(tt.groups) {
				t.Errorf("got %d permissions for CloudWatch Logs (%v), want one per log group (%d)", len(sources), sources, len(tt.groups))
			}
			for i, src := range sources {
				if !strings.Contains(src, "log-group:/aws/eks/") {
					t.Errorf("permission %d: got source %s, want a cluster's audit log group", i, src)
				}
			}
		})
	}
}

func TestReadAuditLogClusters(t *testing.T) {
	tests := []struct {
		name   string
		ctx    map[string]any
		want   []string
		errHas string
	}{
		{"default: the named clusters, ARNs by name, patterns left out",
			map[string]any{CtxClusters: "prod,arn:aws:eks:eu-west-1:111122223333:cluster/staging,team-*"}, []string{"prod", "staging"}, ""},
		{"given", map[string]any{CtxClusters: "prod,staging", CtxAuditLogClusters: "staging"}, []string{"staging"}, ""},
		{"none", map[string]any{CtxClusters: "prod", CtxAuditLogClusters: "[]"}, []string{}, ""},
		{"a name that is no cluster's", map[string]any{CtxAuditLogClusters: `["prod","x/../y"]`}, nil, `"x/../y" is not an EKS cluster name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := readSettings(tt.ctx, Env{})
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Errorf("got %v, want an error containing %q", err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s.AuditLogClusters, tt.want) {
				t.Errorf("got %#v, want %#v", s.AuditLogClusters, tt.want)
			}
		})
	}
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
