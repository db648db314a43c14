package main

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// session is a caller: a rendered userIdentity plus where its calls come
// from. Records draw callers from small pools, as in a real account, which is
// also what gives real CloudTrail files their ~10x compression ratio.
type session struct {
	ident   []byte // userIdentity JSON object
	arn     string // caller ARN ("" for AWS services)
	ip      string
	ua      string
	service bool // AWSService caller: sourceIPAddress and userAgent are the service host, no tlsDetails
}

type world struct {
	humans, devs, nodes, controllers, karpenter, vpcCNI, lbc, autoscaler []*session
	apps, lambdas, ci, terraform, iamUsers, backup                       []*session
	svcLambda, svcS3, svcEvents, svcSecrets, svcEKS, svcAPIGW            *session
	watchers                                                             []*session // who makes access changes

	kmsKeys     []string
	buckets     []string
	tables      []string
	functions   []string
	secrets     []string
	instanceIDs []string
	nodegroups  []string
	targetGroup []string
	asgs        []string
}

// recGen renders records. rng drives identifiers and counts; crng drives
// choices (caller, resource, API variant) and is re-seeded identically for
// every record of a burst, so a burst is one caller repeating one kind of
// call, as real CloudTrail traffic does (an image pull is a run of ECR
// layer requests, a controller polls the same API, a Lambda writes to its
// log stream). That locality is what real files owe their ~10x gzip ratio.
type recGen struct {
	w      *world
	rng    *rand.Rand
	cpcg   *rand.PCG
	crng   *rand.Rand
	region string
	b      []byte
	slots  []int

	source string // eventSource of the record being written
	vpce   bool   // caller is inside the VPC (private sourceIPAddress)

	burstFn    recFunc
	burstLeft  int
	burstSeed1 uint64
	burstSeed2 uint64
}

func (g *recGen) reset(seed uint64, p *filePlan) {
	g.rng = rand.New(rand.NewPCG(seed, 0x66696c65<<32|uint64(uint32(p.index))))
	g.cpcg = rand.NewPCG(0, 0)
	g.crng = rand.New(g.cpcg)
	g.region = p.region
	g.burstLeft = 0
}

// pick returns a choice in [0,n), stable within a burst.
func (g *recGen) pick(n int) int { return g.crng.IntN(n) }

// ---------------------------------------------------------------------------
// The simulated account.

