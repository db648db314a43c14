package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadReconcile(t *testing.T) {
	env := map[string]string{
		EnvBaselineBucket: "b", EnvBaselineKey: "k", EnvHistoryTable: "t",
		EnvFindingsTopicARN: "arn:aws:sns:us-west-2:111122223333:findings", "AWS_REGION": "us-west-2",
	}
	get := func(k string) string { return env[k] }
	c, err := LoadReconcile(get)
	if err != nil {
		t.Fatal(err)
	}
	if !c.CatchUp || !slices.Equal(c.CatchUpRegions, []string{"us-west-2"}) || c.CatchUpOverlap != 20*time.Minute ||
		c.CatchUpFirstLookback != 24*time.Hour || c.CatchUpInterval != 500*time.Millisecond || c.ScanConcurrency != 8 {
		t.Errorf("defaults: got %+v", c)
	}
	env[EnvCatchUpRegions], env[EnvCatchUp] = "eu-west-1, us-east-2", "false"
	if c, err = LoadReconcile(get); err != nil || c.CatchUp || !slices.Equal(c.CatchUpRegions, []string{"eu-west-1", "us-east-2"}) {
		t.Errorf("got %+v, %v", c, err)
	}
	env[EnvCatchUp], env[EnvCatchUpFirstLookback], env[EnvScanConcurrency], env[EnvCatchUpOverlap] = "maybe", "2400h", "0", "soon"
	delete(env, EnvHistoryTable)
	_, err = LoadReconcile(get)
	for _, want := range []string{EnvCatchUp + `="maybe"`, EnvCatchUpFirstLookback, EnvScanConcurrency + " must be at least 1", EnvCatchUpOverlap, EnvHistoryTable + " is not set"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}
