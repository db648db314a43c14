package arch

import (
	"slices"
	"testing"
)

// TestPurePackages keeps some packages narrower than their layer: each may
// import the standard library and the packages listed, nothing else.
//   - internal/audit: the auditors' reconstruction stays testable on plain
//     data; the command feeds it from the stores and S3.
//   - internal/report: the HTML report renders audit.Report; it reads no
//     store and no AWS service.
//   - internal/notice: words about the domain's types, with no adapter, AWS
//     SDK or chat library behind them.
func TestPurePackages(t *testing.T) {
	_, graph := loadGraph(t, root)
	tests := []struct {
		path  string
		allow []string
	}{
		{"internal/audit", []string{"internal/drift"}},
		{"internal/report", []string{"internal/audit", "internal/drift"}},
		{"internal/notice", []string{"internal/drift"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, ok := graph[tt.path]
			if !ok {
				t.Fatalf("%s: no package there", tt.path)
			}
			for _, imp := range p.imports {
				if !isStandard(imp, graph) && !slices.Contains(tt.allow, imp) {
					t.Errorf("%s imports %s: it may import only %v and the standard library", tt.path, imp, tt.allow)
				}
			}
		})
	}
}
