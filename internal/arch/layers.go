package arch

// A layer says what a package is for, and so what it may import.
type layer string

const (
	// domain is internal/drift: the types and rules, on the standard
	// library alone.
	domain layer = "domain"
	// vocabulary packages are words shared by many others (environment
	// variable names, metric names, what an alert says, the event rules):
	// the standard library and the domain only.
	vocabulary layer = "vocabulary"
	// adapter packages translate between one outside thing and the domain:
	// the domain, the vocabulary and outside libraries, at most one AWS
	// service, and never another adapter.
	adapter layer = "adapter"
	// useCase packages join adapters to the domain through small interfaces
	// of their own; they call no AWS service themselves.
	useCase layer = "use case"
	// wiring packages build the clients and hand them to the use cases:
	// the command, the functions, the stack, the benchmark tools.
	wiring layer = "wiring"
	// testSupport packages serve tests, and only tests import them.
	testSupport layer = "test support"
)

// layerOrder is the order of the layers in the import graph's golden file,
// from the inside out.
var layerOrder = []layer{domain, vocabulary, adapter, useCase, wiring, testSupport}

// place is one package's row in the table.
type place struct {
	layer layer
	// service is the one AWS service an adapter calls (the name under
	// github.com/aws/aws-sdk-go-v2/service/), and no other adapter may.
	service string
	// alsoImports are packages of ours that the layer alone would not
	// allow, each with the reason in why.
	alsoImports []string
	why         string
}

// table maps every package of the module (path from the module root) to its
// layer. A package missing from it, or a row with no package behind it,
// fails TestEveryPackageHasAPlace.
var table = map[string]place{
	"internal/drift": {layer: domain},

	"internal/config":  {layer: vocabulary},
	"internal/metrics": {layer: vocabulary},
	"internal/notice":  {layer: vocabulary},
	"internal/routing": {layer: vocabulary, alsoImports: []string{"internal/cloudtrail"},
		why: "the rules match the calls the decoder watches (cloudtrail.WatchedEventNames), so the two cannot disagree"},

	"internal/baseline":   {layer: adapter},
	"internal/chatbot":    {layer: adapter},
	"internal/cloudtrail": {layer: adapter},
	"internal/dynamodb":   {layer: adapter, service: "dynamodb"},
	"internal/eks":        {layer: adapter, service: "eks"},
	"internal/iam":        {layer: adapter, service: "iam"},
	"internal/k8saudit":   {layer: adapter},
	"internal/lookup":     {layer: adapter, service: "cloudtrail"},
	"internal/report": {layer: adapter, alsoImports: []string{"internal/audit"},
		why: "it renders audit.Report, the auditors' answer, as HTML; it reads no store and no AWS service"},
	"internal/ocsf":        {layer: adapter},
	"internal/s3":          {layer: adapter, service: "s3"},
	"internal/securityhub": {layer: adapter, service: "securityhub"},
	"internal/secrets":     {layer: adapter, service: "secretsmanager"},
	"internal/slack":       {layer: adapter},
	"internal/sns":         {layer: adapter, service: "sns"},
	"internal/sqlite":      {layer: adapter},
	"internal/sqs":         {layer: adapter, service: "sqs"},
	// Which accounts an organization has, for capture/plan and admission.
	"internal/organizations": {layer: adapter, service: "organizations"},

	"internal/accept":    {layer: useCase},
	"internal/audit":     {layer: useCase},
	"internal/detect":    {layer: useCase},
	"internal/interact":  {layer: useCase},
	"internal/notify":    {layer: useCase},
	"internal/reconcile": {layer: useCase},
	"internal/replay":    {layer: useCase},
	"internal/revert":    {layer: useCase},
	"internal/scan":      {layer: useCase},

	"cmd/eksdrift":          {layer: wiring},
	"functions/detect":      {layer: wiring},
	"functions/interact":    {layer: wiring},
	"functions/notify":      {layer: wiring},
	"functions/reconcile":   {layer: wiring},
	"functions/revert":      {layer: wiring},
	"functions/securityhub": {layer: wiring},
	"infra":                 {layer: wiring},
	"infra/app":             {layer: wiring},
	"internal/cli":          {layer: wiring},
	"internal/awsconfig":    {layer: wiring},
	"internal/lambdamain":   {layer: wiring},
	"internal/wiring":       {layer: wiring},
	"bench/eksworld":        {layer: wiring},
	"bench/gentrail":        {layer: wiring},
	"bench/orgsweep":        {layer: wiring},
	"bench/s3load":          {layer: wiring},
	"bench/sizefloor":       {layer: wiring},

	"internal/arch":            {layer: testSupport},
	"internal/awstest":         {layer: testSupport},
	"internal/drift/drifttest": {layer: testSupport},
	"internal/e2e":             {layer: testSupport},
	"internal/lambdatest":      {layer: testSupport},
	"internal/stacktest":       {layer: testSupport},
	"internal/orgtest":         {layer: testSupport},
	// capture and plan across accounts, with IAM enforced.
	"internal/orgcli": {layer: testSupport},
}

// knownViolations are breaches of the rules that are being removed, each
// with who removes it. Each must still occur (a stale entry fails the test),
// so the list can only shrink: delete the line with the change that ends it.
// An entry reads, for example:
//
//	"internal/chatbot imports github.com/aws/aws-sdk-go-v2/service/sns, the service of internal/sns": "issue 14: internal/sns becomes the only SNS client",
//
// (that one ended when internal/notify made internal/sns the one SNS
// client).
var knownViolations = map[string]string{}