func newWorld(seed uint64) *world {
	rng := rand.New(rand.NewPCG(seed, 0x776f726c64))
	w := &world{}
	roleID := func() string { return "AROA" + randFrom(rng, upperAlnum, 17) }
	akid := func() string { return "ASIA" + randFrom(rng, upperAlnum, 16) }
	created := func() string {
		t := time.Date(2026, 9, 28, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(3*24*3600)) * time.Second)
		return t.Format("2006-01-02T15:04:05Z")
	}
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }

	assumed := func(role, path, rid, sess, extraCtx string, mfa bool) (*session, string) {
		var b []byte
		arn := "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + sess
		b = append(b, `{"type":"AssumedRole","principalId":"`...)
		b = append(b, rid+":"+sess...)
		b = append(b, `","arn":"`...)
		b = append(b, arn...)
		b = append(b, `","accountId":"`+account+`","accessKeyId":"`...)
		b = append(b, akid()...)
		b = append(b, `","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"`...)
		b = append(b, rid...)
		b = append(b, `","arn":"arn:aws:iam::`+account+`:role/`...)
		b = append(b, path+role...)
		b = append(b, `","accountId":"`+account+`","userName":"`...)
		b = append(b, role...)
		b = append(b, `"},`...)
		b = append(b, extraCtx...)
		b = append(b, `"attributes":{"creationDate":"`...)
		b = append(b, created()...)
		b = append(b, `","mfaAuthenticated":"`...)
		b = append(b, strconv.FormatBool(mfa)...)
		b = append(b, `"}}}`...)
		return &session{ident: b, arn: arn}, arn
	}

	cliUAs := []string{
		"aws-cli/2.17.51 md/awscrt#0.21.5 ua/2.0 os/macos#23.6.0 md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off",
		"aws-cli/2.18.2 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-45-generic md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
		"AWS Internal",
		"aws-sdk-go-v2/1.30.5 ua/2.1 os/macos lang/go#1.23.1 md/GOOS#darwin md/GOARCH#arm64 api/eks#1.49.1 m/g",
	}
	publicIP := func() string {
		pfx := pick([]string{"203.0.113.", "198.51.100.", "192.0.2."})
		return pfx + strconv.Itoa(1+rng.IntN(254))
	}
	privIP := func(net string) string {
		return net + strconv.Itoa(rng.IntN(64)) + "." + strconv.Itoa(1+rng.IntN(254))
	}

	// SSO humans.
	permsets := []string{
		"AWSReservedSSO_AdministratorAccess_4f1c2a9be0d7c3e1",
		"AWSReservedSSO_PowerUserAccess_b83e0f55c1a2d947",
		"AWSReservedSSO_ReadOnlyAccess_0c9d7e6f5a4b3c21",
		"AWSReservedSSO_PlatformEngineer_7a1e2b3c4d5f6071",
	}
	psID := map[string]string{}
	for _, ps := range permsets {
		psID[ps] = roleID()
	}
	for _, u := range []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"} {
		ps := permsets[rng.IntN(len(permsets))]
		for k := 0; k < 2; k++ {
			s, _ := assumed(ps, "aws-reserved/sso.amazonaws.com/", psID[ps], u+"@example.com", "", false)
			s.ip, s.ua = publicIP(), pick(cliUAs)
			if s.ua == "AWS Internal" {
				s.ip = "AWS Internal"
			}
			w.humans = append(w.humans, s)
			if strings.Contains(ps, "Admin") || strings.Contains(ps, "Platform") {
				w.watchers = append(w.watchers, s)
			}
		}
	}
	// The roles watched events grant access to also make read-only calls.
	devID, conID := roleID(), roleID()
	for _, sess := range []string{"alice-dev", "bob-dev", "carol-dev", "ivan-dev"} {
		s, _ := assumed("developers", "", devID, sess, "", true)
		s.ip, s.ua = publicIP(), pick(cliUAs)
		w.devs = append(w.devs, s)
	}
	for _, sess := range []string{"ext-jane", "ext-marco"} {
		s, _ := assumed("contractor", "", conID, sess, "", true)
		s.ip, s.ua = publicIP(), pick(cliUAs)
		w.devs = append(w.devs, s)
	}

	// Worker nodes (EC2 instance profile sessions).
	nodeUAs := []string{
		"aws-sdk-go-v2/1.30.3 ua/2.1 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/ecr#1.32.0 m/E",
		"aws-sdk-go/1.55.5 (go1.22.8; linux; amd64) amazon-vpc-cni-k8s/v1.18.5",
		"aws-sdk-go-v2/1.30.3 ua/2.1 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#arm64 api/s3#1.58.2 m/E,b",
		"Boto3/1.34.145 md/Botocore#1.34.145 ua/2.0 os/linux#6.1.109-118.189.amzn2023.x86_64 md/arch#x86_64 lang/python#3.9.16 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.145",
	}
	for _, c := range []struct {
		role, net string
		n         int
	}{{"eks-node-prod", "10.20.", 24}, {"eks-node-staging", "10.40.", 8}} {
		rid := roleID()
		for i := 0; i < c.n; i++ {
			id := "i-0" + randFrom(rng, "0123456789abcdef", 16)
			w.instanceIDs = append(w.instanceIDs, id)
			s, _ := assumed(c.role, "", rid, id, `"ec2RoleDelivery":"2.0",`, false)
			s.ip, s.ua = privIP(c.net), pick(nodeUAs)
			w.nodes = append(w.nodes, s)
		}
	}

	// IRSA controllers and apps (web identity sessions).
	oidc := func(region string) string {
		return `"webIdFederationData":{"federatedProvider":"arn:aws:iam::` + account +
			`:oidc-provider/oidc.eks.` + region + `.amazonaws.com/id/5E4C1B2A9D8F7E6C3B0A19283746ABCD","attributes":{}},`
	}
	irsa := func(role, ua string, n int) []*session {
		rid := roleID()
		var out []*session
		for i := 0; i < n; i++ {
			sess := strconv.FormatInt(1727740800000000000+rng.Int64N(2700000000000000), 10)
			s, _ := assumed(role, "", rid, sess, oidc("us-west-2"), false)
			s.ip, s.ua = privIP("10.20."), ua
			out = append(out, s)
		}
		return out
	}
	w.karpenter = irsa("karpenter-prod", "karpenter.sh-v1.0.6 aws-sdk-go-v2/1.30.4 ua/2.1 os/linux lang/go#1.22.6 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.177.0 m/E", 3)
	w.vpcCNI = irsa("AmazonEKSVPCCNIRole-prod", "aws-sdk-go/1.55.5 (go1.22.8; linux; amd64) amazon-vpc-cni-k8s/v1.18.5", 6)
	w.lbc = irsa("aws-load-balancer-controller-prod", "elbv2.k8s.aws/v2.8.3 aws-sdk-go-v2/1.30.3 ua/2.1 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/elasticloadbalancingv2#1.36.0", 2)
	w.autoscaler = irsa("cluster-autoscaler-staging", "aws-sdk-go/1.44.241 (go1.22.5; linux; amd64) cluster-autoscaler/v1.30.2", 2)
	w.controllers = append(append(append(append(w.controllers, w.karpenter...), w.vpcCNI...), w.lbc...), w.autoscaler...)
	appUA := "aws-sdk-java/2.28.11 Linux/6.1.109-118.189.amzn2023.x86_64 OpenJDK_64-Bit_Server_VM/21.0.4+7-LTS Java/21.0.4 vendor/Eclipse_Adoptium io/sync http/Apache cfg/retry-mode/standard"
	w.apps = append(w.apps, irsa("orders-api-prod", appUA, 8)...)
	w.apps = append(w.apps, irsa("payments-prod", "aws-sdk-go-v2/1.30.5 ua/2.1 os/linux lang/go#1.23.1 md/GOOS#linux md/GOARCH#amd64 api/dynamodb#1.34.9 m/E,b", 6)...)
	w.apps = append(w.apps, irsa("search-indexer-staging", "Boto3/1.35.24 md/Botocore#1.35.24 ua/2.0 os/linux#6.1.109-118.189.amzn2023.x86_64 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.24", 3)...)

	// Lambda execution roles.
	w.functions = []string{"orders-handler", "thumbnailer", "billing-export", "slack-notifier", "audit-forwarder", "image-resizer"}
	lambdaUAs := []string{
		"Boto3/1.34.145 md/Botocore#1.34.145 ua/2.0 os/linux#5.10.225-234.878.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.5 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.145",
		"aws-sdk-js/3.654.0 ua/2.1 os/linux#5.10.225-234.878.amzn2.x86_64 lang/js md/nodejs#20.17.0 api/dynamodb#3.654.0 exec-env/AWS_Lambda_nodejs20.x m/E,J",
	}
	for _, fn := range w.functions {
		rid := roleID()
		ua := pick(lambdaUAs)
		for i := 0; i < 2; i++ {
			s, _ := assumed(fn+"-role", "service-role/", rid, fn, "", false)
			s.ip = strconv.Itoa(3+rng.IntN(50)) + "." + strconv.Itoa(rng.IntN(256)) + "." + strconv.Itoa(rng.IntN(256)) + "." + strconv.Itoa(1+rng.IntN(254))
			s.ua = ua
			w.lambdas = append(w.lambdas, s)
		}
	}

	// CI.
	ghID := roleID()
	for i := 0; i < 4; i++ {
		s, _ := assumed("github-actions-deploy", "", ghID, "GitHubActions", `"webIdFederationData":{"federatedProvider":"arn:aws:iam::`+account+`:oidc-provider/token.actions.githubusercontent.com","attributes":{}},`, false)
		s.ip = "20." + strconv.Itoa(rng.IntN(256)) + "." + strconv.Itoa(rng.IntN(256)) + "." + strconv.Itoa(1+rng.IntN(254))
		s.ua = "aws-cli/2.18.0 md/awscrt#0.21.5 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off"
		w.ci = append(w.ci, s)
	}
	tfID := roleID()
	for i := 0; i < 4; i++ {
		s, _ := assumed("terraform-ci", "", tfID, "terraform-run-"+strconv.Itoa(4000+rng.IntN(5000)), "", false)
		s.ip = privIP("10.0.")
		s.ua = "APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.68.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.30.5 ua/2.1 os/linux lang/go#1.22.6 md/GOOS#linux md/GOARCH#amd64 m/C"
		w.terraform = append(w.terraform, s)
	}
	w.ci = append(w.ci, w.terraform...)
	w.watchers = append(w.watchers, w.terraform...)
	w.watchers = append(w.watchers, w.ci[:2]...)

	// IAM users.
	for _, u := range []struct{ name, ua string }{
		{"deploy-bot", "Boto3/1.28.85 md/Botocore#1.31.85 ua/2.0 os/linux#5.15.0-1051-aws md/arch#x86_64 lang/python#3.10.12 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.31.85"},
		{"legacy-backup", "aws-cli/1.29.85 md/Botocore#1.31.85 ua/2.0 os/linux#5.15.0-1051-aws md/arch#x86_64 lang/python#3.10.12 md/pyimpl#CPython cfg/retry-mode#legacy botocore/1.31.85"},
	} {
		var b []byte
		arn := "arn:aws:iam::" + account + ":user/" + u.name
		b = append(b, `{"type":"IAMUser","principalId":"AIDA`...)
		b = append(b, randFrom(rng, upperAlnum, 17)...)
		b = append(b, `","arn":"`+arn+`","accountId":"`+account+`","accessKeyId":"AKIA`...)
		b = append(b, randFrom(rng, upperAlnum, 16)...)
		b = append(b, `","userName":"`+u.name+`"}`...)
		s := &session{ident: b, arn: arn, ip: publicIP(), ua: u.ua}
		w.iamUsers = append(w.iamUsers, s)
		if u.name == "legacy-backup" {
			w.backup = append(w.backup, s)
		}
	}

	svc := func(host string) *session {
		return &session{ident: []byte(`{"type":"AWSService","invokedBy":"` + host + `"}`), ip: host, ua: host, service: true}
	}
	w.svcLambda = svc("lambda.amazonaws.com")
	w.svcS3 = svc("s3.amazonaws.com")
	w.svcEvents = svc("events.amazonaws.com")
	w.svcSecrets = svc("secretsmanager.amazonaws.com")
	w.svcEKS = svc("eks.amazonaws.com")
	w.svcAPIGW = svc("apigateway.amazonaws.com")

	for i := 0; i < 6; i++ {
		w.kmsKeys = append(w.kmsKeys, uuidString(rng))
	}
	w.buckets = []string{"acme-prod-artifacts", "acme-prod-assets", "acme-data-lake-raw", "acme-logs-archive",
		"acme-staging-artifacts", "terraform-state-" + account}
	w.tables = []string{"orders", "customers", "sessions", "inventory", "idempotency-keys"}
	w.secrets = []string{"prod/orders/db", "prod/payments/stripe", "staging/orders/db", "prod/search/opensearch"}
	w.nodegroups = []string{"ng-default", "ng-spot", "ng-gpu"}
	for i := 0; i < 4; i++ {
		w.targetGroup = append(w.targetGroup, "k8s-default-ordersap-"+randFrom(rng, "0123456789abcdef", 10)+"/"+randFrom(rng, "0123456789abcdef", 16))
	}
	w.asgs = []string{"eks-ng-default-20240911093042183600000011-a2c8f1e4", "eks-ng-spot-20240911093042183600000013-68c8f1e6"}
	return w
}

