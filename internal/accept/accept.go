// Package accept is "Accept into baseline": a person who approves a drift
// finding (from Slack) makes the baseline declare what the finding saw, as a
// new version of the baseline object. eksdrift holds write access to EKS and
// IAM and restores what the baseline declares, so this is the most guarded
// write it makes:
//
//   - only a finding recorded in the history is accepted, read back from the
//     history by its ID and compared with what the caller passed;
//   - what is declared is the state the detector read live after the event
//     (or, without that, what the event says), never more: the amended
//     version is judged against that state and must find no drift, and its
//     diff from the version in force must be about that one resource;
//   - the amended document must load and validate as any baseline, or
//     nothing is written;
//   - a version that grants anything critical (cluster-admin or admin access
//     policies, system:masters, what the access-policy table rates critical,
//     admin IAM policies) needs two different approvers;
//   - the write is conditional on the version read (S3 If-Match), and the
//     edit is re-applied to a newer version only if that version still
//     declares for the resource what the finding was judged against.
//
// The new version is announced as any baseline write is: S3's event reaches
// the detector, whose baseline finding lists what the version grants.
package accept

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
)

// Result is what one approval did.
type Result struct {
	// Written is true when a new baseline version was written; Version is
	// its S3 version id.
	Written bool
	Version string
	// Pending is true when the approval was recorded and waits for a second,
	// different approver.
	Pending bool
	// Why says, for people, what happened or why nothing was written.
	Why string
}

// Document is one version of the baseline object.
type Document struct {
	Data []byte
	// VersionID is the S3 version id; ETag is what a conditional write names.
	VersionID, ETag string
}

// Baseline reads the baseline object and writes a new version of it.
type Baseline interface {
	URI() string
	Read(ctx context.Context) (Document, error)
	// Write stores data only if the object is still the version whose ETag
	// is ifMatch; written is false (and err nil) when it is not.
	Write(ctx context.Context, data []byte, ifMatch string, metadata map[string]string) (doc Document, written bool, err error)
}

// Approval is where the approvals of one finding stand.
type Approval struct {
	First, Second string
	Until         time.Time
	Complete      bool
	Repeated      bool
}

// Approvals records the approvals of findings that need two approvers.
type Approvals interface {
	Approve(ctx context.Context, id, approver string, at time.Time, pendingFor time.Duration) (Approval, error)
}

// History is what the accepter reads of the history.
type History interface {
	Get(ctx context.Context, id string) (drift.Finding, bool, error)
}

// The object metadata (x-amz-meta-*) of an accepted version.
const (
	MetaFinding         = "eksdrift-accepted-finding"
	MetaApprovers       = "eksdrift-approvers"
	MetaPreviousVersion = "eksdrift-previous-version"
)

// DefaultPendingFor is how long a first approval waits for the second.
const DefaultPendingFor = 24 * time.Hour

// attempts bounds the re-reads when the object changes under a write.
const attempts = 4

// Accepter accepts findings into the baseline.
type Accepter struct {
	History   History
	Baseline  Baseline
	Approvals Approvals
	// PendingFor is how long a first approval waits; DefaultPendingFor when zero.
	PendingFor time.Duration
}

// Accept makes the baseline declare the drift of finding f, approved by
// approver at at. A refusal is a Result with Why and no error; an error is a
// failure to read or write (the approval may be retried).
func (a *Accepter) Accept(ctx context.Context, f drift.Finding, approver string, at time.Time) (Result, error) {
	if approver == "" {
		return Result{}, errors.New("accept: no approver")
	}
	id := f.ID()
	stored, ok, err := a.History.Get(ctx, id)
	if err != nil {
		return Result{}, fmt.Errorf("accept %s: cannot read the history: %w", id, err)
	}
	if !ok {
		return refused("finding %s is not in the history: eksdrift accepts only what it recorded", id), nil
	}
	if why := mismatch(f, stored); why != "" {
		return refused("the finding given differs from the one recorded as %s (%s): nothing is accepted", id, why), nil
	}
	c, why := acceptedChange(stored)
	if why != "" {
		return refused("%s", why), nil
	}
	for range attempts {
		r, retry, err := a.try(ctx, stored, c, approver, at)
		if err != nil || !retry {
			return r, err
		}
	}
	return Result{}, fmt.Errorf("accept %s: the baseline %s kept changing during the write; try again", id, a.Baseline.URI())
}

