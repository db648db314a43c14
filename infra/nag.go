package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// CheckNag applies cdk-nag's AWS Solutions rules to scope: under `cdk
// synth` an unsuppressed error fails the synthesis, and the tests read the
// findings from the stacks' annotations. Every suppression in this package
// says why, next to the resource it is about.
func CheckNag(scope constructs.IConstruct) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// suppress records, on c and its children, why rule does not apply;
// appliesTo narrows a granular rule (IAM5, IAM4) to the findings named,
// as strings or regular expressions ("/^Resource::.*$/g").
func suppress(c constructs.IConstruct, rule, reason string, appliesTo ...string) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(rule), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		var list []any
		for _, a := range appliesTo {
			if len(a) > 1 && a[0] == '/' {
				list = append(list, &cdknag.RegexAppliesTo{Regex: jsii.String(a)})
			} else {
				list = append(list, a)
			}
		}
		s.AppliesTo = &list
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(true))
}
