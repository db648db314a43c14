package arch

import (
	"strings"
	"testing"
)

// TestAuditIsPure keeps the auditors' reconstruction testable on plain data:
// internal/audit imports the domain and the standard library, nothing else;
// the command feeds it from the stores and S3.
func TestAuditIsPure(t *testing.T) {
	for _, p := range imports(t, "../audit") {
		if strings.Contains(p, ".") && p != module+"drift" {
			t.Errorf("internal/audit imports %s: it may import only internal/drift and the standard library", p)
		}
	}
}

// TestReportRendersOnly keeps the HTML report a rendering of audit.Report:
// it reads no store and no AWS service.
func TestReportRendersOnly(t *testing.T) {
	for _, p := range imports(t, "../report") {
		if strings.Contains(p, ".") && p != module+"drift" && p != module+"audit" {
			t.Errorf("internal/report imports %s: it may import only internal/audit, internal/drift and the standard library", p)
		}
	}
}
