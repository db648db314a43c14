// Package awstest gives integration tests a real AWS-compatible endpoint:
// MiniStack, started on 127.0.0.1 for the test binary's lifetime unless
// AWS_ENDPOINT_URL already names one. Tests reach it through the SDK's own
// AWS_ENDPOINT_URL, so the code under test is configured exactly as in AWS.
//
// A package's tests opt in with
//
//	func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }
//
// and build clients from awstest.Config(t).
package awstest

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/eksdrift/eksdrift/internal/awsconfig"
)

// MiniStackVersion is the emulator version the tests are written against;
// `make tools` installs it into .venv.
const MiniStackVersion = "1.5.33"

// Region is the region tests use unless they say otherwise.
const Region = "us-east-1"

// Main starts MiniStack when AWS_ENDPOINT_URL is unset, runs the tests, and
// stops it. It returns the exit code for os.Exit.
func Main(m *testing.M) int { return MainWith(m, Options{}) }

// Options say how MiniStack is started. The zero value is what Main does:
// plain HTTP, any credentials accepted, account 000000000000, us-east-1.
type Options struct {
	// Account is the emulator's default account (MINISTACK_ACCOUNT_ID) and
	// the test's access key: a 12-digit key is that account's root.
	Account string
	// Region is the emulator's default region (MINISTACK_REGION), the
	// test's AWS_REGION and Config's region; Region when empty.
	Region string
	// HTTPS serves the emulator over TLS with a throwaway certificate for
	// 127.0.0.1 (USE_SSL, MINISTACK_SSL_CERT, MINISTACK_SSL_KEY). The SDK
	// (AWS_CA_BUNDLE) and Node (NODE_EXTRA_CA_CERTS) of the test process,
	// and the functions the emulator runs, trust it.
	HTTPS bool
	// Auth makes the emulator enforce IAM (AUTH=true): identity policies,
	// resource policies, KMS key policies, aws:SecureTransport.
	Auth bool
	// Launcher, when set, is a Python script (relative to the repository
	// root) run with .venv's Python instead of the ministack command: it
	// imports MiniStack, registers stand-ins, and starts it.
	Launcher string
	// Env is added to the emulator's environment (KEY=value).
	Env []string
	// Log, when set, is the file the emulator's output goes to, kept after
	// the run; otherwise a temporary file, removed.
	Log string
}

// region is the region of the running emulator's tests (Options.Region).
var region = Region

// MainWith is Main with options. An AWS_ENDPOINT_URL already set wins, and the options then only set the test's credentials and region.
func MainWith(m *testing.M, o Options) int {
	if o.Region != "" {
		region = o.Region
	}
	if os.Getenv("AWS_ENDPOINT_URL") != "" {
		setCredentials(o)
		return m.Run()
	}
	stop, err := start(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "awstest:", err)
		return 1
	}
	defer stop()
	return m.Run()
}

func setCredentials(o Options) {
	key := "test"
	if o.Account != "" {
		key = o.Account
	}
	// The emulator accepts any credentials (under AUTH a 12-digit key is the
	// account's root); fixed ones keep the SDK from looking for real ones on
	// the machine.
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":     key,
		"AWS_SECRET_ACCESS_KEY": "test",
		"AWS_REGION":            region,
	} {
		if os.Getenv(k) == "" {
			os.Setenv(k, v)
		}
	}
	os.Unsetenv("AWS_PROFILE")
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// Binary finds the MiniStack launcher: $MINISTACK_BIN, else .venv/bin/ministack
// at the repository root.
func Binary() (string, error) {
	return venvTool("MINISTACK_BIN", "ministack", "MiniStack", "ministack=="+MiniStackVersion)
}

