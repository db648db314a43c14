package config

import (
	"strings"
	"testing"
)

func TestDeployment(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		want  map[string]string
		error string
	}{
		{"not set", nil, nil, ""},
		{"set", map[string]string{EnvDeployment: `{"StackName":"eksdrift","Trail":"t"}`, EnvFunctionName: "eksdrift-Detector-1"},
			map[string]string{"StackName": "eksdrift", "Trail": "t", "DetectorFunction": "eksdrift-Detector-1"}, ""},
		{"the object's own name wins", map[string]string{EnvDeployment: `{"StackName":"eksdrift","DetectorFunction":"d"}`, EnvFunctionName: "other"},
			map[string]string{"StackName": "eksdrift", "DetectorFunction": "d"}, ""},
		{"not JSON", map[string]string{EnvDeployment: `StackName=eksdrift`}, nil, "not a JSON object"},
		{"no stack name", map[string]string{EnvDeployment: `{"Trail":"t"}`}, nil, "no StackName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Deployment(func(k string) string { return tt.env[k] }, "DetectorFunction")
			if tt.error != "" {
				if err == nil || !strings.Contains(err.Error(), tt.error) {
					t.Fatalf("got error %v, want one saying %q", err, tt.error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s: got %q, want %q", k, got[k], v)
				}
			}
		})
	}
}
