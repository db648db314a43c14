// Package k8saudit reads the EKS control plane's Kubernetes audit log into
// drift.Change values for the aws-auth ConfigMap: while a cluster's
// authentication mode includes CONFIG_MAP, a write to kube-system/aws-auth
// grants cluster access with no EKS API call, so CloudTrail never sees it.
//
// It reads the CloudWatch Logs subscription payload as Lambda delivers it
// (gzip and base64 under "awslogs"), that payload decoded (owner, logGroup,
// logEvents), and files of audit events: one JSON object per line, or
// CloudWatch Logs' export to S3 (a timestamp, a space, then the event).
// No AWS client: the detector and `eksdrift replay` hand it bytes.
package k8saudit

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// The CloudWatch Logs subscription payload, in the shape of aws-lambda-go's
// events.CloudwatchLogsEvent and events.CloudwatchLogsData (the decode test
// checks it against them); declared here so that the eksdrift command, which
// replays such payloads, links no Lambda package.
type (
	subscriptionEvent struct {
		AWSLogs *struct {
			Data string `json:"data"`
		} `json:"awslogs"`
	}
	subscriptionPayload struct {
		Owner               string     `json:"owner"`
		LogGroup            string     `json:"logGroup"`
		LogStream           string     `json:"logStream"`
		SubscriptionFilters []string   `json:"subscriptionFilters"`
		MessageType         string     `json:"messageType"`
		LogEvents           []logEvent `json:"logEvents"`
	}
	logEvent struct {
		ID        string `json:"id"`
		Timestamp int64  `json:"timestamp"`
		Message   string `json:"message"`
	}
)

// Where the cluster's name sits in its audit log group's name.
const (
	logGroupPrefix = "/aws/eks/"
	logGroupSuffix = "/cluster"
)

// LogGroup is the control plane log group of a cluster.
func LogGroup(cluster string) string { return logGroupPrefix + cluster + logGroupSuffix }

// ClusterOfLogGroup gives the cluster whose control plane log group this is.
func ClusterOfLogGroup(group string) (string, bool) {
	name, ok := strings.CutPrefix(group, logGroupPrefix)
	if !ok {
		return "", false
	}
	name, ok = strings.CutSuffix(name, logGroupSuffix)
	if !ok || name == "" || strings.Contains(name, "/") {
		return "", false
	}
	return name, true
}

// FilterPattern is the subscription filter's pattern: only writes to
// kube-system/aws-auth (and deletions of all of kube-system's ConfigMaps,
// which take aws-auth with them) reach the detector, whatever else the
// audit log holds. The stack builds it; the decoder checks the same conditions
// (Watched), so a wider filter costs invocations, never a wrong finding.
const FilterPattern = `{ ($.objectRef.resource = "configmaps") && ($.objectRef.namespace = "kube-system") && ` +
	`((($.objectRef.name = "aws-auth") && (($.verb = "create") || ($.verb = "update") || ($.verb = "patch") || ($.verb = "delete"))) || ` +
	`($.verb = "deletecollection")) }`

// Where the changes of a batch happened, when the input does not say it
// all: the account and region of a subscription payload come from its
// owner and the function's region; a file of bare audit events names no
// cluster at all.
type Where struct {
	Cluster, Account, Region string
}

// Batch is what one input holds.
type Batch struct {
	// Where is what the input itself said (a payload's log group and owner).
	Where   Where
	Changes []drift.Change
	// Events counts the audit events read; Ignored counts by reason those
	// that made no change.
	Events  int
	Ignored map[string]int
	// Errors are the lines that could not be read, with their position.
	Errors []error
}

func (b *Batch) ignore(reason string) {
	if b.Ignored == nil {
		b.Ignored = map[string]int{}
	}
	b.Ignored[reason]++
}

// LineError is an input line that is not an audit event.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("audit log line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// MaxInput bounds what one input may decompress to: CloudWatch Logs
// delivers at most about 1 MB to a subscription, an export file is a few
// hundred MB at most.
const MaxInput = 256 << 20

// MaxSubscription bounds a subscription delivery once decompressed:
// CloudWatch Logs sends at most about 1 MB of events at a time, so 16 MiB
// is far past any real one and well within the detector's memory.
const MaxSubscription = 16 << 20

// maxLine is the longest audit event read (a ConfigMap is at most 1 MiB).
const maxLine = 4 << 20

// Sniff reports whether data (its first bytes are enough) is audit log
// input rather than CloudTrail's: a subscription payload, or a line that
// is (or, after a timestamp, holds) a Kubernetes audit event. Only the
// top-level keys count, so a CloudTrail record cannot pass for an audit
// event by carrying one in a tag or a request parameter.
func Sniff(head []byte) bool {
	if isGzip(head) {
		return false // the caller gunzips and asks again
	}
	head = bytes.TrimLeft(head, " \t\r\n")
	if !bytes.HasPrefix(head, []byte("{")) {
		// CloudWatch Logs' export: a timestamp, a space, then the event.
		stamp, rest, ok := bytes.Cut(head, []byte(" "))
		if !ok || len(stamp) == 0 || stamp[0] < '0' || stamp[0] > '9' {
			return false
		}
		head = rest
	}
	k := topLevel(head)
	return k["awslogs"] || (k["logGroup"] && k["logEvents"]) || k["audit event"]
}

