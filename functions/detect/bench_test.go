package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"

	"github.com/eksdrift/eksdrift/internal/lambdatest"
)

// BenchmarkDetectUnderRIE measures the real bootstrap under the runtime
// emulator against MiniStack on loopback. Run it with a fixed count:
//
//	go test ./functions/detect -run '^$' -bench DetectUnderRIE -benchtime 1000x
//
// It reports the cold start (process start to first response, for an event
// that needs no AWS call, and for a first drift event), the p50 and
// p99 latency of a drift event (live-state read, history write, publish),
// the share of the handler's time spent waiting on AWS APIs, and the
// function's peak RSS.
func BenchmarkDetectUnderRIE(b *testing.B) {
	w := setupB(b)
	ctx := context.Background()
	_, err := w.EKS.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(contractor), KubernetesGroups: []string{"viewers"}})
	if err != nil && !strings.Contains(err.Error(), "InUse") {
		b.Fatal(err)
	}
	event, err := os.ReadFile(filepath.Join("../../events", "eks-create-access-entry-undeclared-role.json"))
	if err != nil {
		b.Fatal(err)
	}
	var e struct {
		Detail struct {
			EventID string `json:"eventID"`
		} `json:"detail"`
	}
	json.Unmarshal(event, &e)

	bootstrap := lambdatest.Build(b, "./functions/detect")
	// Cold start proper: process start, init, and the answer to an event
	// that needs no AWS call (a failed call, ignored).
	ignored, err := os.ReadFile(filepath.Join("../../events", "eks-create-access-entry-failed.json"))
	if err != nil {
		b.Fatal(err)
	}
	cold := lambdatest.Start(b, bootstrap, w.Env).Invoke(b, ignored)
	if cold.Error != "" {
		b.Fatal(cold.Error)
	}
	// A cold function's first drift event: it also fetches and parses the
	// baseline and opens its connections.
	fn := lambdatest.Start(b, bootstrap, w.Env)
	first := fn.Invoke(b, withID(event, e.Detail.EventID, 0))
	if first.Error != "" {
		b.Fatal(first.Error)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := fn.Invoke(b, withID(event, e.Detail.EventID, i+1))
		if r.Error != "" {
			b.Fatal(r.Error)
		}
		lat = append(lat, r.Duration)
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(float64(cold.Duration.Microseconds())/1000, "cold-ms")
	b.ReportMetric(float64(first.Duration.Microseconds())/1000, "cold-first-drift-ms")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	handler, awsTime := emfTotals(fn.Logs())
	if handler > 0 {
		b.ReportMetric(100*awsTime/handler, "aws-%")
	}
	if rss := peakRSS(fn.Pid()); rss > 0 {
		b.ReportMetric(float64(rss)/1024, "peak-RSS-MB")
	}
}

// withID gives the sample a new eventID, so every invocation is a new event.
func withID(event []byte, id string, i int) []byte {
	return bytes.Replace(event, []byte(id), []byte(fmt.Sprintf("%s-%06d", id[:len(id)-7], i)), 1)
}

// emfTotals adds up the HandlerTime and AWSCallTime the function emitted.
func emfTotals(logs string) (handler, awsTime float64) {
	for _, line := range strings.Split(logs, "\n") {
		if !strings.Contains(line, `"_aws"`) {
			continue
		}
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil {
			continue
		}
		h, _ := m["HandlerTime"].(float64)
		a, _ := m["AWSCallTime"].(float64)
		handler += h
		awsTime += a
	}
	return handler, awsTime
}

// peakRSS is the high-water RSS, in KiB, of the bootstrap the emulator runs.
func peakRSS(riePid int) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 2 || fields[1] != strconv.Itoa(riePid) {
			continue
		}
		status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		for _, line := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(line, "VmHWM:") {
				kb, _ := strconv.Atoi(strings.Fields(line)[1])
				return kb
			}
		}
	}
	return 0
}
