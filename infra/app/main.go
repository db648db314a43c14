// Command app is the CDK app: `cdk synth`, `cdk deploy` and `cdk destroy`
// run it (cdk.json at the module root says how), through make synth, make
// deploy and make destroy.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/eksdrift/eksdrift/infra"
)

func main() {
	err := run()
	jsii.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "eksdrift cdk app:", err)
		os.Exit(1)
	}
}

func run() error {
	app := awscdk.NewApp(nil)
	env := infra.Env{Account: os.Getenv("CDK_DEFAULT_ACCOUNT"), Region: os.Getenv("CDK_DEFAULT_REGION")}
	s, err := infra.ReadSettings(func(key string) any { return app.Node().TryGetContext(jsii.String(key)) }, env, "build")
	if err != nil {
		return err
	}
	if err := infra.CheckAssets(s); err != nil {
		return err
	}
	infra.NewStacks(app, s)
	infra.CheckNag(app)
	app.Synth(nil)
	return nil
}
