package notice

import (
	"encoding/json"
	"strings"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// Tamper is what a finding of kind tamper says about the call: which of
// eksdrift's own resources it touched, and what it set. Every field comes
// from the event and is untrusted text: channels make it inert as they do
// any other.
type Tamper struct {
	// Type and Name are the resource as the event named it ("rule",
	// "eksdrift-Routing...").
	Type, Name string
	// Short is its short name, from the finding's resource ("eksdrift"
	// for a stack named by its ID, a topic for its subscription).
	Short string
	// Own is the deployment's name for it, a stack output key such as
	// DetectorFunction; "" when the finding does not say.
	Own string
	// Detail is what the call set ("reservedConcurrentExecutions 0").
	Detail string
}

// OfTamper reads a tamper finding's after (or, for a removal, before)
// field; false for a finding of another kind.
func OfTamper(f drift.Finding) (Tamper, bool) {
	if f.Kind != drift.KindTamper {
		return Tamper{}, false
	}
	raw := f.After
	if f.Change == drift.OpRemoved {
		raw = f.Before
	}
	typ, short, _ := strings.Cut(f.Resource, ":")
	var t drift.TamperTarget
	if err := json.Unmarshal(raw, &t); err != nil || t.Type == "" {
		return Tamper{Type: typ, Name: short, Short: short}, true
	}
	return Tamper{Type: t.Type, Name: t.Name, Short: short, Own: t.Own, Detail: t.Detail}, true
}

// Sentence says the call in words: "DisableRule on eksdrift's rule
// eksdrift-Routing... (EksRule): state DISABLED".
func (t Tamper) Sentence(eventName string) string {
	s := eventName + " on eksdrift's " + t.Type + " " + t.Short
	if t.Own != "" {
		s += " (" + t.Own + ")"
	}
	if t.Detail != "" {
		s += ": " + t.Detail
	}
	return s
}

// tamperNotice words a tamper finding: the call, not a kind and an
// operation, since what matters is who switched off what.
func tamperNotice(n *Notice, f drift.Finding) {
	t, _ := OfTamper(f)
	n.What = string(f.Kind) + " " + string(f.Change) + ": " + f.EventName
	n.Resource = "eksdrift's " + t.Type + " " + t.Short
}
