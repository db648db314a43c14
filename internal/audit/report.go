package audit

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// ReportInput is what a report is made from.
type ReportInput struct {
	// Since and Until bound the period: findings with event times in
	// [Since, Until).
	Since, Until time.Time
	// GeneratedAt is when the report was made; it is printed, nothing more.
	GeneratedAt time.Time
	// HistorySource names the history, for the reader.
	HistorySource string
	// Cluster, when set, limits the report to the clusters of that name.
	Cluster string
	// Accounts, when set, limits the report to these accounts.
	Accounts []string
	// Aliases name accounts; a name is shown beside its account's ID.
	Aliases drift.AccountAliases
	// Versions are the baseline's versions in force during the period.
	Versions []BaselineVersion
	// History holds the findings of the period and, for the access at its
	// end, the earlier findings of its clusters. Duplicates are ignored.
	History []drift.Finding
}

// Report is everything an audit report shows; the HTML page renders it and
// nothing else, so a test of this value is a test of the page's content.
type Report struct {
	Since         time.Time `json:"since"`
	Until         time.Time `json:"until"`
	GeneratedAt   time.Time `json:"generatedAt"`
	HistorySource string    `json:"historySource,omitempty"`
	Cluster       string    `json:"cluster,omitempty"`
	// Accounts is the account filter the report was made with.
	Accounts []string `json:"accounts,omitempty"`
	// ByAccount sums up each account, when the period's findings come
	// from more than one.
	ByAccount []AccountReport `json:"byAccount,omitempty"`
	// Baselines are the versions in force during the period.
	Baselines []BaselineVersionRef `json:"baselines"`
	Summary   Summary              `json:"summary"`
	Chart     Chart                `json:"chart"`
	Clusters  []ClusterReport      `json:"clusters"`
	Findings  []FindingRow         `json:"findings"`
}

// Count is how many findings have one value of a field.
type Count struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Summary sums up the period.
type Summary struct {
	Findings   int     `json:"findings"`
	Drift      int     `json:"drift"`
	Compliant  int     `json:"compliant"`
	BySeverity []Count `json:"bySeverity"` // every severity, most urgent first
	ByDecision []Count `json:"byDecision"` // every decision
	Reverts    Reverts `json:"reverts"`
	// Exposure sums up the windows of the period's drift that granted
	// access, as of the end of the period.
	Exposure ExposureStats `json:"exposure"`
}

// Reverts counts what the reverter did about the period's findings.
type Reverts struct {
	Succeeded        int `json:"succeeded"`
	AlreadyCompliant int `json:"alreadyCompliant"`
	Failed           int `json:"failed"`
	DryRun           int `json:"dryRun"`
	Skipped          int `json:"skipped"`
	// Pending are drift findings decided revert with no outcome recorded.
	Pending int `json:"pending"`
}

// Chart is the drift of the period, one lane per cluster.
type Chart struct {
	Lanes []Lane `json:"lanes"`
}

// Lane is one cluster's drift, oldest first.
type Lane struct {
	Label  string  `json:"label"`
	Points []Point `json:"points"`
}

// Point is one drift finding on the chart, with its exposure window when
// it granted access.
type Point struct {
	At        time.Time      `json:"at"`
	Severity  drift.Severity `json:"severity"`
	FindingID string         `json:"findingId"`
	Title     string         `json:"title"`
	// Until is when the exposure ended, or the end of the period while it
	// was open; zero for drift that granted nothing.
	Until time.Time `json:"until,omitzero"`
	Open  bool      `json:"open,omitempty"`
}

// AccountReport is one account's part of a report that covers several.
type AccountReport struct {
	Account string `json:"account"`
	// Name is the account's alias, when known.
	Name       string        `json:"name,omitempty"`
	Findings   int           `json:"findings"`
	Drift      int           `json:"drift"`
	BySeverity []Count       `json:"bySeverity"`
	Exposure   ExposureStats `json:"exposure"`
}

// ClusterReport is one cluster's part of the report.
type ClusterReport struct {
	Cluster ClusterID `json:"cluster"`
	// AccountName is the alias of the cluster's account, when known.
	AccountName string        `json:"accountName,omitempty"`
	Label       string        `json:"label"`
	Findings    int           `json:"findings"`
	Drift       int           `json:"drift"`
	BySeverity  []Count       `json:"bySeverity"`
	Exposure    ExposureStats `json:"exposure"`
	// Access is who could reach the cluster at the end of the period; nil
	// for IAM.
	Access *Access `json:"access,omitempty"`
}