func uuidString(rng *rand.Rand) string {
	g := recGen{rng: rng}
	g.uuid()
	return string(g.b)
}

// ---------------------------------------------------------------------------
// Low-level writers.

const hexdigits = "0123456789abcdef"

func (g *recGen) lit(s string) { g.b = append(g.b, s...) }

// str appends s as a JSON string.
func (g *recGen) str(s string) {
	g.b = append(g.b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			g.b = append(g.b, '\\', c)
		case c == '\n':
			g.b = append(g.b, '\\', 'n')
		case c < 0x20:
			g.b = append(g.b, '\\', 'u', '0', '0', hexdigits[c>>4], hexdigits[c&15])
		default:
			g.b = append(g.b, c)
		}
	}
	g.b = append(g.b, '"')
}

func (g *recGen) uuid() {
	hi, lo := g.rng.Uint64(), g.rng.Uint64()
	hi = hi&^(0xf<<12) | 0x4<<12 // version 4
	lo = lo&^(0x3<<62) | 0x2<<62 // variant
	var u [16]byte
	for i := 0; i < 8; i++ {
		u[i] = byte(hi >> (56 - 8*i))
		u[8+i] = byte(lo >> (56 - 8*i))
	}
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			g.b = append(g.b, '-')
		}
		g.b = append(g.b, hexdigits[c>>4], hexdigits[c&15])
	}
}

func (g *recGen) hex(n int) {
	for i := 0; i < n; i++ {
		g.b = append(g.b, hexdigits[g.rng.IntN(16)])
	}
}

func (g *recGen) chars(set string, n int) {
	for i := 0; i < n; i++ {
		g.b = append(g.b, set[g.rng.IntN(len(set))])
	}
}

func (g *recGen) num(n int64) { g.b = strconv.AppendInt(g.b, n, 10) }

func (g *recGen) ts(t int64) {
	g.b = time.Unix(t, 0).UTC().AppendFormat(g.b, "2006-01-02T15:04:05Z")
}

func (g *recGen) one(xs []string) string      { return xs[g.pick(len(xs))] }
func (g *recGen) sess(xs []*session) *session { return xs[g.pick(len(xs))] }
func (g *recGen) chance(pct int) bool         { return g.rng.IntN(1000) < pct*10 }

// ---------------------------------------------------------------------------
// Record envelope.

var eventVersions = []string{"1.08", "1.09", "1.10", "1.11"}

// head writes everything up to and including userAgent (and an optional
// error), leaving the record open for requestParameters.
func (g *recGen) head(s *session, t int64, source, name, region string) {
	g.lit(`{"eventVersion":"`)
	switch source {
	case "s3.amazonaws.com", "lambda.amazonaws.com", "dynamodb.amazonaws.com":
		g.lit("1.09")
	default:
		g.lit(eventVersions[2+g.pick(2)])
	}
	g.lit(`","userIdentity":`)
	g.b = append(g.b, s.ident...)
	g.lit(`,"eventTime":"`)
	g.ts(t)
	g.lit(`","eventSource":"`)
	g.lit(source)
	g.source = source
	g.vpce = strings.HasPrefix(s.ip, "10.")
	g.lit(`","eventName":"`)
	g.lit(name)
	g.lit(`","awsRegion":"`)
	g.lit(region)
	g.lit(`","sourceIPAddress":`)
	g.str(s.ip)
	g.lit(`,"userAgent":`)
	g.str(s.ua)
}

// errorOut writes an errorCode/errorMessage pair.
func (g *recGen) errorOut(code, msg string) {
	g.lit(`,"errorCode":"`)
	g.lit(code)
	g.lit(`","errorMessage":`)
	g.str(msg)
}

// ids writes requestID, eventID and readOnly. s3 style request IDs are 16
// upper-case alphanumerics; everything else uses a UUID.
func (g *recGen) ids(s3style, readOnly bool) {
	g.lit(`,"requestID":"`)
	if s3style {
		g.chars(upperAlnum, 16)
	} else {
		g.uuid()
	}
	g.lit(`","eventID":"`)
	g.uuid()
	if readOnly {
		g.lit(`","readOnly":true`)
	} else {
		g.lit(`","readOnly":false`)
	}
}

// resource writes one element of a resources array.
func (g *recGen) resource(first bool, typ, arn string) {
	if first {
		g.lit(`,"resources":[`)
	} else {
		g.lit(`,`)
	}
	g.lit(`{"accountId":"` + account + `","type":"`)
	g.lit(typ)
	g.lit(`","ARN":`)
	g.str(arn)
	g.lit(`}`)
}

// tail closes a record. host is the TLS host header; "" omits tlsDetails
// (service-originated calls have none).
func (g *recGen) tail(s *session, data bool, host string, eventType string) {
	g.lit(`,"eventType":"`)
	if eventType == "" {
		eventType = "AwsApiCall"
	}
	g.lit(eventType)
	if data {
		g.lit(`","managementEvent":false,"recipientAccountId":"` + account)
	} else {
		g.lit(`","managementEvent":true,"recipientAccountId":"` + account)
	}
	if g.vpce && g.source != "iam.amazonaws.com" {
		// Calls from inside the VPC go through interface/gateway endpoints.
		g.lit(`","vpcEndpointId":"vpce-0`)
		h := uint32(2166136261)
		for _, c := range []byte(g.source + g.region) {
			h = (h ^ uint32(c)) * 16777619
		}
		v := uint64(h)<<32 | uint64(h*2654435761)
		for i := 60; i >= 0; i -= 4 {
			g.b = append(g.b, hexdigits[v>>uint(i)&15])
		}
		g.lit(`","vpcEndpointAccountId":"` + account)
	}
	if data {
		g.lit(`","eventCategory":"Data"`)
	} else {
		g.lit(`","eventCategory":"Management"`)
	}
	if host != "" && !s.service {
		if g.chance(85) {
			g.lit(`,"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":`)
		} else {
			g.lit(`,"tlsDetails":{"tlsVersion":"TLSv1.2","cipherSuite":"ECDHE-RSA-AES128-GCM-SHA256","clientProvidedHostHeader":`)
		}
		g.str(host)
		g.lit(`}`)
	}
	g.lit(`}`)
}

// ---------------------------------------------------------------------------
// Unrelated records.

type recFunc func(g *recGen, t int64)

type weighted struct {
	w  int
	fn recFunc
}

