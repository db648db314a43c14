// Package report renders an audit report (audit.Report) as one HTML file
// that an auditor can open offline, mail, archive and print: the styles and
// the script are inlined, the chart is SVG drawn here, and the findings
// table's data is JSON in the page. Nothing is fetched from anywhere.
//
// What the page shows is decided by package audit; this package only lays
// it out, so the golden test of audit.Report covers the content, and the
// browser test here the rendering.
package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/eksdrift/eksdrift/internal/audit"
	"github.com/eksdrift/eksdrift/internal/drift"
)

var (
	//go:embed report.html.tmpl
	pageTemplate string
	//go:embed report.css
	styles string
	//go:embed report.js
	script string
)

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"time":     formatTime,
	"date":     func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
	"seconds":  func(s int64) string { return audit.FormatDuration(time.Duration(s) * time.Second) },
	"short":    shortARN,
	"who":      func(e *audit.Event) string { return e.Who() },
	"scope":    scope,
	"groups":   func(g []string) string { return strings.Join(g, ", ") },
	"pct":      pct,
	"severity": func(s drift.Severity) string { return string(s) },
	"chart":    chart,
	"css":      func() template.CSS { return template.CSS(styles) },
	"js":       func() template.JS { return template.JS(script) },
}).Parse(pageTemplate))

// Write renders r as a self-contained HTML page.
func Write(w io.Writer, r audit.Report) error {
	var b bytes.Buffer
	if err := tmpl.Execute(&b, r); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "before the history"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// shortARN keeps what identifies a principal or a policy to a reader: the
// account and the resource of an IAM ARN, the name of an EKS policy.
func shortARN(s string) string {
	if name, ok := strings.CutPrefix(s, "arn:aws:eks::aws:cluster-access-policy/"); ok {
		return name
	}
	if rest, ok := strings.CutPrefix(s, "arn:aws:iam::"); ok {
		return rest
	}
	return s
}

func scope(s *drift.AccessScope) string {
	switch {
	case s == nil:
		return ""
	case len(s.Namespaces) > 0:
		return s.Type + ": " + strings.Join(s.Namespaces, ", ")
	}
	return s.Type
}

// pct is n out of total as a CSS width.
func pct(n, total int) template.CSS {
	if total == 0 {
		return "0%"
	}
	return template.CSS(fmt.Sprintf("%.1f%%", float64(n)*100/float64(total)))
}
