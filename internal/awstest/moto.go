package awstest

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// MotoVersion is the version of moto the Security Hub tests are written
// against; `make tools` installs moto[server] into .venv. MiniStack serves
// no Security Hub; moto's server mode serves EnableSecurityHub,
// BatchImportFindings and GetFindings (not BatchUpdateFindings).
const MotoVersion = "5.2.5"

// MotoMain is Main for the packages whose tests need Security Hub: it
// starts moto's server on 127.0.0.1 when AWS_ENDPOINT_URL is unset, points
// the SDK at it, runs the tests and stops it.
func MotoMain(m *testing.M) int {
	if os.Getenv("AWS_ENDPOINT_URL") != "" {
		setCredentials(Options{})
		return m.Run()
	}
	stop, err := startMoto()
	if err != nil {
		fmt.Fprintln(os.Stderr, "awstest:", err)
		return 1
	}
	defer stop()
	return m.Run()
}

// MotoBinary finds moto's server: $MOTO_SERVER_BIN, else
// .venv/bin/moto_server at the repository root.
func MotoBinary() (string, error) {
	return venvTool("MOTO_SERVER_BIN", "moto_server", "moto", "moto[server]=="+MotoVersion)
}

func startMoto() (stop func(), err error) {
	bin, err := MotoBinary()
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.CreateTemp("", "moto-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
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
	if err := waitMoto(endpoint, 30*time.Second); err != nil {
		stop()
		log, _ := os.ReadFile(logf.Name())
		return nil, fmt.Errorf("moto on %s: %w\n%s", endpoint, err, tail(string(log), 2000))
	}
	os.Setenv("AWS_ENDPOINT_URL", endpoint)
	setCredentials(Options{})
	return stop, nil
}

func waitMoto(endpoint string, within time.Duration) error {
	deadline := time.Now().Add(within)
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not answering after %s: %v", within, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