// Per-mille weights of unrelated record shapes. iamOnly shapes are global
// events and only appear in us-east-1 files.
var unrelatedRegional = []weighted{
	{150, (*recGen).s3GetObject},
	{40, (*recGen).s3PutObject},
	{60, (*recGen).ec2DescribeInstances},
	{50, (*recGen).ec2Networking},
	{60, (*recGen).stsAssumeRole},
	{25, (*recGen).stsGetCallerIdentity},
	{110, (*recGen).kmsDecrypt},
	{30, (*recGen).kmsGenerateDataKey},
	{55, (*recGen).logsPutLogEvents},
	{90, (*recGen).dynamodbItem},
	{10, (*recGen).dynamodbDescribeTable},
	{45, (*recGen).lambdaInvoke},
	{55, (*recGen).eksRead},
	{2, (*recGen).eksWriteUnwatched},
	{70, (*recGen).ecrPull},
	{25, (*recGen).ssmSecrets},
	{20, (*recGen).elbTargets},
	{15, (*recGen).autoscalingDescribe},
	{2, (*recGen).cloudtrailLookup},
}

var unrelatedGlobal = append(append([]weighted{}, unrelatedRegional...),
	weighted{45, (*recGen).iamRead},
	weighted{2, (*recGen).iamWriteUnwatched},
)

var totalRegional, totalGlobal = sumWeights(unrelatedRegional), sumWeights(unrelatedGlobal)

func sumWeights(ws []weighted) int {
	n := 0
	for _, w := range ws {
		n += w.w
	}
	return n
}

func (g *recGen) unrelatedRecord(t int64) {
	table, total := unrelatedRegional, totalRegional
	if g.region == "us-east-1" {
		table, total = unrelatedGlobal, totalGlobal
	}
	if g.burstLeft == 0 {
		r := g.rng.IntN(total)
		for _, w := range table {
			if r < w.w {
				g.burstFn = w.fn
				break
			}
			r -= w.w
		}
		g.burstSeed1, g.burstSeed2 = g.rng.Uint64(), g.rng.Uint64()
		// Burst length: geometric, mean ~3.3, capped.
		g.burstLeft = 1
		for g.burstLeft < 30 && g.rng.IntN(100) < burstContinuePct {
			g.burstLeft++
		}
	}
	g.burstLeft--
	g.cpcg.Seed(g.burstSeed1, g.burstSeed2)
	g.burstFn(g, t)
}

const burstContinuePct = 75

var s3KeyDirs = []string{"builds/orders-api/", "builds/payments/", "assets/img/", "raw/events/year=2026/month=10/", "exports/billing/2026-10/", "backups/pg/orders/"}

func (g *recGen) s3Key() {
	dir := g.one(s3KeyDirs)
	g.lit(dir)
	switch dir {
	case "assets/img/":
		g.uuid()
		g.lit(".png")
	case "raw/events/year=2026/month=10/":
		g.lit("day=")
		g.num(int64(1 + g.rng.IntN(31)))
		g.lit("/part-")
		g.num(int64(10000 + g.rng.IntN(90000)))
		g.lit("-")
		g.uuid()
		g.lit(".c000.snappy.parquet")
	default:
		g.hex(12)
		g.lit(".tar.gz")
	}
}

func (g *recGen) s3Object(t int64, name string, readOnly bool, callers ...[]*session) {
	s := g.sess(callers[g.pick(len(callers))])
	bucket := g.one(g.w.buckets)
	g.head(s, t, "s3.amazonaws.com", name, g.region)
	host := bucket + ".s3." + g.region + ".amazonaws.com"
	g.lit(`,"requestParameters":{"bucketName":"`)
	g.lit(bucket)
	g.lit(`","Host":"`)
	g.lit(host)
	g.lit(`","key":"`)
	keyStart := len(g.b)
	g.s3Key()
	key := string(g.b[keyStart:])
	g.lit(`"}`)
	if readOnly {
		g.lit(`,"responseElements":null`)
	} else {
		g.lit(`,"responseElements":{"x-amz-server-side-encryption":"aws:kms","x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:`)
		g.lit(g.region + ":" + account + ":key/")
		g.lit(g.one(g.w.kmsKeys))
		g.lit(`","x-amz-server-side-encryption-bucket-key-enabled":"true"}`)
	}
	g.lit(`,"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":`)
	size := int64(200 + g.rng.IntN(5_000_000))
	if readOnly {
		g.lit(`0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"`)
	} else {
		g.num(size)
		g.lit(`,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"`)
	}
	g.chars(alnum+"+/", 76)
	g.lit(`","bytesTransferredOut":`)
	if readOnly {
		g.num(size)
	} else {
		g.lit("0")
	}
	g.lit(`}`)
	g.ids(true, readOnly)
	g.lit(`,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::`)
	g.lit(bucket + "/" + key)
	g.lit(`"},{"accountId":"` + account + `","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::`)
	g.lit(bucket)
	g.lit(`"}]`)
	g.tail(s, true, host, "")
}

func (g *recGen) s3GetObject(t int64) {
	g.s3Object(t, "GetObject", true, g.w.nodes, g.w.lambdas, g.w.apps, g.w.backup, g.w.nodes)
}

func (g *recGen) s3PutObject(t int64) {
	g.s3Object(t, "PutObject", false, g.w.lambdas, g.w.apps, g.w.ci, g.w.backup)
}

func (g *recGen) ec2DescribeInstances(t int64) {
	s := g.sess([][]*session{g.w.karpenter, g.w.autoscaler, g.w.humans, g.w.terraform, g.w.nodes}[g.pick(5)])
	g.head(s, t, "ec2.amazonaws.com", "DescribeInstances", g.region)
	if g.chance(2) {
		g.errorOut("Client.RequestLimitExceeded", "Request limit exceeded.")
	}
	if g.chance(50) {
		g.lit(`,"requestParameters":{"instancesSet":{"items":[{"instanceId":"`)
		g.lit(g.one(g.w.instanceIDs))
		g.lit(`"}]},"filterSet":{}}`)
	} else {
		g.lit(`,"requestParameters":{"maxResults":1000,"instancesSet":{},"filterSet":{"items":[{"name":"tag:karpenter.sh/nodepool","valueSet":{"items":[{"value":"default"}]}},{"name":"instance-state-name","valueSet":{"items":[{"value":"pending"},{"value":"running"}]}}]}}`)
	}
	g.lit(`,"responseElements":null`)
	g.ids(false, true)
	g.tail(s, false, "ec2."+g.region+".amazonaws.com", "")
}

func (g *recGen) ec2Networking(t int64) {
	s := g.sess(g.w.vpcCNI)
	switch g.pick(4) {
	case 0:
		g.head(s, t, "ec2.amazonaws.com", "AssignPrivateIpAddresses", g.region)
		g.lit(`,"requestParameters":{"networkInterfaceId":"eni-0`)
		g.hex(16)
		g.lit(`","secondaryPrivateIpAddressCount":1}`)
		g.lit(`,"responseElements":{"requestId":"`)
		g.uuid()
		g.lit(`","networkInterfaceId":"eni-0`)
		g.hex(16)
		g.lit(`","assignedPrivateIpAddressesSet":{"assignedPrivateIpAddressSetType":[{"privateIpAddress":"10.20.`)
		g.num(int64(g.rng.IntN(64)))
		g.lit(".")
		g.num(int64(1 + g.rng.IntN(254)))
		g.lit(`"}]},"assignedIpv4PrefixSet":{},"_return":true}`)
		g.ids(false, false)
	case 1:
		g.head(s, t, "ec2.amazonaws.com", "DescribeNetworkInterfaces", g.region)
		g.lit(`,"requestParameters":{"networkInterfaceIdSet":{},"filterSet":{"items":[{"name":"tag:cluster.k8s.amazonaws.com/name","valueSet":{"items":[{"value":"prod"}]}},{"name":"status","valueSet":{"items":[{"value":"available"}]}}]}},"responseElements":null`)
		g.ids(false, true)
	default:
		s = g.sess([][]*session{g.w.lbc, g.w.karpenter, g.w.terraform}[g.pick(3)])
		name := g.one([]string{"DescribeSubnets", "DescribeSecurityGroups", "DescribeLaunchTemplates", "DescribeImages"})
		g.head(s, t, "ec2.amazonaws.com", name, g.region)
		g.lit(`,"requestParameters":{"filterSet":{"items":[{"name":"tag:kubernetes.io/cluster/prod","valueSet":{"items":[{"value":"owned"},{"value":"shared"}]}}]}},"responseElements":null`)
		g.ids(false, true)
	}
	g.tail(s, false, "ec2."+g.region+".amazonaws.com", "")
}

