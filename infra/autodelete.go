package infra

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
)

// CDK's autoDeleteObjects (used only with retainData=false, so that `cdk
// destroy` can delete the buckets it empties) grants its handler
// s3:GetBucket*, s3:List* and s3:DeleteObject* in the bucket's policy. The
// handler makes five calls; explicitAutoDelete names them instead.
var autoDeleteWildcards = []string{"s3:GetBucket*", "s3:List*", "s3:DeleteObject*"}

// autoDeleteActions are the calls of CDK's auto-delete handler: it reads the
// bucket's tags (it empties only buckets tagged for it), denies new writes
// in the bucket policy, lists every version and deletes them.
var autoDeleteActions = []string{
	"s3:GetBucketTagging", "s3:GetBucketPolicy", "s3:PutBucketPolicy",
	"s3:ListBucketVersions", "s3:DeleteObject", "s3:DeleteObjectVersion",
}

// explicitAutoDelete is an aspect that rewrites, in every bucket policy, a
// statement holding the auto-delete wildcards into the explicit actions.
type explicitAutoDelete struct{}

func (*explicitAutoDelete) Visit(node constructs.IConstruct) {
	pol, ok := node.(awss3.CfnBucketPolicy)
	if !ok {
		return
	}
	doc, ok := awscdk.Stack_Of(node).Resolve(pol.PolicyDocument()).(map[string]any)
	if !ok {
		return
	}
	changed := false
	for _, st := range asAnyList(doc["Statement"]) {
		m, ok := st.(map[string]any)
		if !ok || m["Effect"] != "Allow" {
			continue
		}
		var kept []any
		wild := false
		for _, a := range asAnyList(m["Action"]) {
			if s, _ := a.(string); slices.Contains(autoDeleteWildcards, s) {
				wild = true
				continue
			}
			kept = append(kept, a)
		}
		if !wild {
			continue
		}
		for _, a := range autoDeleteActions {
			if !slices.Contains(kept, any(a)) {
				kept = append(kept, a)
			}
		}
		m["Action"] = kept
		changed = true
	}
	if changed {
		pol.SetPolicyDocument(doc)
	}
}

func asAnyList(v any) []any {
	switch l := v.(type) {
	case []any:
		return l
	case nil:
		return nil
	default:
		return []any{l}
	}
}

// makeAutoDeleteExplicit applies explicitAutoDelete to scope, before the
// read-only aspects (cdk-nag) look at it.
func makeAutoDeleteExplicit(scope constructs.IConstruct) {
	awscdk.Aspects_Of(scope).Add(&explicitAutoDelete{}, &awscdk.AspectOptions{Priority: awscdk.AspectPriority_MUTATING()})
}

var _ awscdk.IAspect = (*explicitAutoDelete)(nil)
