package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%012d", i)
		}
		return out
	}
	tests := []struct {
		name     string
		accounts int
		shards   int
		sizes    []int
	}{
		{"even", 100, 20, slices.Repeat([]int{5}, 20)},
		{"uneven", 5, 2, []int{2, 3}},
		{"more shards than accounts", 2, 5, []int{1, 1}},
		{"no shard count", 3, 0, []int{3}},
		{"one shard", 4, 1, []int{4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			accounts := ids(tt.accounts)
			blocks := split(accounts, tt.shards)
			var sizes []int
			var joined []string
			for _, b := range blocks {
				sizes = append(sizes, len(b))
				joined = append(joined, b...)
			}
			if !slices.Equal(sizes, tt.sizes) {
				t.Errorf("got sizes %v, want %v", sizes, tt.sizes)
			}
			// Every account on exactly one shard, in order.
			if !slices.Equal(joined, accounts) {
				t.Errorf("got %v, want %v", joined, accounts)
			}
		})
	}
}

func TestLoopbackEndpoints(t *testing.T) {
	tests := []struct {
		name, list string
		want       []string
		wantErr    bool
	}{
		{"two shards", "http://127.0.0.1:4566, http://localhost:4567", []string{"http://127.0.0.1:4566", "http://localhost:4567"}, false},
		{"one elsewhere", "http://127.0.0.1:4566,http://10.0.0.8:4566", nil, true},
		{"loopback as a subdomain", "http://127.0.0.1.example.com:4566", nil, true},
		{"loopback as user info", "http://127.0.0.1@example.com:4566", nil, true},
		{"no scheme", "127.0.0.1:4566", nil, true},
		{"another scheme", "file://127.0.0.1/etc", nil, true},
		{"empty", " , ", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loopbackEndpoints(tt.list)
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestServiceOverrides(t *testing.T) {
	got := serviceOverrides([]string{"AWS_ENDPOINT_URL=http://127.0.0.1:1", "AWS_ENDPOINT_URL_STS=http://127.0.0.1:2", "HOME=/root", "AWS_ENDPOINT_URL_EKS=x"})
	if want := []string{"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_EKS"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestShardedSweepResumes fills two MiniStack processes (started by the
// bench itself, -shards 2) with three accounts, and sweeps them with an
// invocation budget too short for one round: the round must resume over
// several invocations, every account's read role assumed on its own shard
// (an assumed session is unknown to another emulator), every cluster read
// once, and every account cost the same calls.
func TestShardedSweepResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two MiniStack processes")
	}
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "AWS_ENDPOINT_URL_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	t.Setenv("AWS_ENDPOINT_URL", "") // run points it at the first shard
	out := filepath.Join(t.TempDir(), "figures.json")
	// At 5 calls a second per account a cluster (10 calls) takes about a
	// second, so two targets at a time cannot start all six targets in a
	// budget of 1.5 s; the 4.5 s margin lets a started target finish.
	args := []string{"-shards", "2", "-accounts", "3", "-regions", "us-east-1", "-clusters", "2", "-entries", "3", "-roles", "3", "-pods", "1",
		"-parallel", "2", "-rate", "5", "-timeout", "6s", "-margin", "4.5s", "-json", out}
	// run fails a round that misses or rereads a cluster; the figures
	// say which.
	runErr := run(context.Background(), args)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("run %v: %v; figures: %v", args, runErr, err)
	}
	var f figures
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"shards", f.Shards, 2},
		{"accounts covered", f.AccountsCovered, 3},
		{"clusters read", f.ClustersRead, 6},
		{"clusters read twice", f.ReadTwice, 0},
		{"clusters never read", f.NotRead, 0},
		{"clusters swept", f.Clusters, 6},
		{"read roles assumed", f.Assumes, int64(3)},
		{"unread", f.Unread, 0},
		{"drift", f.Drift, 0},
		{"calls of the cheapest account equal the dearest's", f.CallsPerAccount.Min, f.CallsPerAccount.Max},
		{"more than one invocation", f.Invocations > 1, true},
		{"run's error", fmt.Sprint(runErr), "<nil>"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
}