func (g *recGen) stsAssumeRole(t int64) {
	var s *session
	var role, sessName string
	switch g.pick(4) {
	case 0, 1:
		s = g.w.svcLambda
		fn := g.one(g.w.functions)
		role, sessName = "service-role/"+fn+"-role", fn
	case 2:
		s = g.sess(g.w.humans)
		role, sessName = g.one([]string{"OrganizationAccountAccessRole", "break-glass-admin", "data-analyst"}), "session-"+strconv.Itoa(g.pick(100000))
	default:
		s = g.sess(g.w.ci)
		role, sessName = "deploy-"+g.one([]string{"orders-api", "payments", "web"}), "gha-"+strconv.Itoa(g.pick(10000000))
	}
	g.head(s, t, "sts.amazonaws.com", "AssumeRole", g.region)
	roleArn := "arn:aws:iam::" + account + ":role/" + role
	g.lit(`,"requestParameters":{"roleArn":"`)
	g.lit(roleArn)
	g.lit(`","roleSessionName":"`)
	g.lit(sessName)
	if !s.service {
		g.lit(`","durationSeconds":3600`)
	} else {
		g.lit(`"`)
	}
	g.lit(`},"responseElements":{"credentials":{"accessKeyId":"ASIA`)
	g.chars(upperAlnum, 16)
	g.lit(`","sessionToken":"IQoJb3JpZ2luX2VjE`)
	g.chars(alnum+"+/", 240+g.rng.IntN(100))
	g.lit(`","expiration":"`)
	g.b = time.Unix(t+3600, 0).UTC().AppendFormat(g.b, "Jan 2, 2006, 3:04:05 PM")
	g.lit(`"},"assumedRoleUser":{"assumedRoleId":"AROA`)
	g.chars(upperAlnum, 17)
	g.lit(`:` + sessName + `","arn":"arn:aws:sts::` + account + `:assumed-role/`)
	g.lit(role[strings.LastIndexByte(role, '/')+1:] + "/" + sessName)
	g.lit(`"}}`)
	g.ids(false, true)
	g.resource(true, "AWS::IAM::Role", roleArn)
	g.lit(`]`)
	g.tail(s, false, "sts."+g.region+".amazonaws.com", "")
}

func (g *recGen) stsGetCallerIdentity(t int64) {
	s := g.sess([][]*session{g.w.humans, g.w.ci, g.w.devs, g.w.nodes}[g.pick(4)])
	g.head(s, t, "sts.amazonaws.com", "GetCallerIdentity", g.region)
	g.lit(`,"requestParameters":null,"responseElements":null`)
	g.ids(false, true)
	g.tail(s, false, "sts."+g.region+".amazonaws.com", "")
}

func (g *recGen) kmsKeyArn() string {
	return "arn:aws:kms:" + g.region + ":" + account + ":key/" + g.one(g.w.kmsKeys)
}

func (g *recGen) kmsDecrypt(t int64) {
	var s *session
	switch g.pick(5) {
	case 0:
		s = g.w.svcLambda
	case 1:
		s = g.w.svcSecrets
	case 2:
		s = g.w.svcS3
	case 3:
		s = g.sess(g.w.lambdas)
	default:
		s = g.sess(g.w.apps)
	}
	g.head(s, t, "kms.amazonaws.com", "Decrypt", g.region)
	key := g.kmsKeyArn()
	g.lit(`,"requestParameters":{"encryptionContext":{`)
	switch {
	case s == g.w.svcLambda || !s.service && g.pick(2) == 0:
		g.lit(`"aws:lambda:FunctionArn":"arn:aws:lambda:` + g.region + ":" + account + ":function:")
		g.lit(g.one(g.w.functions))
		g.lit(`"`)
	case s == g.w.svcSecrets:
		g.lit(`"SecretARN":"arn:aws:secretsmanager:` + g.region + ":" + account + ":secret:")
		g.lit(g.one(g.w.secrets))
		g.lit(`-`)
		g.chars(alnum, 6)
		g.lit(`","SecretVersionId":"`)
		g.uuid()
		g.lit(`"`)
	default:
		g.lit(`"aws:s3:arn":"arn:aws:s3:::`)
		g.lit(g.one(g.w.buckets))
		g.lit(`"`)
	}
	g.lit(`},"encryptionAlgorithm":"SYMMETRIC_DEFAULT"},"responseElements":null`)
	g.ids(false, true)
	g.resource(true, "AWS::KMS::Key", key)
	g.lit(`]`)
	g.tail(s, false, "kms."+g.region+".amazonaws.com", "")
}

func (g *recGen) kmsGenerateDataKey(t int64) {
	s := g.w.svcS3
	if g.chance(30) {
		s = g.sess(g.w.apps)
	}
	g.head(s, t, "kms.amazonaws.com", "GenerateDataKey", g.region)
	key := g.kmsKeyArn()
	g.lit(`,"requestParameters":{"keyId":"`)
	g.lit(key)
	g.lit(`","encryptionContext":{"aws:s3:arn":"arn:aws:s3:::`)
	g.lit(g.one(g.w.buckets))
	g.lit(`"},"keySpec":"AES_256"},"responseElements":null`)
	g.ids(false, true)
	g.resource(true, "AWS::KMS::Key", key)
	g.lit(`]`)
	g.tail(s, false, "kms."+g.region+".amazonaws.com", "")
}

func (g *recGen) logsPutLogEvents(t int64) {
	var s *session
	var group, stream string
	if g.pick(2) == 0 {
		s = g.sess(g.w.lambdas)
		fn := g.one(g.w.functions)
		group = "/aws/lambda/" + fn
		stream = "2026/10/" + strconv.Itoa(10+g.pick(20)) + "/[$LATEST]" + strconv.FormatUint(g.crng.Uint64(), 16)
	} else {
		s = g.sess(g.w.nodes)
		group = g.one([]string{"/aws/containerinsights/prod/application", "/aws/containerinsights/prod/dataplane", "/aws/containerinsights/prod/host"})
		stream = "ip-10-20-" + strconv.Itoa(g.pick(64)) + "-" + strconv.Itoa(g.pick(255)) + ".us-west-2.compute.internal-application.var.log.containers.orders-api-" + strconv.FormatUint(g.crng.Uint64()&0xffffffffff, 16)
	}
	g.head(s, t, "logs.amazonaws.com", "PutLogEvents", g.region)
	g.lit(`,"requestParameters":{"logGroupName":`)
	g.str(group)
	g.lit(`,"logStreamName":`)
	g.str(stream)
	g.lit(`},"responseElements":null`)
	g.ids(false, false)
	g.resource(true, "AWS::Logs::LogGroup", "arn:aws:logs:"+g.region+":"+account+":log-group:"+group)
	g.lit(`]`)
	g.tail(s, true, "logs."+g.region+".amazonaws.com", "")
}

