// Command sizefloor measures what a function's bootstrap cannot weigh less
// than while it keeps the official libraries: for each function package it
// generates a probe that links only the Lambda runtime (lambda.Start), the
// SDK's config.LoadDefaultConfig and one call on each AWS service client
// the function links, builds it as make builds a bootstrap (linux/arm64,
// stripped), and prints its size. `make size` prints it beside each
// function's own size; bench/README.md explains how to read it.
//
//	go run ./bench/sizefloor -tags lambda.norpc,nethttpomithttp2 ./functions/detect ./functions/notify
//
// prints one line per package: its name, the probe's size in bytes and the
// services the probe calls. A service the function links but that ops has
// no operation for is an error: a floor without it would be too low.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/template"
)

// sdkPrefix is the AWS SDK's module tree; a service is its package
// sdkPrefix + "service/" + name.
const sdkPrefix = "github.com/aws/aws-sdk-go-v2/"

// ops is the one operation the probe calls on each service client: one the
// functions call. A new service in a function needs a row here.
var ops = map[string]string{
	"cloudtrail":     "LookupEvents",
	"dynamodb":       "PutItem",
	"eks":            "DescribeAccessEntry",
	"iam":            "GetRole",
	"organizations":  "DescribeAccount",
	"s3":             "GetObject",
	"secretsmanager": "GetSecretValue",
	"securityhub":    "BatchImportFindings",
	"sns":            "Publish",
	"sqs":            "SendMessage",
	"sts":            "GetCallerIdentity",
}

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "sizefloor:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sizefloor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tags := fs.String("tags", "lambda.norpc,nethttpomithttp2", "build tags, as make builds the functions")
	work := fs.String("work", "build", "where the probes are written (a temporary directory inside it, removed after)")
	keep := fs.Bool("keep", false, "keep the probes' sources and binaries")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("usage: sizefloor [-tags t] [-work dir] [-keep] PACKAGE, one or more, e.g. ./functions/detect")
	}
	if err := os.MkdirAll(*work, 0o755); err != nil {
		return err
	}
	// A leading underscore: `go ... ./...` never walks into it.
	dir, err := os.MkdirTemp(*work, "_sizefloor-")
	if err != nil {
		return err
	}
	if *keep {
		fmt.Fprintln(stderr, "sizefloor: probes kept in", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	for _, pkg := range fs.Args() {
		deps, err := goList(ctx, *tags, pkg)
		if err != nil {
			return err
		}
		services, err := Services(deps)
		if err != nil {
			return fmt.Errorf("%s: %w", pkg, err)
		}
		src, err := Probe(services)
		if err != nil {
			return fmt.Errorf("%s: %w", pkg, err)
		}
		name := path.Base(pkg)
		size, err := build(ctx, *tags, filepath.Join(dir, name), src)
		if err != nil {
			return fmt.Errorf("%s: %w", pkg, err)
		}
		fmt.Fprintf(stdout, "%s %d %s\n", name, size, strings.Join(services, ","))
	}
	return nil
}

// env is the build environment of a bootstrap.
func env() []string {
	return append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
}

// goList returns what pkg links (as a bootstrap) and, for each package,
// what it imports.
func goList(ctx context.Context, tags, pkg string) (map[string][]string, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-tags", tags, "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", pkg)
	cmd.Env = env()
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %v\n%s", pkg, err, errb.String())
	}
	deps := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 {
			deps[f[0]] = f[1:]
		}
	}
	return deps, nil
}

// serviceOf is the service a package path is the client of, if it is one.
func serviceOf(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, sdkPrefix+"service/")
	if !ok || rest == "internal" || strings.Contains(rest, "/") {
		return "", false
	}
	return rest, true
}

// Services are the AWS services whose clients the function's own code (or
// a library other than the SDK) imports, sorted. A service only the SDK
// imports (sts, sso, ssooidc, signin for config.LoadDefaultConfig's
// credential providers) is already in the probe through the config
// loader, and gets no call. A service with no row in ops is an error.
func Services(deps map[string][]string) ([]string, error) {
	used := map[string]bool{}
	for p, imports := range deps {
		if strings.HasPrefix(p, sdkPrefix) {
			continue
		}
		for _, imp := range imports {
			if s, ok := serviceOf(imp); ok {
				used[s] = true
			}
		}
	}
	var out, missing []string
	for s := range used {
		if _, ok := ops[s]; !ok {
			missing = append(missing, s)
		}
		out = append(out, s)
	}
	sort.Strings(out)
	sort.Strings(missing)
	if len(missing) > 0 {
		return nil, fmt.Errorf("no operation for service %s in bench/sizefloor's table: add the one the function calls", strings.Join(missing, ", "))
	}
	return out, nil
}

// probe is the generated program; op names a service's one operation.
var probe = template.Must(template.New("probe").Funcs(template.FuncMap{"op": func(s string) string { return ops[s] }}).Parse(`// Command probe is generated by bench/sizefloor: the Lambda runtime, the
// SDK's default config and one call on each service client, nothing else.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
{{range .}}	{{.}} "github.com/aws/aws-sdk-go-v2/service/{{.}}"
{{end}})

func main() {
	lambda.Start(func(ctx context.Context, in map[string]string) (string, error) {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return "", err
		}
		var out string
{{range .}}		if _, err := {{.}}.NewFromConfig(cfg).{{op .}}(ctx, &{{.}}.{{op .}}Input{}); err != nil {
			out += err.Error()
		}
{{end}}		return out, nil
	})
}
`))

// Probe is the source of the probe that calls one operation on each of
// services; a service with no row in ops is an error.
func Probe(services []string) ([]byte, error) {
	for _, s := range services {
		if _, ok := ops[s]; !ok {
			return nil, fmt.Errorf("no operation for service %s in bench/sizefloor's table", s)
		}
	}
	var b bytes.Buffer
	if err := probe.Execute(&b, services); err != nil {
		return nil, err
	}
	return format.Source(b.Bytes())
}

// build writes src as dir/main.go, builds it as a bootstrap into dir and
// returns its size in bytes.
func build(ctx context.Context, tags, dir string, src []byte) (int64, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), src, 0o644); err != nil {
		return 0, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return 0, err
	}
	out := filepath.Join(abs, "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", tags, "-trimpath", "-ldflags=-s -w", "-o", out, ".")
	cmd.Dir = abs
	cmd.Env = env()
	if b, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("go build of the probe in %s: %v\n%s", dir, err, b)
	}
	fi, err := os.Stat(out)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
