package main

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/aws/smithy-go/middleware"
)

// awsTime adds up the time the function waits on AWS APIs, so each
// invocation can report how much of its duration was ours. Lambda runs one
// invocation at a time per execution environment, so one counter serves.
type awsTime struct{ nanos atomic.Int64 }

// reset returns the time counted so far and starts again.
func (a *awsTime) reset() time.Duration { return time.Duration(a.nanos.Swap(0)) }

// middleware times each API call, retries included.
func (a *awsTime) middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("eksdriftAWSTime",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			start := time.Now()
			out, md, err := next.HandleInitialize(ctx, in)
			a.nanos.Add(int64(time.Since(start)))
			return out, md, err
		}), middleware.Before)
}