func (g *recGen) dynamodbItem(t int64) {
	s := g.sess([][]*session{g.w.lambdas, g.w.apps}[g.pick(2)])
	table := g.one(g.w.tables)
	name := g.one([]string{"GetItem", "GetItem", "PutItem", "Query", "UpdateItem", "BatchGetItem"})
	g.head(s, t, "dynamodb.amazonaws.com", name, g.region)
	g.lit(`,"requestParameters":{"tableName":"`)
	g.lit(table)
	switch name {
	case "Query":
		g.lit(`","indexName":"gsi1","keyConditionExpression":"#pk = :pk AND begins_with(#sk, :sk)","projectionExpression":"#pk, #sk, #st, #amt","limit":50,"scanIndexForward":false,"consistentRead":false}`)
	case "BatchGetItem":
		g.lit(`","requestItems":[{"tableName":"`)
		g.lit(table)
		g.lit(`","key":{"pk":"ORDER#`)
		g.hex(12)
		g.lit(`"}},{"tableName":"`)
		g.lit(table)
		g.lit(`","key":{"pk":"ORDER#`)
		g.hex(12)
		g.lit(`"}}]}`)
	default:
		g.lit(`","key":{"pk":"`)
		g.lit(strings.ToUpper(table[:3]))
		g.lit(`#`)
		g.uuid()
		g.lit(`","sk":"META"},"consistentRead":false}`)
	}
	g.lit(`,"responseElements":null`)
	g.ids(false, name == "GetItem" || name == "Query" || name == "BatchGetItem")
	g.resource(true, "AWS::DynamoDB::Table", "arn:aws:dynamodb:"+g.region+":"+account+":table/"+table)
	g.lit(`]`)
	g.tail(s, true, "dynamodb."+g.region+".amazonaws.com", "")
}

func (g *recGen) dynamodbDescribeTable(t int64) {
	s := g.sess([][]*session{g.w.terraform, g.w.apps}[g.pick(2)])
	table := g.one(g.w.tables)
	g.head(s, t, "dynamodb.amazonaws.com", "DescribeTable", g.region)
	g.lit(`,"requestParameters":{"tableName":"`)
	g.lit(table)
	g.lit(`"},"responseElements":null`)
	g.ids(false, true)
	g.resource(true, "AWS::DynamoDB::Table", "arn:aws:dynamodb:"+g.region+":"+account+":table/"+table)
	g.lit(`]`)
	g.tail(s, false, "dynamodb."+g.region+".amazonaws.com", "")
}

func (g *recGen) lambdaInvoke(t int64) {
	s := [](*session){g.w.svcEvents, g.w.svcAPIGW, g.w.svcS3, g.sess(g.w.apps), g.sess(g.w.humans)}[g.pick(5)]
	fn := "arn:aws:lambda:" + g.region + ":" + account + ":function:" + g.one(g.w.functions)
	g.head(s, t, "lambda.amazonaws.com", "Invoke", g.region)
	g.lit(`,"requestParameters":{"functionName":"`)
	g.lit(fn)
	if s.service {
		g.lit(`","invocationType":"Event","sourceArn":"arn:aws:events:` + g.region + ":" + account + `:rule/nightly-`)
		g.hex(8)
		g.lit(`"}`)
	} else {
		g.lit(`","invocationType":"RequestResponse"}`)
	}
	g.lit(`,"responseElements":null,"additionalEventData":{"functionVersion":"`)
	g.lit(fn)
	g.lit(`:$LATEST"}`)
	g.ids(false, false)
	g.resource(true, "AWS::Lambda::Function", fn)
	g.lit(`]`)
	g.tail(s, true, "lambda."+g.region+".amazonaws.com", "")
}

// urlEncodeArn encodes an ARN the way EKS logs principalArn path parameters.
func urlEncodeArn(arn string) string {
	r := strings.NewReplacer(":", "%3A", "/", "%2F")
	return r.Replace(arn)
}

var principalArns = []string{
	"arn:aws:iam::" + account + ":role/developers",
	"arn:aws:iam::" + account + ":role/contractor",
	"arn:aws:iam::" + account + ":role/eks-node-prod",
	"arn:aws:iam::" + account + ":role/github-actions-deploy",
	"arn:aws:iam::" + account + ":role/terraform-ci",
}

func (g *recGen) clusterHere() string {
	switch g.region {
	case "us-west-2":
		return "prod"
	case "us-east-1":
		return "staging"
	}
	return "analytics-eu"
}

func (g *recGen) eksRead(t int64) {
	s := g.sess([][]*session{g.w.humans, g.w.devs, g.w.ci, g.w.terraform, g.w.karpenter}[g.pick(5)])
	cluster := g.clusterHere()
	name := g.one([]string{"DescribeCluster", "DescribeCluster", "DescribeCluster", "ListClusters", "ListAccessEntries",
		"DescribeAccessEntry", "ListAssociatedAccessPolicies", "DescribeNodegroup", "ListNodegroups", "DescribeAddon"})
	g.head(s, t, "eks.amazonaws.com", name, g.region)
	if s.arn != "" && g.chance(3) {
		g.errorOut("AccessDeniedException", "User: "+s.arn+" is not authorized to perform: eks:"+name+" on resource: arn:aws:eks:"+g.region+":"+account+":cluster/"+cluster)
	}
	switch name {
	case "ListClusters":
		g.lit(`,"requestParameters":{"maxResults":100}`)
	case "DescribeCluster", "ListAccessEntries", "ListNodegroups":
		g.lit(`,"requestParameters":{"name":"`)
		g.lit(cluster)
		g.lit(`"}`)
	case "DescribeAccessEntry", "ListAssociatedAccessPolicies":
		g.lit(`,"requestParameters":{"name":"`)
		g.lit(cluster)
		g.lit(`","principalArn":"`)
		g.lit(urlEncodeArn(g.one(principalArns)))
		g.lit(`"}`)
	case "DescribeNodegroup":
		g.lit(`,"requestParameters":{"name":"`)
		g.lit(cluster)
		g.lit(`","nodegroupName":"`)
		g.lit(g.one(g.w.nodegroups))
		g.lit(`"}`)
	case "DescribeAddon":
		g.lit(`,"requestParameters":{"name":"`)
		g.lit(cluster)
		g.lit(`","addonName":"`)
		g.lit(g.one([]string{"vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver", "eks-pod-identity-agent"}))
		g.lit(`"}`)
	}
	g.lit(`,"responseElements":null`)
	g.ids(false, true)
	g.tail(s, false, "eks."+g.region+".amazonaws.com", "")
}

