// Command eksdrift detects drift in who can reach Amazon EKS clusters.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/eksdrift/eksdrift/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