// topLevel reads the top-level keys of the object that head starts with,
// as far as head goes; "audit event" is set when kind is Event and
// apiVersion is audit.k8s.io's.
func topLevel(head []byte) map[string]bool {
	out := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(head))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return out
	}
	var kind, version string
	for dec.More() {
		t, err := dec.Token()
		key, ok := t.(string)
		if err != nil || !ok {
			break
		}
		out[key] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			break
		}
		switch key {
		case "kind":
			_ = json.Unmarshal(v, &kind)
		case "apiVersion":
			_ = json.Unmarshal(v, &version)
		}
		if kind == "Event" && strings.HasPrefix(version, "audit.k8s.io/") {
			out["audit event"] = true
			break
		}
	}
	return out
}

func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// Decode reads one input, gunzipping it first when it is gzipped.
func Decode(data []byte) (*Batch, error) {
	if isGzip(data) {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		plain, err := io.ReadAll(io.LimitReader(zr, MaxInput+1))
		if err != nil {
			return nil, fmt.Errorf("audit log: gzip: %w", err)
		}
		if len(plain) > MaxInput {
			return nil, fmt.Errorf("audit log: over %d bytes once decompressed", MaxInput)
		}
		data = plain
	}
	trimmed := bytes.TrimSpace(data)
	if bytes.HasPrefix(trimmed, []byte("{")) {
		var probe struct {
			subscriptionEvent
			LogGroup *string `json:"logGroup"`
		}
		// A line of an audit log file is an object too: only a whole
		// input that is one object with these keys is a payload.
		if err := json.Unmarshal(trimmed, &probe); err == nil && (probe.AWSLogs != nil || probe.LogGroup != nil) {
			if probe.AWSLogs != nil {
				return decodeSubscription(probe.AWSLogs.Data)
			}
			var p subscriptionPayload
			if err := json.Unmarshal(trimmed, &p); err != nil {
				return nil, fmt.Errorf("audit log: subscription payload: %w", err)
			}
			return decodePayload(p), nil
		}
	}
	return decodeLines(data), nil
}

// decodeSubscription reads the payload as Lambda delivers it: base64 of
// gzip of the decoded payload, and nothing else (a payload inside a
// payload is refused, so no input unpacks more than once).
func decodeSubscription(data string) (*Batch, error) {
	zipped, err := decodeBase64(data)
	if err != nil {
		return nil, fmt.Errorf("audit log: subscription payload: %w", err)
	}
	if !isGzip(zipped) {
		return nil, errors.New("audit log: subscription payload: data is not gzip")
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		return nil, fmt.Errorf("audit log: subscription payload: %w", err)
	}
	plain, err := io.ReadAll(io.LimitReader(zr, MaxSubscription+1))
	if err != nil {
		return nil, fmt.Errorf("audit log: subscription payload: gzip: %w", err)
	}
	if len(plain) > MaxSubscription {
		return nil, fmt.Errorf("audit log: subscription payload: over %d bytes once decompressed", MaxSubscription)
	}
	var p subscriptionPayload
	if err := json.Unmarshal(plain, &p); err != nil {
		return nil, fmt.Errorf("audit log: subscription payload: %w", err)
	}
	if p.LogGroup == "" || p.Owner == "" {
		return nil, errors.New("audit log: subscription payload: data holds no logGroup and owner")
	}
	return decodePayload(p), nil
}

func decodePayload(p subscriptionPayload) *Batch {
	b := &Batch{}
	if p.MessageType == "CONTROL_MESSAGE" {
		b.ignore("control message")
		return b
	}
	cluster, ok := ClusterOfLogGroup(p.LogGroup)
	if !ok {
		b.Errors = append(b.Errors, fmt.Errorf("audit log: log group %q is not a cluster's (/aws/eks/<cluster>/cluster)", p.LogGroup))
		return b
	}
	b.Where = Where{Cluster: cluster, Account: p.Owner}
	for i, le := range p.LogEvents {
		b.read(i+1, []byte(le.Message))
	}
	return b
}

// decodeLines reads a file: one audit event per line, each alone or after
// a timestamp and a space (CloudWatch Logs' export to S3).
func decodeLines(data []byte) *Batch {
	b := &Batch{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if line[0] != '{' {
			if _, rest, ok := bytes.Cut(line, []byte(" ")); ok {
				line = bytes.TrimSpace(rest)
			}
		}
		b.read(n, line)
	}
	if err := sc.Err(); err != nil {
		b.Errors = append(b.Errors, &LineError{Line: n + 1, Err: err})
	}
	return b
}

// passOver reports whether msg cannot be a watched write, without decoding
// it: it names neither aws-auth nor deletecollection, and holds no \u
// escape that could spell them. An audit log is mostly other requests.
func passOver(msg []byte) bool {
	return !bytes.Contains(msg, []byte("aws-auth")) && !bytes.Contains(msg, []byte("deletecollection")) &&
		!bytes.Contains(msg, []byte(`\u`))
}

func (b *Batch) read(line int, msg []byte) {
	if passOver(msg) {
		b.Events++
		b.ignore(IgnoredNotAwsAuth)
		return
	}
	var e Event
	if err := json.Unmarshal(msg, &e); err != nil {
		b.Errors = append(b.Errors, &LineError{Line: line, Err: err})
		return
	}
	b.Events++
	c, ignored, err := e.Change()
	switch {
	case err != nil:
		b.Errors = append(b.Errors, &LineError{Line: line, Err: err})
	case ignored != "":
		b.ignore(ignored)
	default:
		b.Changes = append(b.Changes, c)
	}
}
