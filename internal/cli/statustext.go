package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// deployedStack is what status reads of a stack.
type deployedStack struct {
	outputs     map[string]string
	deadLetters []string // queue URLs
}

func readStack(ctx context.Context, c stackReader, name string) (*deployedStack, error) {
	out, err := c.DescribeStacks(ctx, &awscfn.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("status: stack %s: %w", name, err)
	}
	if len(out.Stacks) == 0 {
		return nil, fmt.Errorf("status: no stack %s", name)
	}
	d := &deployedStack{outputs: map[string]string{}}
	for _, o := range out.Stacks[0].Outputs {
		d.outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	var token *string
	for {
		res, err := c.ListStackResources(ctx, &awscfn.ListStackResourcesInput{StackName: aws.String(name), NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("status: resources of stack %s: %w", name, err)
		}
		for _, r := range res.StackResourceSummaries {
			if aws.ToString(r.ResourceType) == "AWS::SQS::Queue" && strings.Contains(aws.ToString(r.LogicalResourceId), "DeadLetters") {
				d.deadLetters = append(d.deadLetters, aws.ToString(r.PhysicalResourceId))
			}
		}
		if token = res.NextToken; token == nil {
			break
		}
	}
	sort.Strings(d.deadLetters)
	return d, nil
}

func writeStatus(w io.Writer, st *Status) {
	when := func(t *time.Time) string {
		if t == nil {
			return "never"
		}
		return t.UTC().Format(time.RFC3339)
	}
	health := "healthy"
	if !st.Healthy {
		health = "UNHEALTHY"
	}
	fmt.Fprintf(w, "eksdrift: %s\n", health)
	fmt.Fprintf(w, "last heartbeat  %s\n", when(st.LastHeartbeat))
	fmt.Fprintf(w, "last sweep      %s\n", when(st.LastSweep))
	var open []string
	for _, s := range drift.Severities {
		if n := st.Open[string(s)]; n > 0 {
			open = append(open, fmt.Sprintf("%d %s", n, s))
		}
	}
	if len(open) == 0 {
		open = []string{"none"}
	}
	fmt.Fprintf(w, "open findings   %s (tamper %d)\n", strings.Join(open, ", "), st.OpenTamper)
	if st.DeadLetters != nil {
		names := make([]string, 0, len(st.DeadLetters))
		for n := range st.DeadLetters {
			names = append(names, n)
		}
		sort.Strings(names)
		var parts []string
		for _, n := range names {
			parts = append(parts, fmt.Sprintf("%s %v", n, st.DeadLetters[n]))
		}
		fmt.Fprintf(w, "dead letters    %s\n", firstOf(strings.Join(parts, ", "), "no queues"))
	} else {
		fmt.Fprintln(w, "dead letters    not known (give --stack)")
	}
	fmt.Fprintf(w, "baseline        %s\n", firstOf(st.Baseline, "not read"))
	for _, p := range st.Problems {
		fmt.Fprintf(w, "problem: %s\n", p)
	}
}
