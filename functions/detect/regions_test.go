package main

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/detect"
	"github.com/eksdrift/eksdrift/internal/metrics"
)

// The detector enforces EKSDRIFT_REGIONS, with its own region and IAM's.
func TestDetectorGetsTheDeploymentsRegions(t *testing.T) {
	env := map[string]string{config.EnvRegions: "eu-west-1,eu-central-1"}
	d := &detect.Detector{}
	err := members(context.Background(), func(k string) string { return env[k] }, aws.Config{Region: "eu-west-1"}, config.Shared{}, d, &metrics.Set{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Regions; !slices.Equal(got.Regions, []string{"eu-west-1", "eu-central-1"}) || got.Home != "eu-west-1" || got.Global != "us-east-1" {
		t.Errorf("got %+v, want the regions, the home region and us-east-1 for IAM", got)
	}
}
