// Package lambdatest runs a function's real bootstrap binary under the AWS
// Lambda Runtime Interface Emulator on 127.0.0.1, so end-to-end tests invoke
// it exactly as Lambda would: same binary, same runtime API, same
// environment variables.
package lambdatest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/awstest"
)

// RIEBinary finds aws-lambda-rie: on PATH, else build/tools (make tools).
func RIEBinary() (string, error) {
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p, nil
	}
	root, err := awstest.RepoRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, "build", "tools", "aws-lambda-rie")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("aws-lambda-rie not found on PATH or at %s: run `make tools`", p)
	}
	return p, nil
}

var (
	buildMu sync.Mutex
	built   = map[string]string{}
)

// Main runs a package's tests with the emulators awstest starts, and
// removes the bootstraps Build made: call it from TestMain as
//
//	func TestMain(m *testing.M) { os.Exit(lambdatest.Main(m)) }
func Main(m *testing.M) int {
	code := awstest.Main(m)
	buildMu.Lock()
	defer buildMu.Unlock()
	for _, p := range built {
		os.RemoveAll(filepath.Dir(p))
	}
	return code
}

// Build compiles a function package (e.g. "./functions/detect") as a
// bootstrap for this machine, once per test process.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := built[pkg]; ok {
		return p
	}
	root, err := awstest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "bootstrap-*")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc,nethttpomithttp2", "-trimpath", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", pkg, err, b)
	}
	built[pkg] = out
	return out
}

// Function is a bootstrap running under the emulator.
type Function struct {
	URL  string
	cmd  *exec.Cmd
	logs *syncBuffer
}

// Start runs bootstrap under the emulator with exactly env (plus PATH and
// HOME), and stops it when the test ends.
func Start(t testing.TB, bootstrap string, env map[string]string) *Function {
	t.Helper()
	rie, err := RIEBinary()
	if err != nil {
		t.Fatal(err)
	}
	port, err := awstest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	apiPort, err := awstest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	f := &Function{URL: fmt.Sprintf("http://127.0.0.1:%d/2015-03-31/functions/function/invocations", port), logs: &syncBuffer{}}
	f.cmd = exec.Command(rie,
		"--runtime-interface-emulator-address", fmt.Sprintf("127.0.0.1:%d", port),
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", apiPort),
		bootstrap)
	f.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		f.cmd.Env = append(f.cmd.Env, k+"="+v)
	}
	f.cmd.Stdout, f.cmd.Stderr = f.logs, f.logs
	f.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := f.cmd.Start(); err != nil {
		t.Fatalf("starting the emulator: %v", err)
	}
	t.Cleanup(func() {
		syscall.Kill(-f.cmd.Process.Pid, syscall.SIGKILL)
		f.cmd.Wait()
		if t.Failed() {
			t.Logf("function logs:\n%s", f.Logs())
		}
	})
	waitListening(t, fmt.Sprintf("127.0.0.1:%d", port))
	return f
}

// Pid is the emulator's process id; the function runs as its child.
func (f *Function) Pid() int { return f.cmd.Process.Pid }

// Result is one invocation's answer.
type Result struct {
	Body []byte
	// Error is the function's error message, "" on success.
	Error    string
	Duration time.Duration
}

// Invoke sends one event and waits for the answer.
func (f *Function) Invoke(t testing.TB, event []byte) Result {
	t.Helper()
	start := time.Now()
	resp, err := http.Post(f.URL, "application/json", bytes.NewReader(event))
	if err != nil {
		t.Fatalf("invoking: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	r := Result{Body: body, Duration: time.Since(start)}
	var e struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	if resp.StatusCode != http.StatusOK {
		r.Error = fmt.Sprintf("HTTP %d: %s", resp.StatusCode, body)
	} else if json.Unmarshal(body, &e) == nil && (e.ErrorMessage != "" || e.ErrorType != "") {
		r.Error = e.ErrorMessage
		if r.Error == "" {
			r.Error = e.ErrorType
		}
	}
	return r
}

// Logs is what the emulator and the function printed so far.
func (f *Function) Logs() string { return f.logs.String() }

// LogsContain waits up to wait for the function's output to contain s: the
// emulator answers an invocation before it has copied every line the
// function printed.
func (f *Function) LogsContain(s string, wait time.Duration) bool {
	deadline := time.Now().Add(wait)
	for {
		if strings.Contains(f.Logs(), s) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitListening(t testing.TB, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := (&http.Client{Timeout: 200 * time.Millisecond}).Get("http://" + addr + "/")
		if err == nil {
			c.Body.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the emulator is not listening on %s", addr)
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
