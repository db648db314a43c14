// Package lambdamain starts an eksdrift function: Lambda's JSON-aware
// logger, the handler built once per execution environment, and the Lambda
// runtime. It is the only package that links aws-lambda-go's runtime; what
// the functions share with the command (the AWS configuration, the
// baseline) is in internal/wiring.
package lambdamain

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Start builds the handler from the environment with Lambda's JSON-aware
// slog logger and hands it to the runtime. A function that cannot start
// (its configuration is wrong) logs why, naming what is wrong, and exits.
func Start[H any](name string, build func(ctx context.Context, getenv func(string) string, log *slog.Logger) (H, error)) {
	log := lambdacontext.NewLogger()
	h, err := build(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error(name+": cannot start", "error", err)
		os.Exit(1)
	}
	lambda.Start(h)
}