// FindingRow is one line of the report's table of findings.
type FindingRow struct {
	ID      string    `json:"id"`
	Time    time.Time `json:"time"`
	Cluster string    `json:"cluster"`
	Account string    `json:"account"`
	// AccountName is the account's alias, when known.
	AccountName string         `json:"accountName,omitempty"`
	Kind        drift.Kind     `json:"kind"`
	Change      drift.Op       `json:"change"`
	Resource    string         `json:"resource"`
	Principal   string         `json:"principal,omitempty"`
	Drift       bool           `json:"drift"`
	Severity    drift.Severity `json:"severity"`
	Decision    drift.Decision `json:"decision"`
	// Outcome is the reverter's result, "none" when it did not act.
	Outcome string `json:"outcome"`
	Actor   string `json:"actor"`
	Who     string `json:"who"`
	Reason  string `json:"reason"`
	// ExposureSeconds is how long the drift lasted (as of the end of the
	// period while open), -1 for findings that granted nothing.
	ExposureSeconds int64  `json:"exposureSeconds"`
	ExposureOpen    bool   `json:"exposureOpen,omitempty"`
	ExposureEnded   string `json:"exposureEnded,omitempty"`
}

// decisions lists the decisions in the order reports show them.
var decisions = []drift.Decision{
	drift.DecisionNone, drift.DecisionAlert, drift.DecisionDryRun, drift.DecisionRevert,
	drift.DecisionBreakGlass, drift.DecisionRemediation,
}

// wants reports whether the report covers cluster c (or an account's IAM).
func (in ReportInput) wants(c ClusterID) bool {
	return (in.Cluster == "" || c.Name == in.Cluster) && (len(in.Accounts) == 0 || slices.Contains(in.Accounts, c.Account))
}

// BuildReport makes the report of a period.
func BuildReport(in ReportInput) Report {
	since, until := in.Since.UTC(), in.Until.UTC()
	tl := Build(in.Versions, in.History, until)
	wanted := in.wants

	r := Report{
		Since: since, Until: until, GeneratedAt: in.GeneratedAt.UTC(), HistorySource: in.HistorySource,
		Cluster: in.Cluster, Accounts: in.Accounts, Baselines: []BaselineVersionRef{}, Findings: []FindingRow{}, Clusters: []ClusterReport{},
		Chart: Chart{Lanes: []Lane{}},
	}
	// The version in force at the start, and those that came after it.
	first := tl.versionAt(since)
	for _, v := range tl.Versions {
		if v.Baseline != nil && (!v.From.Before(since) || (first != nil && v.ID == first.ID && v.From.Equal(first.From))) {
			r.Baselines = append(r.Baselines, BaselineVersionRef{ID: v.ID, Source: v.Baseline.Source, From: v.From})
		}
	}

	var period []drift.Finding
	seen := map[string]bool{}
	for _, f := range in.History {
		if seen[f.ID()] || f.EventTime.Before(since) || !f.EventTime.Before(until) || !wanted(clusterOf(&f)) {
			continue
		}
		seen[f.ID()] = true
		period = append(period, f)
	}
	slices.SortFunc(period, func(a, b drift.Finding) int {
		return cmp.Or(a.EventTime.Compare(b.EventTime), strings.Compare(a.ID(), b.ID()))
	})

	var windows []Window
	byFinding := map[string]Window{}
	for _, w := range tl.ExposuresIn(since, until) {
		if wanted(w.Cluster) {
			windows = append(windows, w)
			byFinding[w.Event.FindingID] = w
		}
	}

	clusters := map[ClusterID]*ClusterReport{}
	cluster := func(id ClusterID) *ClusterReport {
		c, ok := clusters[id]
		if !ok {
			c = &ClusterReport{Cluster: id, AccountName: in.Aliases.Name(id.Account), Label: id.Label(), BySeverity: severityCounts()}
			clusters[id] = c
		}
		return c
	}
	r.Summary.BySeverity = severityCounts()
	r.Summary.ByDecision = make([]Count, len(decisions))
	for i, d := range decisions {
		r.Summary.ByDecision[i] = Count{Name: string(d)}
	}
	lanes := map[ClusterID]*Lane{}
	for i := range period {
		f := &period[i]
		id := clusterOf(f)
		c := cluster(id)
		c.Findings++
		r.Summary.Findings++
		count(r.Summary.BySeverity, string(f.Severity))
		count(c.BySeverity, string(f.Severity))
		count(r.Summary.ByDecision, string(f.Decision))
		if f.Drift {
			r.Summary.Drift++
			c.Drift++
			l, ok := lanes[id]
			if !ok {
				l = &Lane{Label: id.Label()}
				lanes[id] = l
			}
			p := Point{At: f.EventTime.UTC(), Severity: f.Severity, FindingID: f.ID(),
				Title: string(f.Severity) + ": " + f.EventName + " " + shortKey(f.Resource) + " by " + Who(f.Actor, f.ActorSession)}
			if w, ok := byFinding[f.ID()]; ok {
				p.Until, p.Open = until, w.Open()
				if w.End != nil {
					p.Until = *w.End
				}
			}
			l.Points = append(l.Points, p)
		} else {
			r.Summary.Compliant++
		}
		r.Summary.Reverts.add(f)
		row := FindingRow{
			ID: f.ID(), Time: f.EventTime.UTC(), Cluster: id.Label(), Account: f.Account, AccountName: in.Aliases.Name(f.Account),
			Kind: f.Kind, Change: f.Change,
			Resource: f.Resource, Principal: f.Principal, Drift: f.Drift, Severity: f.Severity, Decision: f.Decision,
			Outcome: drift.OutcomeNone, Actor: f.Actor, Who: Who(f.Actor, f.ActorSession), Reason: f.Reason, ExposureSeconds: -1,
		}
		if f.Outcome != nil && f.Outcome.Result != "" {
			row.Outcome = f.Outcome.Result
		}
		if w, ok := byFinding[f.ID()]; ok {
			row.ExposureSeconds = int64(w.Duration(until) / time.Second)
			row.ExposureOpen, row.ExposureEnded = w.Open(), w.Ended
		}
		r.Findings = append(r.Findings, row)
	}

	r.Summary.Exposure = Summarize(windows, until)
	for _, s := range Stats(windows, until) {
		cluster(s.Cluster).Exposure = s
	}
	for _, a := range tl.Access(wanted) {
		cluster(a.Cluster).Access = &a
	}
	for _, c := range clusters {
		c.Exposure.Cluster = c.Cluster
		r.Clusters = append(r.Clusters, *c)
	}
	byLabel := func(a, b ClusterID) int {
		if a.IsIAM() != b.IsIAM() {
			if a.IsIAM() {
				return 1
			}
			return -1
		}
		return a.compare(b)
	}
	slices.SortFunc(r.Clusters, func(a, b ClusterReport) int { return byLabel(a.Cluster, b.Cluster) })
	for _, c := range r.Clusters {
		if l, ok := lanes[c.Cluster]; ok {
			r.Chart.Lanes = append(r.Chart.Lanes, *l)
		}
	}
	r.ByAccount = byAccount(period, windows, until, in.Aliases)
	return r
}