// eksWriteUnwatched: EKS writes that do not change who can access a cluster.
func (g *recGen) eksWriteUnwatched(t int64) {
	s := g.sess(g.w.terraform)
	cluster := g.clusterHere()
	if g.pick(2) == 0 {
		g.head(s, t, "eks.amazonaws.com", "UpdateNodegroupConfig", g.region)
		g.lit(`,"requestParameters":{"name":"` + cluster + `","nodegroupName":"`)
		g.lit(g.one(g.w.nodegroups))
		g.lit(`","scalingConfig":{"minSize":2,"maxSize":`)
		g.num(int64(6 + g.rng.IntN(20)))
		g.lit(`,"desiredSize":3},"clientRequestToken":"`)
		g.uuid()
		g.lit(`"},"responseElements":{"update":{"id":"`)
		g.uuid()
		g.lit(`","status":"InProgress","type":"ConfigUpdate","params":[{"type":"MaxSize","value":"12"}],"createdAt":"`)
		g.ts(t)
		g.lit(`","errors":[]}}`)
	} else {
		arn := "arn:aws:eks:" + g.region + ":" + account + ":cluster/" + cluster
		g.head(s, t, "eks.amazonaws.com", "TagResource", g.region)
		g.lit(`,"requestParameters":{"resourceArn":"`)
		g.lit(urlEncodeArn(arn))
		g.lit(`","tags":{"team":"platform","cost-center":"cc-1042"}},"responseElements":null`)
	}
	g.ids(false, false)
	g.tail(s, false, "eks."+g.region+".amazonaws.com", "")
}

func (g *recGen) ecrPull(t int64) {
	s := g.sess(g.w.nodes)
	repo := g.one([]string{"orders-api", "payments", "search-indexer", "web", "fluent-bit"})
	name := g.one([]string{"GetDownloadUrlForLayer", "GetDownloadUrlForLayer", "GetDownloadUrlForLayer", "BatchGetImage", "GetAuthorizationToken"})
	g.head(s, t, "ecr.amazonaws.com", name, g.region)
	switch name {
	case "GetAuthorizationToken":
		g.lit(`,"requestParameters":{"registryIds":["` + account + `"]},"responseElements":null`)
		g.ids(false, true)
	case "BatchGetImage":
		g.lit(`,"requestParameters":{"imageIds":[{"imageTag":"v1.`)
		g.num(int64(g.pick(60)))
		g.lit(`.`)
		g.num(int64(g.pick(10)))
		g.lit(`"}],"acceptedMediaTypes":["application/vnd.docker.distribution.manifest.v1+prettyjws","application/vnd.docker.distribution.manifest.v2+json","application/vnd.oci.image.manifest.v1+json","application/vnd.docker.distribution.manifest.list.v2+json","application/vnd.oci.image.index.v1+json"],"repositoryName":"`)
		g.lit(repo)
		g.lit(`","registryId":"` + account + `"},"responseElements":null`)
		g.ids(false, true)
		g.resource(true, "AWS::ECR::Repository", "arn:aws:ecr:"+g.region+":"+account+":repository/"+repo)
		g.lit(`]`)
	default:
		g.lit(`,"requestParameters":{"repositoryName":"`)
		g.lit(repo)
		g.lit(`","registryId":"` + account + `","layerDigest":"sha256:`)
		g.hex(64)
		g.lit(`"},"responseElements":null`)
		g.ids(false, true)
		g.resource(true, "AWS::ECR::Repository", "arn:aws:ecr:"+g.region+":"+account+":repository/"+repo)
		g.lit(`]`)
	}
	g.tail(s, false, "api.ecr."+g.region+".amazonaws.com", "")
}

func (g *recGen) ssmSecrets(t int64) {
	if g.pick(2) == 0 {
		s := g.sess([][]*session{g.w.apps, g.w.lambdas}[g.pick(2)])
		secret := "arn:aws:secretsmanager:" + g.region + ":" + account + ":secret:" + g.one(g.w.secrets)
		g.head(s, t, "secretsmanager.amazonaws.com", "GetSecretValue", g.region)
		g.lit(`,"requestParameters":{"secretId":"`)
		g.lit(secret)
		g.lit(`"},"responseElements":null`)
		g.ids(false, true)
		g.tail(s, false, "secretsmanager."+g.region+".amazonaws.com", "")
		return
	}
	s := g.sess([][]*session{g.w.nodes, g.w.lambdas}[g.pick(2)])
	g.head(s, t, "ssm.amazonaws.com", "GetParameter", g.region)
	g.lit(`,"requestParameters":{"name":"`)
	g.lit(g.one([]string{"/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended/image_id",
		"/aws/service/bottlerocket/aws-k8s-1.31/x86_64/latest/image_id", "/orders/prod/feature-flags", "/payments/prod/endpoint"}))
	g.lit(`","withDecryption":false},"responseElements":null`)
	g.ids(false, true)
	g.tail(s, false, "ssm."+g.region+".amazonaws.com", "")
}

func (g *recGen) elbTargets(t int64) {
	s := g.sess(g.w.lbc)
	tg := "arn:aws:elasticloadbalancing:" + g.region + ":" + account + ":targetgroup/" + g.one(g.w.targetGroup)
	if g.pick(5) == 0 {
		g.head(s, t, "elasticloadbalancing.amazonaws.com", "RegisterTargets", g.region)
		g.lit(`,"requestParameters":{"targetGroupArn":"`)
		g.lit(tg)
		g.lit(`","targets":[{"id":"10.20.`)
		g.num(int64(g.rng.IntN(64)))
		g.lit(".")
		g.num(int64(1 + g.rng.IntN(254)))
		g.lit(`","port":8080}]},"responseElements":null`)
		g.ids(false, false)
	} else {
		g.head(s, t, "elasticloadbalancing.amazonaws.com", "DescribeTargetHealth", g.region)
		g.lit(`,"requestParameters":{"targetGroupArn":"`)
		g.lit(tg)
		g.lit(`"},"responseElements":null`)
		g.ids(false, true)
	}
	g.tail(s, false, "elasticloadbalancing."+g.region+".amazonaws.com", "")
}

func (g *recGen) autoscalingDescribe(t int64) {
	s := g.sess(g.w.autoscaler)
	g.head(s, t, "autoscaling.amazonaws.com", "DescribeAutoScalingGroups", g.region)
	g.lit(`,"requestParameters":{"autoScalingGroupNames":["`)
	g.lit(strings.Join(g.w.asgs, `","`))
	g.lit(`"],"maxRecords":100},"responseElements":null`)
	g.ids(false, true)
	g.tail(s, false, "autoscaling."+g.region+".amazonaws.com", "")
}

// cloudtrailLookup mentions a watched eventName inside requestParameters: a
// read-only call that a byte-level prefilter must not mistake for a change.
func (g *recGen) cloudtrailLookup(t int64) {
	s := g.sess(g.w.humans)
	g.head(s, t, "cloudtrail.amazonaws.com", "LookupEvents", g.region)
	g.lit(`,"requestParameters":{"lookupAttributes":[{"attributeKey":"EventName","attributeValue":"`)
	g.lit(watchedNames[g.rng.IntN(numWatchedKinds)])
	g.lit(`"}],"maxResults":50},"responseElements":null`)
	g.ids(false, true)
	g.tail(s, false, "cloudtrail."+g.region+".amazonaws.com", "")
}

var iamRoles = []string{"developers", "contractor", "eks-node-prod", "karpenter-prod", "orders-api-prod", "terraform-ci", "github-actions-deploy"}

