package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// findingWriter prints findings one a line as they come.
type findingWriter interface {
	write(f *drift.Finding) error
}

type jsonWriter struct{ enc *json.Encoder }

func (j *jsonWriter) write(f *drift.Finding) error { return j.enc.Encode(f) }

// tableWriter prints fixed-width columns, so a stream of findings lines up
// without being held back for alignment.
type tableWriter struct {
	w      io.Writer
	header bool
	// outcome adds the reverter's outcome after the decision, for the
	// history; a replay has none.
	outcome bool
	// account adds the account after the cluster (with outcome only), for
	// a history of several accounts: clusters of one name in two accounts
	// are two clusters.
	account bool
	// names label the ACCOUNT column's IDs.
	names drift.AccountAliases
	// width is the ACCOUNT column's, set with the header.
	width int
}

// accountFormat is outcomeFormat with the ACCOUNT column, as wide as its
// widest label (an ID, or an ID with its name).
const accountFormat = "%-20s  %-8s  %-11s  %-17s  %-10s  %-*s  %-24s  %-8s  %-50s  %-24s  %s\n"

const tableFormat = "%-20s  %-8s  %-11s  %-10s  %-24s  %-8s  %-50s  %-24s  %s\n"

// outcomeFormat is tableFormat with the OUTCOME column.
const outcomeFormat = "%-20s  %-8s  %-11s  %-17s  %-10s  %-24s  %-8s  %-50s  %-24s  %s\n"

func (t *tableWriter) write(f *drift.Finding) error {
	if !t.header {
		t.header = true
		var err error
		switch {
		case t.outcome && t.account:
			t.width = 12
			for id := range t.names {
				t.width = max(t.width, utf8.RuneCountInString(t.names.Label(id)))
			}
			_, err = fmt.Fprintf(t.w, accountFormat, "TIME", "SEVERITY", "DECISION", "OUTCOME", "CLUSTER", t.width, "ACCOUNT", "KIND", "CHANGE", "RESOURCE", "ACTOR", "WHY")
		case t.outcome:
			_, err = fmt.Fprintf(t.w, outcomeFormat, "TIME", "SEVERITY", "DECISION", "OUTCOME", "CLUSTER", "KIND", "CHANGE", "RESOURCE", "ACTOR", "WHY")
		default:
			_, err = fmt.Fprintf(t.w, tableFormat, "TIME", "SEVERITY", "DECISION", "CLUSTER", "KIND", "CHANGE", "RESOURCE", "ACTOR", "WHY")
		}
		if err != nil {
			return err
		}
	}
	cluster := f.Cluster
	if cluster == "" {
		cluster = "-"
	}
	why := f.Reason
	if f.Drift {
		why = f.SeverityReason + ": " + f.Reason
	}
	if t.outcome && t.account {
		_, err := fmt.Fprintf(t.w, accountFormat, f.EventTime.UTC().Format(time.RFC3339), f.Severity, f.Decision,
			outcomeOf(f, "-"), cluster, t.width, dash(t.names.Label(f.Account)), f.Kind, f.Change, shortResource(f), shortActor(f), why)
		return err
	}
	if t.outcome {
		_, err := fmt.Fprintf(t.w, outcomeFormat, f.EventTime.UTC().Format(time.RFC3339), f.Severity, f.Decision,
			outcomeOf(f, "-"), cluster, f.Kind, f.Change, shortResource(f), shortActor(f), why)
		return err
	}
	_, err := fmt.Fprintf(t.w, tableFormat, f.EventTime.UTC().Format(time.RFC3339), f.Severity, f.Decision,
		cluster, f.Kind, f.Change, shortResource(f), shortActor(f), why)
	return err
}

// outcomeOf is the reverter's result for f, or none when it has not acted.
func outcomeOf(f *drift.Finding, none string) string {
	if f.Outcome == nil || f.Outcome.Result == "" {
		return none
	}
	return f.Outcome.Result
}

// shortResource drops what the row already says (the account, the policy
// ARN prefix) from a resource key.
func shortResource(f *drift.Finding) string {
	parts := strings.Split(f.Resource, "|")
	for i, p := range parts {
		parts[i] = shortARN(p, f.Account)
	}
	return strings.Join(parts, " ")
}

func shortARN(s, account string) string {
	a, ok := drift.ParseARN(s)
	if !ok {
		return s
	}
	switch {
	case a.Service == "eks" && strings.HasPrefix(a.Resource, "cluster-access-policy/"):
		return strings.TrimPrefix(a.Resource, "cluster-access-policy/")
	case a.Service == "iam" && a.Account == "aws":
		return strings.TrimPrefix(a.Resource, "policy/")
	case a.Account == account:
		return a.Resource
	}
	return a.Account + ":" + a.Resource
}

// shortActor names who acted as a person would: the session (often an
// e-mail address) with its role, an IAM Identity Center role by its
// permission set.
func shortActor(f *drift.Finding) string {
	s := shortARN(f.Actor, f.Account)
	if f.ActorSession == "" {
		return s
	}
	role := s[strings.LastIndexByte(s, '/')+1:]
	if strings.HasPrefix(role, "AWSReservedSSO_") {
		set := strings.TrimPrefix(role, "AWSReservedSSO_")
		if i := strings.LastIndexByte(set, '_'); i > 0 {
			set = set[:i]
		}
		return f.ActorSession + " (sso " + set + ")"
	}
	return f.ActorSession + " (" + role + ")"
}

// csvColumns are the public finding fields, in the order CSV files show them.
// outcome is the reverter's result (outcome.result in the JSON), empty when
// it has not acted; new columns go at the end.
var csvColumns = []string{
	"eventId", "eventTime", "eventName", "account", "region", "cluster", "kind", "resource", "principal",
	"change", "drift", "severity", "severityReason", "decision", "actor", "actorSession", "sourceIp",
	"reason", "expected", "before", "after", "baselineVersion", "detectedBy", "outcome",
}

type csvWriter struct {
	w      *csv.Writer
	header bool
}

func (c *csvWriter) write(f *drift.Finding) error {
	if !c.header {
		c.header = true
		if err := c.w.Write(csvColumns); err != nil {
			return err
		}
	}
	row := []string{
		f.EventID, f.EventTime.UTC().Format(time.RFC3339), f.EventName, f.Account, f.Region, f.Cluster,
		string(f.Kind), f.Resource, f.Principal, string(f.Change), strconv.FormatBool(f.Drift),
		string(f.Severity), f.SeverityReason, string(f.Decision), f.Actor, f.ActorSession, f.SourceIP,
		f.Reason, string(f.Expected), string(f.Before), string(f.After), f.BaselineVersion, f.DetectedBy,
		outcomeOf(f, ""),
	}
	for i := range row {
		row[i] = csvCell(row[i])
	}
	return c.w.Write(row)
}

// csvCell keeps a spreadsheet from reading a cell as a formula: whoever made
// a change chooses its session name, and "=HYPERLINK(...)" or
// "+cmd|' /C calc'!A0" would run when an auditor opens the export. A cell
// that begins with =, +, -, @, a tab or a carriage return gets a leading
// single quote, as OWASP's rule for CSV injection asks; every column gets
// the same treatment, since every column can hold an attacker's text. No
// column holds a number that a leading "-" would belong to.
func csvCell(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}
