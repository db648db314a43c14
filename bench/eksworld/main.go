// Command eksworld fills an AWS emulator with a realistic account for
// benchmarks and demos of `eksdrift baseline capture`, `eksdrift plan` and
// the reconcile sweep: clusters with hundreds of access entries (policies
// of both scopes, a node entry each), pod identity associations, and the
// IAM roles behind them (trust policy, managed and inline policies).
//
// It talks only to an emulator on the loopback interface: it refuses to run
// unless AWS_ENDPOINT_URL names 127.0.0.1 or localhost.
//
// Usage:
//
//	AWS_ENDPOINT_URL=http://127.0.0.1:4566 go run ./bench/eksworld -clusters 20 -entries 200
//
// Entries of every cluster use the same pool of -roles roles (entry j of
// each cluster is role j mod -roles), as teams share roles across clusters.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const (
	policyPrefix = "arn:aws:eks::aws:cluster-access-policy/"
	trust        = `{"Version":"2012-10-17","Statement":[{"Sid":"Team","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole"}]}`
	inline       = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["eks:DescribeCluster","eks:ListClusters"],"Resource":"*"}]}`
)

var policies = []string{"AmazonEKSViewPolicy", "AmazonEKSEditPolicy", "AmazonEKSAdminPolicy", "AmazonEKSClusterAdminPolicy"}

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "eksworld:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("eksworld", flag.ContinueOnError)
	clusters := fs.Int("clusters", 20, "clusters to create")
	entries := fs.Int("entries", 200, "access entries per cluster (besides the node entry)")
	roles := fs.Int("roles", 200, "roles the entries use, shared across clusters")
	pods := fs.Int("pods", 5, "pod identity associations per cluster")
	prefix := fs.String("prefix", "bench", "name prefix of clusters and roles")
	region := fs.String("region", "us-east-1", "region of the clusters")
	workers := fs.Int("j", 16, "calls in flight")
	makeDrift := fs.Bool("drift", false, "instead of creating the world, make four kinds of drift in it (on the first cluster and role)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := loopbackOnly(os.Getenv("AWS_ENDPOINT_URL")); err != nil {
		return err
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(*region))
	if err != nil {
		return err
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return err
	}
	account := aws.ToString(id.Account)
	ek, im := eks.NewFromConfig(cfg), iam.NewFromConfig(cfg)
	if *makeDrift {
		return driftWorld(ctx, ek, im, account, *prefix)
	}
	start := time.Now()
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		sem   = make(chan struct{}, *workers)
	)
	do := func(f func() error) {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := f(); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	roleARN := func(i int) string { return fmt.Sprintf("arn:aws:iam::%s:role/teams/%s-team-%03d", account, *prefix, i) }
	for i := range *roles {
		do(func() error {
			name := fmt.Sprintf("%s-team-%03d", *prefix, i)
			if _, err := im.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), Path: aws.String("/teams/"),
				AssumeRolePolicyDocument: aws.String(fmt.Sprintf(trust, account))}); err != nil && !exists(err) {
				return err
			}
			if _, err := im.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}); err != nil {
				return err
			}
			if i%4 == 0 {
				_, err := im.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("eks-read"), PolicyDocument: aws.String(inline)})
				return err
			}
			return nil
		})
	}
	nodeRole := fmt.Sprintf("arn:aws:iam::%s:role/%s-nodes", account, *prefix)
	do(func() error {
		_, err := im.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(*prefix + "-nodes"),
			AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
		if exists(err) {
			return nil
		}
		return err
	})
	wg.Wait()
	if first != nil {
		return first
	}
	for c := range *clusters {
		name := fmt.Sprintf("%s-%02d", *prefix, c)
		_, err := ek.CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String(name), RoleArn: aws.String(fmt.Sprintf("arn:aws:iam::%s:role/eks-cluster", account)),
			ResourcesVpcConfig: &types.VpcConfigRequest{SubnetIds: []string{"subnet-1", "subnet-2"}},
			AccessConfig:       &types.CreateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApi, BootstrapClusterCreatorAdminPermissions: aws.Bool(false)}})
		if err != nil && !exists(err) {
			return err
		}
		do(func() error {
			_, err := ek.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String(name), PrincipalArn: aws.String(nodeRole), Type: aws.String("EC2_LINUX")})
			if exists(err) {
				return nil
			}
			return err
		})
		for e := range *entries {
			do(func() error {
				p := roleARN(e % *roles)
				if e >= *roles {
					p = fmt.Sprintf("arn:aws:iam::%s:user/%s-user-%04d", account, *prefix, e)
				}
				_, err := ek.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String(name), PrincipalArn: aws.String(p), KubernetesGroups: []string{fmt.Sprintf("team-%d", e%10)}})
				if err != nil && !exists(err) {
					return err
				}
				scope := &types.AccessScope{Type: types.AccessScopeTypeNamespace, Namespaces: []string{fmt.Sprintf("team-%d", e%10), "shared"}}
				if e%7 == 0 {
					scope = &types.AccessScope{Type: types.AccessScopeTypeCluster}
				}
				_, err = ek.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: aws.String(name), PrincipalArn: aws.String(p),
					PolicyArn: aws.String(policyPrefix + policies[e%3]), AccessScope: scope})
				return err
			})
		}
		for p := range *pods {
			do(func() error {
				_, err := ek.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: aws.String(name),
					Namespace: aws.String(fmt.Sprintf("team-%d", p)), ServiceAccount: aws.String("app"), RoleArn: aws.String(roleARN(p % *roles))})
				if exists(err) {
					return nil
				}
				return err
			})
		}
	}
	wg.Wait()
	if first != nil {
		return first
	}
	fmt.Printf("created %d clusters x %d access entries (+1 node entry), %d pod identity associations each, %d roles, in account %s (%s) in %s\n",
		*clusters, *entries, *pods, *roles, account, *region, time.Since(start).Round(time.Millisecond))
	return nil
}

// driftWorld makes drift of four kinds: an access entry nobody declared,
// with cluster-admin; a declared entry's groups changed; a declared access
// policy disassociated; AdministratorAccess attached to a declared role.
func driftWorld(ctx context.Context, ek *eks.Client, im *iam.Client, account, prefix string) error {
	cluster := aws.String(prefix + "-00")
	intruder := aws.String(fmt.Sprintf("arn:aws:iam::%s:role/contractor", account))
	team1 := aws.String(fmt.Sprintf("arn:aws:iam::%s:role/teams/%s-team-001", account, prefix))
	team2 := aws.String(fmt.Sprintf("arn:aws:iam::%s:role/teams/%s-team-002", account, prefix))
	steps := []func() error{
		func() error {
			_, err := ek.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: cluster, PrincipalArn: intruder})
			return err
		},
		func() error {
			_, err := ek.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: cluster, PrincipalArn: intruder,
				PolicyArn: aws.String(policyPrefix + "AmazonEKSClusterAdminPolicy"), AccessScope: &types.AccessScope{Type: types.AccessScopeTypeCluster}})
			return err
		},
		func() error {
			_, err := ek.UpdateAccessEntry(ctx, &eks.UpdateAccessEntryInput{ClusterName: cluster, PrincipalArn: team1, KubernetesGroups: []string{"team-1", "system:masters"}})
			return err
		},
		func() error {
			_, err := ek.DisassociateAccessPolicy(ctx, &eks.DisassociateAccessPolicyInput{ClusterName: cluster, PrincipalArn: team2,
				PolicyArn: aws.String(policyPrefix + "AmazonEKSAdminPolicy")})
			return err
		},
		func() error {
			_, err := im.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(prefix + "-team-003"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
			return err
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	fmt.Printf("made drift on %s and role %s-team-003\n", *cluster, prefix)
	return nil
}

func exists(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "ResourceInUse") || strings.Contains(err.Error(), "EntityAlreadyExists"))
}

// loopbackOnly refuses any endpoint but an emulator on this machine.
func loopbackOnly(endpoint string) error {
	if endpoint == "" {
		return errors.New("AWS_ENDPOINT_URL is not set: eksworld only fills an emulator on 127.0.0.1")
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("AWS_ENDPOINT_URL=%q: %w", endpoint, err)
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
		return fmt.Errorf("AWS_ENDPOINT_URL=%q is not on the loopback interface: eksworld only fills an emulator", endpoint)
	}
	return nil
}
