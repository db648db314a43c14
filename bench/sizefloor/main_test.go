package main

import (
	"context"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestServices(t *testing.T) {
	const ours = "github.com/eksdrift/eksdrift/internal/"
	tests := []struct {
		name    string
		deps    map[string][]string
		want    []string
		wantErr string
	}{
		{
			name: "the config loader's own services get no call",
			deps: map[string][]string{
				sdkPrefix + "config":      {sdkPrefix + "service/sts", sdkPrefix + "service/sso"},
				sdkPrefix + "credentials": {sdkPrefix + "service/ssooidc", sdkPrefix + "service/signin"},
			},
			want: nil,
		},
		{
			name: "a service our code imports gets one, even when the config loader links it",
			deps: map[string][]string{
				sdkPrefix + "config":        {sdkPrefix + "service/sts"},
				ours + "eks":                {sdkPrefix + "service/eks", sdkPrefix + "service/eks/types"},
				"example.com/main/function": {sdkPrefix + "service/sts", ours + "eks"},
			},
			want: []string{"eks", "sts"},
		},
		{
			name: "sub-packages and the SDK's internal packages are not services",
			deps: map[string][]string{
				ours + "s3": {sdkPrefix + "service/s3/types", sdkPrefix + "service/internal", sdkPrefix + "service/internal/checksum"},
			},
			want: nil,
		},
		{
			name: "a service with no operation in the table is an error",
			deps: map[string][]string{
				ours + "kinesis": {sdkPrefix + "service/kinesis", sdkPrefix + "service/sns", sdkPrefix + "service/lambda"},
			},
			wantErr: "no operation for service kinesis, lambda",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Services(tt.deps)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error: got %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("services: got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestProbe checks that the generated probe is Go and calls exactly the
// operation of each service, and that a service missing from the table is
// refused rather than left out of the floor.
func TestProbe(t *testing.T) {
	src, err := Probe([]string{"eks", "sns"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parser.ParseFile(token.NewFileSet(), "main.go", src, 0); err != nil {
		t.Fatalf("probe does not parse: %v\n%s", err, src)
	}
	for _, want := range []string{
		"config.LoadDefaultConfig(ctx)",
		"lambda.Start(",
		"eks.NewFromConfig(cfg).DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{})",
		"sns.NewFromConfig(cfg).Publish(ctx, &sns.PublishInput{})",
	} {
		if !strings.Contains(string(src), want) {
			t.Errorf("probe: got no %q, want it in\n%s", want, src)
		}
	}
	if n := strings.Count(string(src), "NewFromConfig"); n != 2 {
		t.Errorf("clients: got %v, want %v", n, 2)
	}
	if _, err := Probe([]string{"eks", "kinesis"}); err == nil {
		t.Errorf("probe of kinesis: got no error, want one (no operation in the table)")
	}
}

// TestEveryFunctionHasAFloor runs the floor's first step on every function:
// each service a function links must have its operation in the table, so
// that make size cannot print a floor that leaves a service out.
func TestEveryFunctionHasAFloor(t *testing.T) {
	fns, err := os.ReadDir(filepath.Join("..", "..", "functions"))
	if err != nil {
		t.Fatal(err)
	}
	if len(fns) == 0 {
		t.Fatal("no functions found")
	}
	for _, fn := range fns {
		t.Run(fn.Name(), func(t *testing.T) {
			deps, err := goList(context.Background(), "lambda.norpc,nethttpomithttp2", "../../functions/"+fn.Name())
			if err != nil {
				t.Fatal(err)
			}
			services, err := Services(deps)
			if err != nil {
				t.Fatal(err)
			}
			if len(services) == 0 {
				t.Errorf("services of functions/%s: got none, want the clients it builds", fn.Name())
			}
		})
	}
}
