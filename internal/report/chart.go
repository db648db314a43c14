package report

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/eksdrift/eksdrift/internal/audit"
	"github.com/eksdrift/eksdrift/internal/drift"
)

// The chart's geometry, in SVG user units; it scales to the page's width.
const (
	chartWidth  = 960
	chartLeft   = 110 // room for the lane labels
	chartRight  = 16
	chartTop    = 26 // room for the time axis
	laneHeight  = 34
	chartBottom = 30 // room for the legend
)

// chart draws the drift of the period: one lane per cluster, a dot per drift
// finding coloured by severity, and a bar for as long as its exposure
// lasted. Each dot has a title that browsers show on hover.
func chart(r audit.Report) template.HTML {
	var b strings.Builder
	height := chartTop + laneHeight*max(len(r.Chart.Lanes), 1) + chartBottom
	span := r.Until.Sub(r.Since)
	x := func(t time.Time) float64 {
		if span <= 0 {
			return chartLeft
		}
		f := float64(t.Sub(r.Since)) / float64(span)
		f = min(max(f, 0), 1)
		return chartLeft + f*(chartWidth-chartLeft-chartRight)
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-labelledby="chart-title" class="chart">`, chartWidth, height)
	b.WriteString(`<title id="chart-title">Drift per cluster over the period, coloured by severity</title>`)

	// Lanes.
	for i, l := range r.Chart.Lanes {
		y := chartTop + i*laneHeight
		fmt.Fprintf(&b, `<rect class="lane lane-%d" x="0" y="%d" width="%d" height="%d"/>`, i%2, y, chartWidth, laneHeight)
		fmt.Fprintf(&b, `<text class="lane-label" x="8" y="%d">%s</text>`, y+laneHeight/2+4, template.HTMLEscapeString(l.Label))
	}
	if len(r.Chart.Lanes) == 0 {
		fmt.Fprintf(&b, `<text class="empty" x="%d" y="%d">No drift in the period.</text>`, chartLeft, chartTop+laneHeight/2+4)
	}

	// The time axis.
	bottom := chartTop + laneHeight*max(len(r.Chart.Lanes), 1)
	for _, t := range ticks(r.Since, r.Until) {
		tx := x(t)
		fmt.Fprintf(&b, `<line class="tick" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>`, tx, chartTop-4, tx, bottom)
		fmt.Fprintf(&b, `<text class="tick-label" x="%.1f" y="%d">%s</text>`, tx, chartTop-8, t.Format("2 Jan"))
	}

	// Exposure bars under the dots, then the dots.
	for i, l := range r.Chart.Lanes {
		mid := chartTop + i*laneHeight + laneHeight/2
		for _, p := range l.Points {
			if p.Until.IsZero() {
				continue
			}
			x0, x1 := x(p.At), x(p.Until)
			class := "exposure sev-" + string(p.Severity)
			if p.Open {
				class += " open"
			}
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%d" width="%.1f" height="6"/>`, class, x0, mid-3, max(x1-x0, 1))
		}
	}
	for i, l := range r.Chart.Lanes {
		mid := chartTop + i*laneHeight + laneHeight/2
		for _, p := range l.Points {
			fmt.Fprintf(&b, `<circle class="point sev-%s" cx="%.1f" cy="%d" r="5" data-finding="%s"><title>%s</title></circle>`,
				p.Severity, x(p.At), mid, template.HTMLEscapeString(p.FindingID),
				template.HTMLEscapeString(p.At.UTC().Format("2006-01-02 15:04Z")+" "+p.Title))
		}
	}

	// The legend.
	lx := chartLeft
	for _, s := range drift.Severities {
		fmt.Fprintf(&b, `<circle class="point sev-%s" cx="%d" cy="%d" r="5"/><text class="legend" x="%d" y="%d">%s</text>`,
			s, lx, bottom+18, lx+9, bottom+22, s)
		lx += 90
	}
	fmt.Fprintf(&b, `<rect class="exposure sev-high" x="%d" y="%d" width="24" height="6"/><text class="legend" x="%d" y="%d">exposure until undone</text>`,
		lx, bottom+15, lx+30, bottom+22)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// ticks are the axis marks: days for short periods, weeks (from the start)
// for a few months, then the first of each month.
func ticks(since, until time.Time) []time.Time {
	since, until = since.UTC(), until.UTC()
	days := until.Sub(since).Hours() / 24
	var out []time.Time
	switch {
	case days <= 0:
		return nil
	case days <= 16:
		for t := since.Truncate(24 * time.Hour); !t.After(until); t = t.AddDate(0, 0, 1) {
			if !t.Before(since) {
				out = append(out, t)
			}
		}
	case days <= 120:
		start := since.Truncate(24 * time.Hour)
		if start.Before(since) {
			start = start.AddDate(0, 0, 1)
		}
		for t := start; !t.After(until); t = t.AddDate(0, 0, 7) {
			out = append(out, t)
		}
	default:
		t := time.Date(since.Year(), since.Month(), 1, 0, 0, 0, 0, time.UTC)
		if t.Before(since) {
			t = t.AddDate(0, 1, 0)
		}
		for ; !t.After(until); t = t.AddDate(0, 1, 0) {
			out = append(out, t)
		}
	}
	return out
}