// try makes one attempt from the version in force; retry says the object
// changed before the write.
func (a *Accepter) try(ctx context.Context, f drift.Finding, c drift.Change, approver string, at time.Time) (Result, bool, error) {
	uri := a.Baseline.URI()
	doc, err := a.Baseline.Read(ctx)
	if err != nil {
		return Result{}, false, fmt.Errorf("accept %s: %w", f.ID(), err)
	}
	cur, err := baseline.IndexAt(at, uri, doc.Data)
	if err != nil {
		return refused("the baseline %s version %s is invalid, so nothing is accepted into it: %v", uri, doc.VersionID, err), false, nil
	}
	again := drift.NewEvaluator(cur).Evaluate(c)
	if !again.Drift {
		return refused("the baseline %s version %s already declares this: nothing to accept", uri, doc.VersionID), false, nil
	}
	if !sameJSON(again.Expected, f.Expected) {
		return refused("baseline changed since this finding: version %s declares %s for %s, the finding was judged against %s; look again",
			doc.VersionID, orNothing(again.Expected), f.Resource, orNothing(f.Expected)), false, nil
	}
	next, err := baseline.Amend(doc.Data, c)
	if err != nil {
		if baseline.IsNotAcceptable(err) {
			return refused("%v", err), false, nil
		}
		return Result{}, false, fmt.Errorf("accept %s: %w", f.ID(), err)
	}
	nix, err := baseline.IndexAt(at, uri, next)
	if err != nil {
		return refused("the baseline with this accepted would be invalid, so nothing was written: %v", err), false, nil
	}
	if g := drift.NewEvaluator(nix).Evaluate(c); g.Drift {
		return refused("the amended baseline would still find drift (%s), so nothing was written", g.Reason), false, nil
	}
	deltas := drift.DiffBaselines(cur.Baseline, nix.Baseline)
	if d, ok := outside(deltas, c); !ok {
		return refused("the amended baseline would change more than this resource (%s), so nothing was written", d), false, nil
	}
	approvers := []string{approver}
	if crit := critical(deltas); crit != "" {
		ap, err := a.Approvals.Approve(ctx, f.ID(), approver, at, a.pendingFor())
		if err != nil {
			return Result{}, false, fmt.Errorf("accept %s: %w", f.ID(), err)
		}
		switch {
		case ap.Repeated:
			return Result{Pending: true, Why: fmt.Sprintf("%s has already approved this; it grants %s, which needs a second, different approver (until %s)",
				approver, crit, ap.Until.UTC().Format(time.RFC3339))}, false, nil
		case !ap.Complete && ap.Second != "":
			return refused("already approved by %s and %s", ap.First, ap.Second), false, nil
		case !ap.Complete:
			return Result{Pending: true, Why: fmt.Sprintf("approved by %s; it grants %s, which needs a second, different approver (until %s)",
				approver, crit, ap.Until.UTC().Format(time.RFC3339))}, false, nil
		}
		approvers = []string{ap.First, ap.Second}
	}
	meta := map[string]string{
		MetaFinding:         metaValue(f.ID()),
		MetaApprovers:       metaValue(strings.Join(approvers, ",")),
		MetaPreviousVersion: metaValue(doc.VersionID),
	}
	out, written, err := a.Baseline.Write(ctx, next, doc.ETag, meta)
	if err != nil {
		return Result{}, false, fmt.Errorf("accept %s: %w", f.ID(), err)
	}
	if !written {
		return Result{}, true, nil
	}
	return Result{Written: true, Version: out.VersionID,
		Why: fmt.Sprintf("accepted into %s by %s: version %s (was %s): %s", uri, strings.Join(approvers, " and "), out.VersionID, doc.VersionID, summary(deltas))}, false, nil
}

func (a *Accepter) pendingFor() time.Duration {
	if a.PendingFor > 0 {
		return a.PendingFor
	}
	return DefaultPendingFor
}

func refused(format string, args ...any) Result { return Result{Why: fmt.Sprintf(format, args...)} }

// acceptedChange is the state to declare: what the detector read live after
// the event when it did (the state that is there), else what the event says.
func acceptedChange(f drift.Finding) (drift.Change, string) {
	if !f.Drift {
		return drift.Change{}, fmt.Sprintf("finding %s is not drift: nothing to accept", f.ID())
	}
	if f.Outcome != nil && f.Outcome.Result == "reverted" {
		return drift.Change{}, fmt.Sprintf("the reverter undid this drift at %s: nothing of it is live to accept", f.Outcome.At.UTC().Format(time.RFC3339))
	}
	c, err := drift.ChangeOf(f)
	if err != nil {
		return drift.Change{}, fmt.Sprintf("cannot read finding %s back into its change: %v", f.ID(), err)
	}
	if f.Live == nil {
		return c, ""
	}
	if !f.Live.Drift {
		return drift.Change{}, fmt.Sprintf("the live state read at %s already matched the baseline: nothing to accept", f.Live.ReadAt.UTC().Format(time.RFC3339))
	}
	if !f.Live.Present {
		c.Op = drift.OpRemoved
		return c, ""
	}
	live, err := drift.DecodeResource(f.Kind, f.Live.State)
	if err != nil || live.Key() != c.Resource.Key() {
		return drift.Change{}, fmt.Sprintf("the live state recorded with finding %s cannot be read as its resource", f.ID())
	}
	if c.Op == drift.OpRemoved {
		c.Op = drift.OpModified // removed by the event, yet there when read
	}
	c.Resource = live
	return c, ""
}