func (g *recGen) iamRead(t int64) {
	s := g.sess([][]*session{g.w.terraform, g.w.humans, g.w.ci}[g.pick(3)])
	name := g.one([]string{"GetRole", "GetRole", "ListAttachedRolePolicies", "ListRolePolicies", "GetPolicyVersion", "ListRoles", "GetOpenIDConnectProvider"})
	g.head(s, t, "iam.amazonaws.com", name, "us-east-1")
	switch name {
	case "ListRoles":
		g.lit(`,"requestParameters":{"maxItems":1000}`)
	case "GetPolicyVersion":
		g.lit(`,"requestParameters":{"policyArn":"arn:aws:iam::` + account + `:policy/`)
		g.lit(g.one([]string{"eks-describe", "orders-api-s3", "karpenter-controller"}))
		g.lit(`","versionId":"v`)
		g.num(int64(1 + g.rng.IntN(8)))
		g.lit(`"}`)
	case "GetOpenIDConnectProvider":
		g.lit(`,"requestParameters":{"openIDConnectProviderArn":"arn:aws:iam::` + account + `:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/5E4C1B2A9D8F7E6C3B0A19283746ABCD"}`)
	default:
		g.lit(`,"requestParameters":{"roleName":"`)
		g.lit(g.one(iamRoles))
		g.lit(`"}`)
	}
	g.lit(`,"responseElements":null`)
	g.ids(false, true)
	g.tail(s, false, "iam.amazonaws.com", "")
}

func (g *recGen) iamWriteUnwatched(t int64) {
	s := g.sess(g.w.terraform)
	g.head(s, t, "iam.amazonaws.com", "TagRole", "us-east-1")
	g.lit(`,"requestParameters":{"roleName":"`)
	g.lit(g.one(iamRoles))
	g.lit(`","tags":[{"key":"managed-by","value":"terraform"},{"key":"team","value":"platform"}]},"responseElements":null`)
	g.ids(false, false)
	g.tail(s, false, "iam.amazonaws.com", "")
}

// ---------------------------------------------------------------------------
// Watched (access-changing) records.

var watchedRoles = []string{
	"arn:aws:iam::" + account + ":role/developers",
	"arn:aws:iam::" + account + ":role/contractor",
}

var eksPolicies = []string{
	"arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
	"arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
	"arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy",
	"arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
}

var iamPolicies = []string{
	"arn:aws:iam::aws:policy/AdministratorAccess",
	"arn:aws:iam::aws:policy/ReadOnlyAccess",
	"arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
	"arn:aws:iam::" + account + ":policy/eks-describe",
}

func (g *recGen) watchedRecord(wp watchedPlan, t int64) {
	g.cpcg.Seed(g.rng.Uint64(), g.rng.Uint64())
	s := g.sess(g.w.watchers)
	c := watchedClusters[wp.cluster]
	role := g.one(watchedRoles)
	roleName := role[strings.LastIndexByte(role, '/')+1:]
	switch wp.kind {
	case wCreateAccessEntry:
		g.head(s, t, "eks.amazonaws.com", "CreateAccessEntry", c.region)
		groups := g.one([]string{`["dev-viewers"]`, `["dev-editors","dev-viewers"]`, `[]`, `["contractors"]`})
		g.lit(`,"requestParameters":{"name":"`)
		g.lit(c.name)
		g.lit(`","principalArn":"`)
		g.lit(role)
		g.lit(`","kubernetesGroups":`)
		g.lit(groups)
		g.lit(`,"type":"STANDARD","clientRequestToken":"`)
		g.uuid()
		g.lit(`"},"responseElements":{"accessEntry":{"clusterName":"`)
		g.lit(c.name)
		g.lit(`","principalArn":"`)
		g.lit(role)
		g.lit(`","kubernetesGroups":`)
		g.lit(groups)
		g.lit(`,"accessEntryArn":"arn:aws:eks:` + c.region + ":" + account + ":access-entry/" + c.name + "/role/" + account + "/" + roleName + "/")
		g.hex(8)
		g.lit("-")
		g.hex(4)
		g.lit("-")
		g.hex(4)
		g.lit("-")
		g.hex(4)
		g.lit("-")
		g.hex(12)
		g.lit(`","createdAt":"`)
		g.ts(t)
		g.lit(`","modifiedAt":"`)
		g.ts(t)
		g.lit(`","tags":{},"username":"arn:aws:sts::` + account + `:assumed-role/` + roleName + `/{{SessionName}}","type":"STANDARD"}}`)
		g.ids(false, false)
		g.tail(s, false, "eks."+c.region+".amazonaws.com", "")
	case wAssociateAccessPolicy:
		g.head(s, t, "eks.amazonaws.com", "AssociateAccessPolicy", c.region)
		policy := g.one(eksPolicies)
		g.lit(`,"requestParameters":{"name":"`)
		g.lit(c.name)
		g.lit(`","principalArn":"`)
		g.lit(urlEncodeArn(role))
		g.lit(`","policyArn":"`)
		g.lit(policy)
		g.lit(`","accessScope":{"type":"cluster"}},"responseElements":{"clusterName":"`)
		g.lit(c.name)
		g.lit(`","principalArn":"`)
		g.lit(role)
		g.lit(`","associatedAccessPolicy":{"policyArn":"`)
		g.lit(policy)
		g.lit(`","accessScope":{"type":"cluster","namespaces":[]},"associatedAt":"`)
		g.ts(t)
		g.lit(`","modifiedAt":"`)
		g.ts(t)
		g.lit(`"}}`)
		g.ids(false, false)
		g.tail(s, false, "eks."+c.region+".amazonaws.com", "")
	case wDeleteAccessEntry:
		g.head(s, t, "eks.amazonaws.com", "DeleteAccessEntry", c.region)
		g.lit(`,"requestParameters":{"name":"`)
		g.lit(c.name)
		g.lit(`","principalArn":"`)
		g.lit(urlEncodeArn(role))
		g.lit(`"},"responseElements":null`)
		g.ids(false, false)
		g.tail(s, false, "eks."+c.region+".amazonaws.com", "")
	case wAttachRolePolicy:
		g.head(s, t, "iam.amazonaws.com", "AttachRolePolicy", "us-east-1")
		g.lit(`,"requestParameters":{"roleName":"`)
		g.lit(roleName)
		g.lit(`","policyArn":"`)
		g.lit(g.one(iamPolicies))
		g.lit(`"},"responseElements":null`)
		g.ids(false, false)
		g.tail(s, false, "iam.amazonaws.com", "")
	case wUpdateAssumeRolePolicy:
		g.head(s, t, "iam.amazonaws.com", "UpdateAssumeRolePolicy", "us-east-1")
		g.lit(`,"requestParameters":{"roleName":"`)
		g.lit(roleName)
		g.lit(`","policyDocument":`)
		var trusted string
		if g.rng.IntN(2) == 0 {
			trusted = `"AWS": "arn:aws:iam::` + account + `:root"`
		} else {
			trusted = `"AWS": [\n                    "arn:aws:iam::` + account + `:role/aws-reserved/sso.amazonaws.com/us-east-1/AWSReservedSSO_PlatformEngineer_7a1e2b3c4d5f6071",\n                    "arn:aws:iam::444455556666:root"\n                ]`
		}
		doc := "{\n    \"Version\": \"2012-10-17\",\n    \"Statement\": [\n        {\n            \"Effect\": \"Allow\",\n            \"Principal\": {\n                " +
			strings.ReplaceAll(trusted, `\n`, "\n") +
			"\n            },\n            \"Action\": \"sts:AssumeRole\",\n            \"Condition\": {\n                \"Bool\": {\n                    \"aws:MultiFactorAuthPresent\": \"true\"\n                }\n            }\n        }\n    ]\n}"
		g.str(doc)
		g.lit(`},"responseElements":null`)
		g.ids(false, false)
		g.tail(s, false, "iam.amazonaws.com", "")
	}
}
