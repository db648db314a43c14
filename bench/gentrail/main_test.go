package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

func smallConfig(t *testing.T, seed uint64) config {
	return config{out: t.TempDir(), mb: 0.4, watched: 40, seed: seed, records: 300, level: 3, workers: 2}
}

// digest hashes every file under dir (relative path and content).
func digest(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	for _, p := range paths {
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(h, rel)
		h.Write(b)
	}
	return string(h.Sum(nil))
}

func TestDeterministic(t *testing.T) {
	a, b, c := smallConfig(t, 7), smallConfig(t, 7), smallConfig(t, 8)
	b.workers = 1
	for _, cfg := range []config{a, b, c} {
		if _, err := run(cfg); err != nil {
			t.Fatal(err)
		}
	}
	if digest(t, a.out) != digest(t, b.out) {
		t.Error("same seed gave different output")
	}
	if digest(t, a.out) == digest(t, c.out) {
		t.Error("different seeds gave the same output")
	}
}

var nameRE = regexp.MustCompile(`^AWSLogs/111122223333/CloudTrail/(us-east-1|us-west-2|eu-west-1)/2026/10/(\d\d)/111122223333_CloudTrail_(us-east-1|us-west-2|eu-west-1)_202610(\d\d)T\d\d\d\dZ_[A-Za-z0-9]{16}\.json\.gz$`)

func TestOutputIsValidCloudTrail(t *testing.T) {
	cfg := smallConfig(t, 3)
	st, err := run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st.watched != cfg.watched {
		t.Fatalf("watched = %d, want %d", st.watched, cfg.watched)
	}
	required := []string{"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
		"sourceIPAddress", "userAgent", "requestParameters", "responseElements", "requestID", "eventID",
		"readOnly", "eventType", "managementEvent", "recipientAccountId", "eventCategory"}
	watched := map[string]bool{}
	for _, n := range watchedNames {
		watched[n] = true
	}
	ids := map[string]bool{}
	gotWatched := map[string]int{}
	files, records := 0, 0
	var gz, raw int64
	err = filepath.WalkDir(cfg.out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json.gz") {
			return err
		}
		rel, _ := filepath.Rel(cfg.out, p)
		m := nameRE.FindStringSubmatch(filepath.ToSlash(rel))
		if m == nil || m[1] != m[3] || m[2] != m[4] {
			t.Errorf("bad file name %s", rel)
		}
		region := m[1]
		files++
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		fi, _ := f.Stat()
		gz += fi.Size()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return err
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			return err
		}
		raw += int64(len(data))
		var doc struct{ Records []map[string]any }
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		for _, r := range doc.Records {
			records++
			for _, k := range required {
				if _, ok := r[k]; !ok {
					t.Fatalf("%s: record without %s: %v", rel, k, r)
				}
			}
			id := r["eventID"].(string)
			if ids[id] {
				t.Fatalf("duplicate eventID %s", id)
			}
			ids[id] = true
			name := r["eventName"].(string)
			src := r["eventSource"].(string)
			if src == "iam.amazonaws.com" && (region != "us-east-1" || r["awsRegion"] != "us-east-1") {
				t.Errorf("IAM event %s in %s file", name, region)
			}
			if !watched[name] {
				continue
			}
			gotWatched[name]++
			req := r["requestParameters"].(map[string]any)
			switch name {
			case "AssociateAccessPolicy":
				if !strings.HasPrefix(req["principalArn"].(string), "arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2F") {
					t.Errorf("AssociateAccessPolicy principalArn not URL-encoded: %v", req["principalArn"])
				}
				if req["accessScope"].(map[string]any)["type"] != "cluster" {
					t.Errorf("accessScope: %v", req["accessScope"])
				}
			case "CreateAccessEntry":
				if !strings.HasPrefix(req["principalArn"].(string), "arn:aws:iam::111122223333:role/") {
					t.Errorf("CreateAccessEntry principalArn: %v", req["principalArn"])
				}
			case "AttachRolePolicy":
				if r["responseElements"] != nil {
					t.Errorf("AttachRolePolicy responseElements = %v", r["responseElements"])
				}
			case "UpdateAssumeRolePolicy":
				var pol map[string]any
				if err := json.Unmarshal([]byte(req["policyDocument"].(string)), &pol); err != nil {
					t.Errorf("policyDocument is not a JSON string: %v", err)
				}
			}
			if name != "AttachRolePolicy" && name != "UpdateAssumeRolePolicy" {
				if c := req["name"]; c != "prod" && c != "staging" {
					t.Errorf("%s cluster = %v", name, c)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files != st.files || records != st.records || gz != st.gzBytes || raw != st.rawBytes {
		t.Errorf("walk saw files=%d records=%d gz=%d raw=%d, run reported %+v", files, records, gz, raw, st)
	}
	total := 0
	for _, c := range gotWatched {
		total += c
	}
	if total != cfg.watched {
		t.Errorf("found %d watched records, want %d: %v", total, cfg.watched, gotWatched)
	}
	names, err := os.ReadFile(filepath.Join(cfg.out, "watched-event-names.txt"))
	if err != nil {
		t.Fatal(err)
	}
	listed := strings.Fields(string(names))
	if len(listed) != len(gotWatched) {
		t.Errorf("watched-event-names.txt lists %v, records have %v", listed, gotWatched)
	}
	for _, n := range listed {
		if gotWatched[n] == 0 {
			t.Errorf("watched-event-names.txt lists %s, which no record has", n)
		}
	}
	if ratio := float64(raw) / float64(gz); ratio < 6 || ratio > 16 {
		t.Errorf("compression ratio %.1f, want CloudTrail-like (~10x)", ratio)
	}
	// The size target is approximate (calibrated), but should be close.
	if mb := float64(gz) / 1e6; mb < cfg.mb*0.7 || mb > cfg.mb*1.3 {
		t.Errorf("wrote %.2f MB, target %.2f", mb, cfg.mb)
	}
}

func TestRefusesExistingOutput(t *testing.T) {
	cfg := smallConfig(t, 1)
	if _, err := run(cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := run(cfg); err == nil {
		t.Fatal("second run into the same directory succeeded without -clean")
	}
	cfg.clean = true
	if _, err := run(cfg); err != nil {
		t.Fatal(err)
	}
}
