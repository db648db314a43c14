package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/eksdrift/eksdrift/internal/audit"
	"github.com/eksdrift/eksdrift/internal/drift"
)

// This file holds the words the audit commands (access, and the report's
// summary line) share.

// introduced says which event made drift: ": EventName by who at time
// (event ID)", or nothing for baseline access.
func introduced(ev *audit.Event) string {
	if ev == nil {
		return ""
	}
	return fmt.Sprintf(": %s by %s at %s (%s, event %s)", ev.EventName, ev.Who(), ev.EventTime.Format(time.RFC3339), ev.Severity, ev.EventID)
}

func sinceText(t time.Time) string {
	if t.IsZero() {
		return "before the history"
	}
	return t.UTC().Format(time.RFC3339)
}

func scopeText(s *drift.AccessScope) string {
	switch {
	case s == nil:
		return ""
	case len(s.Namespaces) > 0:
		return s.Type + ":" + strings.Join(s.Namespaces, ",")
	}
	return s.Type
}

func shortResourceKey(resource, account string) string {
	return shortResource(&drift.Finding{Resource: resource, Account: account})
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
