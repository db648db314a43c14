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
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
)

// MiniStackVersion is the emulator version the tests are written against;
// `make tools` installs it into .venv.
const MiniStackVersion = "1.5.33"

// Region is the region tests use unless they say otherwise.
const Region = "us-east-1"

// Main starts MiniStack when AWS_ENDPOINT_URL is unset, runs the tests, and
// stops it. It returns the exit code for os.Exit.
func Main(m *testing.M) int {
	if os.Getenv("AWS_ENDPOINT_URL") != "" {
		setCredentials()
		return m.Run()
	}
	stop, err := start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "awstest:", err)
		return 1
	}
	defer stop()
	return m.Run()
}

func setCredentials() {
	// The emulator accepts any credentials; fixed ones keep the SDK from
	// looking for real ones on the machine.
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":     "test",
		"AWS_SECRET_ACCESS_KEY": "test",
		"AWS_REGION":            Region,
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
	if b := os.Getenv("MINISTACK_BIN"); b != "" {
		return b, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	b := filepath.Join(root, ".venv", "bin", "ministack")
	if _, err := os.Stat(b); err != nil {
		return "", fmt.Errorf("MiniStack is not installed at %s: run `make tools` (pip install ministack==%s into .venv), or set AWS_ENDPOINT_URL to a running emulator", b, MiniStackVersion)
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

func start() (stop func(), err error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.CreateTemp("", "ministack-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "BIND_HOST=127.0.0.1", fmt.Sprintf("GATEWAY_PORT=%d", port), "LOG_LEVEL=WARNING")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
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
		os.Remove(logf.Name())
	}
	if err := waitHealthy(endpoint, 30*time.Second); err != nil {
		stop()
		log, _ := os.ReadFile(logf.Name())
		return nil, fmt.Errorf("MiniStack on %s: %w\n%s", endpoint, err, tail(string(log), 2000))
	}
	os.Setenv("AWS_ENDPOINT_URL", endpoint)
	setCredentials()
	return stop, nil
}

func waitHealthy(endpoint string, within time.Duration) error {
	deadline := time.Now().Add(within)
	client := &http.Client{Timeout: time.Second}
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
	// request avoids the race.
	client := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) { tr.DisableKeepAlives = true })
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(Region), config.WithHTTPClient(client))
	if err != nil {
		t.Fatalf("awstest: loading SDK config: %v", err)
	}
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
