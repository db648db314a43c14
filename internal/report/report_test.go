package report

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/audit"
)

// golden is the report data of package audit's golden test: a month of the
// sample events, with outcomes, under two baseline versions.
func golden(t testing.TB) audit.Report {
	t.Helper()
	data, err := os.ReadFile("../audit/testdata/report.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var r audit.Report
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func render(t testing.TB, r audit.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestWriteIsSelfContained(t *testing.T) {
	page := render(t, golden(t))
	// Nothing that would make a browser fetch anything.
	for _, re := range []string{
		`<link\b`, `\bsrc\s*=`, `@import`, `url\(`, `https?://[^"<\s]*\.(js|css|woff2?|ttf)`, `<iframe`, `<img`,
	} {
		if m := regexp.MustCompile(re).FindString(page); m != "" {
			t.Errorf("the page holds %q: it must need nothing from outside", m)
		}
	}
	for _, want := range []string{"<style>", "<svg", "findings-data", "@media print", "Access at the end of the period"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

func TestWriteEmbedsTheFindings(t *testing.T) {
	r := golden(t)
	page := render(t, r)
	m := regexp.MustCompile(`(?s)<script type="application/json" id="findings-data">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no findings data in the page")
	}
	var got []audit.FindingRow
	if err := json.Unmarshal([]byte(m[1]), &got); err != nil {
		t.Fatalf("the findings data is not JSON: %v", err)
	}
	if len(got) != len(r.Findings) || got[0].ID != r.Findings[0].ID {
		t.Errorf("findings in the page: got %v, want %v", len(got), len(r.Findings))
	}
	if strings.Contains(m[1], "</") {
		t.Errorf("the findings data holds %q, which could end the script element", "</")
	}
}

func TestWriteEscapes(t *testing.T) {
	r := golden(t)
	r.Findings[0].Reason = `</script><script>alert("x")</script>`
	r.Chart.Lanes[0].Points[0].Title = `<b onmouseover="alert(1)">`
	r.Clusters[0].Label = `<i>`
	page := render(t, r)
	for _, bad := range []string{`<script>alert`, `<b onmouseover`, `<td><i></td>`} {
		if strings.Contains(page, bad) {
			t.Errorf("the page holds %q unescaped", bad)
		}
	}
}

func TestWriteEmptyPeriod(t *testing.T) {
	since := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := audit.BuildReport(audit.ReportInput{Since: since, Until: since.AddDate(0, 0, 7), GeneratedAt: since})
	page := render(t, r)
	for _, want := range []string{"No drift in the period.", "No drift granted access in the period.", "no baseline version known"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

func TestTicks(t *testing.T) {
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
	for _, tt := range []struct {
		name         string
		since, until time.Time
		n            int
		first        time.Time
	}{
		{"Week", day(10, 1), day(10, 8), 8, day(10, 1)},
		{"Month", day(10, 1).Add(time.Hour), day(11, 1), 5, day(10, 2)},
		{"Quarter", day(8, 3), day(11, 1).Add(time.Hour), 13, day(8, 3)},
		{"Year", day(1, 15), day(12, 31), 11, day(2, 1)},
		{"Nothing", day(1, 1), day(1, 1), 0, time.Time{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := ticks(tt.since, tt.until)
			if len(got) != tt.n || (tt.n > 0 && !got[0].Equal(tt.first)) {
				t.Errorf("got %v, want %d ticks from %v", got, tt.n, tt.first)
			}
		})
	}
}
