package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// gzipBomb writes n bytes of spaces, then an empty log file, gzipped: about
// 1 KB for each MB it decompresses to.
func gzipBomb(t *testing.T, path string, n int) {
	t.Helper()
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	chunk := bytes.Repeat([]byte{' '}, 1<<20)
	for written := 0; written < n; written += len(chunk) {
		zw.Write(chunk[:min(len(chunk), n-written)])
	}
	zw.Write([]byte(`{"Records":[]}`))
	zw.Close()
	if err := os.WriteFile(path, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReplaySkipsAnInputOverTheLimit: a gzip bomb (or a plain file) larger
// than --max-file-size once decompressed is reported with its name and the
// limit and skipped; the other files are judged, and the exit code is 1.
func TestReplaySkipsAnInputOverTheLimit(t *testing.T) {
	good, err := os.ReadFile(filepath.Join(events, "eks-associate-access-policy-cluster-admin.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		flags []string
		write func(t *testing.T, path string)
		file  string
		says  string
	}{
		{"gzip bomb, default limit", nil, func(t *testing.T, p string) { gzipBomb(t, p, 257<<20) }, "a-bomb.json.gz",
			"a-bomb.json.gz: decompressed input is larger than the limit of 256 MiB (--max-file-size)"},
		{"gzip bomb, limit lowered", []string{"--max-file-size", "8MiB"}, func(t *testing.T, p string) { gzipBomb(t, p, 9<<20) }, "a-bomb.json.gz",
			"a-bomb.json.gz: decompressed input is larger than the limit of 8 MiB (--max-file-size)"},
		{"plain file", []string{"--max-file-size", "1MiB"}, func(t *testing.T, p string) {
			os.WriteFile(p, append(bytes.Repeat([]byte{'\n'}, 1<<20), good...), 0o644)
		}, "a-big.json", "a-big.json: decompressed input is larger than the limit of 1 MiB (--max-file-size)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.write(t, filepath.Join(dir, tt.file))
			os.WriteFile(filepath.Join(dir, "b-good.json"), good, 0o644)
			args := append([]string{"replay", "--baseline", sampleBaseline}, tt.flags...)
			r := run(t, stateEnv(t), append(args, dir)...)
			if r.code != ExitError {
				t.Errorf("exit: got %d, want %d", r.code, ExitError)
			}
			if !strings.Contains(r.stderr, "eksdrift: skipped: "+filepath.Join(dir, tt.says)) {
				t.Errorf("got stderr:\n%s\nwant it to say %q", r.stderr, tt.says)
			}
			if !strings.Contains(r.stdout, "AmazonEKSClusterAdminPolicy") {
				t.Errorf("the good file was not judged:\n%s", r.stdout)
			}
			if !strings.Contains(r.stderr, "files 2, events read 1") || !strings.Contains(r.stderr, "errors 1") {
				t.Errorf("summary does not count both files and the error:\n%s", r.stderr)
			}
		})
	}
}

// TestReplayReportsAnUnreadableRecord: one record of a log file that cannot
// be read is reported with its file, place and eventID; the file's other
// records are judged.
func TestReplayReportsAnUnreadableRecord(t *testing.T) {
	detail := func(name string) string {
		env, err := os.ReadFile(filepath.Join(events, name))
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Detail json.RawMessage `json:"detail"`
		}
		if err := json.Unmarshal(env, &m); err != nil {
			t.Fatal(err)
		}
		return string(m.Detail)
	}
	good := detail("eks-associate-access-policy-cluster-admin.json")
	drifted := strings.Replace(detail("iam-attach-role-policy-administrator-access.json"), `"readOnly": false`, `"readOnly": "False"`, 1)
	if !strings.Contains(drifted, `"readOnly": "False"`) {
		t.Fatal("sample changed: no readOnly to replace")
	}
	bad := `{"eventVersion": "1.09", "eventID": "broken-1", "eventSource": "eks.amazonaws.com", "eventName": "CreateAccessEntry", "userIdentity": {"arn": ["not", "a", "string"]}}`
	log := "{\"Records\": [\n" + good + ",\n" + bad + ",\n" + drifted + "\n]}\n"
	dir := t.TempDir()
	path := filepath.Join(dir, "trail.json")
	os.WriteFile(path, []byte(log), 0o644)

	r := run(t, stateEnv(t), "replay", "--baseline", sampleBaseline, path)
	if r.code != ExitError {
		t.Errorf("exit: got %d, want %d", r.code, ExitError)
	}
	line := 2 + strings.Count(good, "\n") + 1
	want := "eksdrift: skipped: " + path + ": Records[1] at line " + strconv.Itoa(line) + `, column 1, eventID "broken-1": `
	if !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "userIdentity.arn") {
		t.Errorf("got stderr:\n%s\nwant it to say %q and name userIdentity.arn", r.stderr, want)
	}
	for _, finding := range []string{"AmazonEKSClusterAdminPolicy", "AdministratorAccess"} {
		if !strings.Contains(r.stdout, finding) {
			t.Errorf("got stdout:\n%s\nwant the finding about %s", r.stdout, finding)
		}
	}
	if !strings.Contains(r.stderr, "files 1, events read 3") || !strings.Contains(r.stderr, "errors 1") {
		t.Errorf("summary does not count the three records and the error:\n%s", r.stderr)
	}
}

func TestMaxFileSizeFlag(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"256MiB", 256 << 20, true}, {"64MB", 64e6, true}, {"1g", 1 << 30, true}, {"4096", 4096, true}, {"10 KiB", 10 << 10, true},
		{"0", 0, false}, {"-1MiB", 0, false}, {"lots", 0, false}, {"99999999999GiB", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var f sizeFlag
			err := f.Set(tt.in)
			if (err == nil) != tt.ok || (tt.ok && int64(f) != tt.want) {
				t.Errorf("got %d, %v, want %d (ok %v)", f, err, tt.want, tt.ok)
			}
		})
	}
	if r := run(t, stateEnv(t), "replay", "--baseline", sampleBaseline, "--max-file-size", "0", events); r.code != ExitUsage {
		t.Errorf("--max-file-size 0: got exit %d, want %d", r.code, ExitUsage)
	}
}