// byAccount sums up each account of the period's findings, ordered by ID;
// nil when they all come from one account, whose report is the whole.
func byAccount(period []drift.Finding, windows []Window, until time.Time, aliases drift.AccountAliases) []AccountReport {
	accounts := map[string]*AccountReport{}
	for i := range period {
		f := &period[i]
		a, ok := accounts[f.Account]
		if !ok {
			a = &AccountReport{Account: f.Account, Name: aliases.Name(f.Account), BySeverity: severityCounts()}
			accounts[f.Account] = a
		}
		a.Findings++
		if f.Drift {
			a.Drift++
		}
		count(a.BySeverity, string(f.Severity))
	}
	if len(accounts) < 2 {
		return nil
	}
	out := make([]AccountReport, 0, len(accounts))
	for id, a := range accounts {
		var mine []Window
		for _, w := range windows {
			if w.Cluster.Account == id {
				mine = append(mine, w)
			}
		}
		a.Exposure = Summarize(mine, until)
		out = append(out, *a)
	}
	slices.SortFunc(out, func(x, y AccountReport) int { return cmp.Compare(x.Account, y.Account) })
	return out
}

func severityCounts() []Count {
	out := make([]Count, len(drift.Severities))
	for i, s := range drift.Severities {
		out[i] = Count{Name: string(s)}
	}
	return out
}

func count(cs []Count, name string) {
	for i := range cs {
		if cs[i].Name == name {
			cs[i].Count++
			return
		}
	}
}

func (r *Reverts) add(f *drift.Finding) {
	result := ""
	if f.Outcome != nil {
		result = f.Outcome.Result
	}
	switch result {
	case drift.ResultReverted:
		r.Succeeded++
	case drift.ResultAlreadyCompliant:
		r.AlreadyCompliant++
	case drift.ResultRevertFailed:
		r.Failed++
	case drift.ResultDryRun:
		r.DryRun++
	case drift.ResultSkipped:
		r.Skipped++
	case "":
		if f.Drift && f.Decision == drift.DecisionRevert {
			r.Pending++
		}
	}
}

// shortKey drops ARN prefixes from a resource key, for titles.
func shortKey(resource string) string {
	parts := strings.Split(resource, "|")
	for i, p := range parts {
		if strings.HasPrefix(p, "arn:") {
			parts[i] = p[strings.LastIndexByte(p, ':')+1:]
			parts[i] = strings.TrimPrefix(parts[i], "cluster-access-policy/")
		}
	}
	return strings.Join(parts, " ")
}