// venvTool finds an emulator's launcher: $envVar, else .venv/bin/name at
// the repository root, or says how to install it (pipSpec, into .venv).
func venvTool(envVar, name, what, pipSpec string) (string, error) {
	if b := os.Getenv(envVar); b != "" {
		return b, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	b := filepath.Join(root, ".venv", "bin", name)
	if _, err := os.Stat(b); err != nil {
		return "", fmt.Errorf("%s is not installed at %s: run `make tools` (pip install '%s' into .venv), or set AWS_ENDPOINT_URL to a running emulator", what, b, pipSpec)
	}
	return b, nil
}

// RepoRoot finds the directory holding go.mod above the working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("awstest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// FreePort asks the kernel for a free TCP port on 127.0.0.1.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func start(o Options) (stop func(), err error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	args := []string{}
	if o.Launcher != "" {
		root, err := RepoRoot()
		if err != nil {
			return nil, err
		}
		// The launcher runs with the Python that has MiniStack installed.
		args = []string{filepath.Join(root, o.Launcher)}
		bin = filepath.Join(filepath.Dir(bin), "python")
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	var logf *os.File
	if o.Log != "" {
		logf, err = os.Create(o.Log)
	} else {
		logf, err = os.CreateTemp("", "ministack-*.log")
	}
	if err != nil {
		return nil, err
	}
	scheme := "http"
	env := append(os.Environ(), "BIND_HOST=127.0.0.1", fmt.Sprintf("GATEWAY_PORT=%d", port), "LOG_LEVEL=WARNING")
	var tlsDir string
	if o.HTTPS {
		scheme = "https"
		if tlsDir, err = os.MkdirTemp("", "awstest-tls-*"); err != nil {
			return nil, err
		}
		cert, key, err := writeCertificate(tlsDir)
		if err != nil {
			os.RemoveAll(tlsDir)
			return nil, fmt.Errorf("awstest: throwaway certificate: %w", err)
		}
		// The test process (SDK, CDK CLI) and the functions MiniStack runs
		// (they inherit its environment) trust the certificate.
		os.Setenv("AWS_CA_BUNDLE", cert)
		os.Setenv("NODE_EXTRA_CA_CERTS", cert)
		env = append(env, "USE_SSL=1", "MINISTACK_SSL_CERT="+cert, "MINISTACK_SSL_KEY="+key, "AWS_CA_BUNDLE="+cert)
	}
	endpoint := fmt.Sprintf("%s://127.0.0.1:%d", scheme, port)
	if o.Auth {
		env = append(env, "AUTH=true")
	}
	if o.Account != "" {
		env = append(env, "MINISTACK_ACCOUNT_ID="+o.Account)
	}
	if o.Region != "" {
		env = append(env, "MINISTACK_REGION="+o.Region)
	}
	if o.HTTPS || o.Launcher != "" {
		// The functions reach the emulator only through AWS_ENDPOINT_URL in
		// MiniStack's own environment.
		env = append(env, "AWS_ENDPOINT_URL="+endpoint)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(env, o.Env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	stop = func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
		logf.Close()
		if o.Log == "" {
			os.Remove(logf.Name())
		}
		if tlsDir != "" {
			os.RemoveAll(tlsDir)
		}
	}
	if err := waitHealthy(endpoint, 30*time.Second); err != nil {
		stop()
		log, _ := os.ReadFile(logf.Name())
		return nil, fmt.Errorf("MiniStack on %s: %w\n%s", endpoint, err, tail(string(log), 2000))
	}
	os.Setenv("AWS_ENDPOINT_URL", endpoint)
	setCredentials(o)
	return stop, nil
}

func waitHealthy(endpoint string, within time.Duration) error {
	deadline := time.Now().Add(within)
	client := &http.Client{Timeout: time.Second}
	if bundle := os.Getenv("AWS_CA_BUNDLE"); bundle != "" && strings.HasPrefix(endpoint, "https:") {
		pem, err := os.ReadFile(bundle)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	}
	for {
		resp, err := client.Get(endpoint + "/_ministack/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not healthy after %s: %v", within, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// Endpoint is the emulator's URL.
func Endpoint(t testing.TB) string {
	t.Helper()
	e := os.Getenv("AWS_ENDPOINT_URL")
	if e == "" {
		t.Fatal("awstest: AWS_ENDPOINT_URL is unset: call awstest.Main from TestMain")
	}
	return e
}

// Config loads an SDK configuration the way the functions do (the default
// chain, AWS_ENDPOINT_URL included), pointed at the emulator.
func Config(t testing.TB) aws.Config {
	t.Helper()
	Endpoint(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// MiniStack's server closes idle keep-alive connections without
	// warning; a request sent on one fails after the emulator acted on it,
	// and the SDK's retry then meets "already exists". One connection per
	// request avoids the race. Each connection remembers where this process
	// closed it, so a response read after that says who did (conn.go).
	client := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.DisableKeepAlives = true
		tr.DialContext = dialWatched
	})
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region), config.WithHTTPClient(client))
	if err != nil {
		t.Fatalf("awstest: loading SDK config: %v", err)
	}
	// Wrapped after loading: the loader adds AWS_CA_BUNDLE's roots only to
	// its own client type.
	cfg.HTTPClient = awsconfig.SendOnce(cfg.HTTPClient)
	cfg.APIOptions = append(cfg.APIOptions, retries)
	return cfg
}

// Name gives a unique, lower-case resource name for a test, so tests that
// share one emulator do not see each other's buckets, tables or roles.
func Name(t testing.TB, prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	n := strings.ToLower(prefix + "-" + hex.EncodeToString(b))
	return n
}

// LostAnswerError is a create the emulator carried out whose answer the
// test never got: the SDK's first attempt failed (a dropped connection, a
// 5xx), its retry met "already exists". MiniStack on a loaded machine
// loses an answer now and then; this names the case instead of leaving a
// bare "already exists" that reads like a test bug.
type LostAnswerError struct {
	Service, Operation string
	// First is the error of the attempt whose answer was lost.
	First error
	// Err is the retry's error.
	Err error
}

func (e *LostAnswerError) Error() string {
	return fmt.Sprintf("%s %s: the emulator acted on the first attempt but its answer was lost (%v); the retry then got: %v", e.Service, e.Operation, e.First, e.Err)
}

func (e *LostAnswerError) Unwrap() error { return e.Err }

// Created is err, or nil when err is a LostAnswerError: for a create whose
// output the test does not use, the resource exists either way.
func Created(err error) error {
	var lost *LostAnswerError
	if errors.As(err, &lost) {
		return nil
	}
	return err
}

// alreadyExists are the error codes a retried create meets when its first
// attempt took effect.
var alreadyExists = map[string]bool{
	"EntityAlreadyExists":            true, // IAM
	"ResourceInUseException":         true, // EKS, DynamoDB
	"ResourceAlreadyExistsException": true, // CloudWatch Logs
	"ResourceExistsException":        true, // Secrets Manager
	"BucketAlreadyOwnedByYou":        true, // S3
	"BucketAlreadyExists":            true, // S3
	"AlreadyExistsException":         true, // CloudFormation
	"QueueAlreadyExists":             true, // SQS
	"DuplicateAccountException":      true, // Organizations
}

// retries is the SDK middleware that reports an attempt that failed and
// was retried (on stderr, so a flaky run says why), and turns a retried
// create's "already exists" into a LostAnswerError. It sits just outside
// the SDK's retry loop, so it sees every attempt's result.
func retries(stack *middleware.Stack) error {
	return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("awstest.Retries", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		out, md, err := next.HandleFinalize(ctx, in)
		results, ok := retry.GetAttemptResults(md)
		if !ok || len(results.Results) < 2 {
			return out, md, err
		}
		service, op := middleware.GetServiceID(ctx), middleware.GetOperationName(ctx)
		for i, r := range results.Results[:len(results.Results)-1] {
			fmt.Fprintf(os.Stderr, "awstest: %s %s attempt %d failed and was retried: %v\n", service, op, i+1, r.Err)
		}
		var api smithy.APIError
		if err != nil && errors.As(err, &api) && alreadyExists[api.ErrorCode()] {
			err = &LostAnswerError{Service: service, Operation: op, First: results.Results[0].Err, Err: err}
		}
		return out, md, err
	}), "Retry", middleware.Before)
}