// mismatch names the first field where the finding a caller passed differs
// from the recorded one.
func mismatch(given, stored drift.Finding) string {
	type field struct {
		name string
		a, b any
	}
	for _, x := range []field{
		{"kind", given.Kind, stored.Kind}, {"change", given.Change, stored.Change}, {"account", given.Account, stored.Account},
		{"region", given.Region, stored.Region}, {"cluster", given.Cluster, stored.Cluster}, {"resource", given.Resource, stored.Resource},
		{"drift", given.Drift, stored.Drift}, {"eventTime", given.EventTime.UTC(), stored.EventTime.UTC()},
	} {
		if x.a != x.b {
			return x.name
		}
	}
	for _, x := range []struct {
		name string
		a, b json.RawMessage
	}{{"before", given.Before, stored.Before}, {"after", given.After, stored.After}, {"expected", given.Expected, stored.Expected}} {
		if !sameJSON(x.a, x.b) {
			return x.name
		}
	}
	return ""
}

func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if len(a) == 0 {
		a = json.RawMessage("null")
	}
	if len(b) == 0 {
		b = json.RawMessage("null")
	}
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func orNothing(raw json.RawMessage) string {
	if sameJSON(raw, nil) {
		return "nothing"
	}
	return string(raw)
}

// outside returns a delta of the amended version that is not about the
// accepted resource: an edit must change that resource and nothing else.
func outside(deltas []drift.BaselineDelta, c drift.Change) (string, bool) {
	where, token := scopeOf(c)
	if where == "" && len(deltas) > 0 {
		where = deltas[0].Where // one role: its ARN as the baseline spells it
	}
	for _, d := range deltas {
		if d.Where != where {
			return d.String(), false
		}
		if token != "" && !strings.Contains(d.What, token) {
			return d.String(), false
		}
	}
	return "", true
}

// scopeOf is where DiffBaselines reports a change of c's resource, and what
// its wording names.
func scopeOf(c drift.Change) (where, token string) {
	cluster := fmt.Sprintf("cluster %s (%s/%s)", c.Cluster, c.Event.Account, c.Event.Region)
	switch r := c.Resource.(type) {
	case *drift.AccessEntry:
		return cluster, r.PrincipalARN
	case *drift.AccessPolicy:
		return cluster, r.PrincipalARN
	case *drift.PodIdentityAssociation:
		return cluster, r.Key()
	case *drift.IdentityProviderConfig:
		return cluster, r.Name
	case *drift.AuthenticationMode:
		return cluster, "authentication mode"
	case *drift.AwsAuth:
		return cluster, "aws-auth"
	case *drift.OIDCProvider:
		return "oidcProviders", r.ARN
	case *drift.InlinePolicy:
		return "", r.PolicyName
	case *drift.ManagedPolicy:
		return "", r.PolicyARN[strings.LastIndexByte(r.PolicyARN, '/')+1:]
	case *drift.TrustPolicy:
		return "", "trust policy"
	case *drift.PermissionsBoundary:
		return "", "permissions boundary"
	}
	return "", "" // iam-user: DiffBaselines does not report users
}

// critical names the most severe grant among deltas rated critical, "" when
// none is: those need two approvers.
func critical(deltas []drift.BaselineDelta) string {
	i := slices.IndexFunc(deltas, func(d drift.BaselineDelta) bool {
		return d.Severity == drift.SeverityCritical && d.Change != drift.OpRemoved
	})
	if i < 0 {
		return ""
	}
	return deltas[i].What
}

func summary(deltas []drift.BaselineDelta) string {
	if len(deltas) == 0 {
		return "no change to what it grants"
	}
	parts := make([]string, len(deltas))
	for i, d := range deltas {
		parts[i] = string(d.Severity) + ": " + d.String()
	}
	return strings.Join(parts, "; ")
}

// metaValue keeps a metadata value to the printable ASCII S3 accepts,
// escaping anything else (and %) as %XX.
func metaValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '%' {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}
