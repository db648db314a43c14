package main

// An emulated organization too large for one MiniStack is split over
// several MiniStack processes, the shards: each holds a contiguous block of
// the member accounts, and everything about a member (its fill, the STS
// AssumeRole of its read role, every read of the sweep) goes to its shard's
// endpoint. One MiniStack cannot hold 100 accounts: its EKS lists walk every
// item of every account it holds, so a call costs more the more accounts
// the process holds, and shards keep each process small.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// shard is one emulator and the member accounts it holds.
type shard struct {
	endpoint string
	accounts []string
	pid      int // 0 when the shard was not started here
}

// split gives the accounts to k shards in contiguous blocks whose sizes
// differ by at most one, in order: shard 0 holds the first accounts.
func split(accounts []string, k int) [][]string {
	k = max(min(k, len(accounts)), 1)
	out := make([][]string, k)
	for i := range k {
		out[i] = accounts[i*len(accounts)/k : (i+1)*len(accounts)/k]
	}
	return out
}

// route maps each account to its shard's index.
func route(shards []*shard) map[string]int {
	m := map[string]int{}
	for i, s := range shards {
		for _, a := range s.accounts {
			m[a] = i
		}
	}
	return m
}

// onShard gives cfg pointed at the shard's endpoint: every client built
// from it, STS included, calls that emulator.
func onShard(cfg aws.Config, s *shard) aws.Config {
	cfg = cfg.Copy()
	cfg.BaseEndpoint = aws.String(s.endpoint)
	return cfg
}

// serviceOverrides names the AWS_ENDPOINT_URL_<SERVICE> variables set in
// environ: the SDK prefers them to a configuration's BaseEndpoint, so with
// one set, a shard's calls to that service would all go to one endpoint.
func serviceOverrides(environ []string) []string {
	var names []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AWS_ENDPOINT_URL_") {
			names = append(names, name)
		}
	}
	return names
}

// startShards starts k MiniStack processes on free ports of 127.0.0.1,
// each logging to dir, and waits until all answer their health check. stop
// ends every process started, also when starting one of them failed.
func startShards(ctx context.Context, k int, dir string) (endpoints []string, pids []int, stop func(), err error) {
	bin, err := ministackBinary()
	if err != nil {
		return nil, nil, func() {}, err
	}
	var cmds []*exec.Cmd
	stop = func() {
		for _, c := range cmds {
			syscall.Kill(-c.Process.Pid, syscall.SIGTERM)
		}
		for _, c := range cmds {
			done := make(chan struct{})
			go func() { c.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
			}
		}
	}
	for i := range k {
		port, err := freePort()
		if err != nil {
			return nil, nil, stop, err
		}
		logf, err := os.Create(filepath.Join(dir, fmt.Sprintf("ministack-%02d.log", i)))
		if err != nil {
			return nil, nil, stop, err
		}
		cmd := exec.Command(bin)
		// The shard's own AWS_ENDPOINT_URL_* or AUTH settings are not the
		// bench's: it gets a plain emulator on its port.
		cmd.Env = append(withoutAWSEndpoints(os.Environ()), "BIND_HOST=127.0.0.1", "GATEWAY_PORT="+strconv.Itoa(port), "LOG_LEVEL=WARNING")
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			logf.Close()
			return nil, nil, stop, fmt.Errorf("shard %d: starting %s: %w", i, bin, err)
		}
		logf.Close()
		cmds = append(cmds, cmd)
		endpoints = append(endpoints, fmt.Sprintf("http://127.0.0.1:%d", port))
		pids = append(pids, cmd.Process.Pid)
	}
	// Twenty Python processes starting at once on two cores take a while.
	within := 30*time.Second + time.Duration(k)*5*time.Second
	for i, e := range endpoints {
		if err := healthy(ctx, e, within); err != nil {
			log, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("ministack-%02d.log", i)))
			return nil, nil, stop, fmt.Errorf("shard %d on %s: %w\n%s", i, e, err, tailOf(log, 2000))
		}
	}
	return endpoints, pids, stop, nil
}

// ministackBinary finds MiniStack as internal/awstest does (a bench main
// may not import test support): $MINISTACK_BIN, else .venv/bin/ministack
// at the repository root.
func ministackBinary() (string, error) {
	if b := os.Getenv("MINISTACK_BIN"); b != "" {
		return b, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			b := filepath.Join(dir, ".venv", "bin", "ministack")
			if _, err := os.Stat(b); err != nil {
				return "", fmt.Errorf("MiniStack is not installed at %s: run `make tools`, or set MINISTACK_BIN", b)
			}
			return b, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory, and MINISTACK_BIN is not set")
		}
		dir = parent
	}
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func withoutAWSEndpoints(environ []string) []string {
	var out []string
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "AWS_ENDPOINT_URL") {
			out = append(out, kv)
		}
	}
	return out
}

func healthy(ctx context.Context, endpoint string, within time.Duration) error {
	deadline := time.Now().Add(within)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/_ministack/health", nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("health: %s", resp.Status)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("not healthy after %s: %v", within, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func tailOf(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// loopbackEndpoints refuses a list of endpoints unless every one is an
// http(s) URL on the loopback interface: the bench fills what it is given
// with accounts, roles and clusters.
func loopbackEndpoints(list string) ([]string, error) {
	var out []string
	for e := range strings.SplitSeq(list, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if err := loopbackOnly(e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, errors.New("-endpoints names no endpoint")
	}
	return out, nil
}

// procStatus reads a field in kB (VmHWM, VmRSS) of /proc/<pid>/status
// ("self" for this process), in MB; 0 when it cannot.
func procStatus(pid, field string) float64 {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || string(name) != field {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(string(value)), " kB"), 64)
		if err != nil {
			return 0
		}
		return kb / 1024
	}
	return 0
}

// cpuSeconds is the user and system CPU time of a process (utime and
// stime of /proc/<pid>/stat); 0 when it cannot be read.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: count fields after it.
	_, rest, ok := bytes.Cut(b, []byte(") "))
	if !ok {
		return 0
	}
	f := strings.Fields(string(rest))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return (u + s) / 100 // USER_HZ, 100 on Linux
}
