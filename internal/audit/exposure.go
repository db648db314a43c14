package audit

import (
	"fmt"
	"slices"
	"time"
)

// ExposureStats sums up the exposure windows of one cluster (or of IAM, or
// of everything). Open windows count with the time they had lasted by the
// end of the timeline.
type ExposureStats struct {
	Cluster ClusterID `json:"cluster,omitzero"`
	Count   int       `json:"count"`
	Open    int       `json:"open"`
	// Median and Worst are in seconds, for the JSON that tools read.
	MedianSeconds int64 `json:"medianSeconds"`
	WorstSeconds  int64 `json:"worstSeconds"`
	// WorstOpen says the worst window was still open: it lasts longer yet.
	WorstOpen bool `json:"worstOpen"`
	// Worst is the drift behind the worst window.
	Worst *Event `json:"worst,omitempty"`
}

// Median is the median exposure.
func (s ExposureStats) Median() time.Duration { return time.Duration(s.MedianSeconds) * time.Second }

// WorstDuration is the longest exposure.
func (s ExposureStats) WorstDuration() time.Duration {
	return time.Duration(s.WorstSeconds) * time.Second
}

// ExposuresIn are the timeline's exposure windows that began in [since,
// until) (zero times do not bound), oldest first.
func (tl *Timeline) ExposuresIn(since, until time.Time) []Window {
	var out []Window
	for _, w := range tl.Exposures {
		if (since.IsZero() || !w.Start.Before(since)) && (until.IsZero() || w.Start.Before(until)) {
			out = append(out, w)
		}
	}
	return out
}

// Stats sums up windows per cluster, ordered by cluster (IAM last), as of
// asOf for the windows still open.
func Stats(windows []Window, asOf time.Time) []ExposureStats {
	byCluster := map[ClusterID][]Window{}
	var ids []ClusterID
	for _, w := range windows {
		if _, ok := byCluster[w.Cluster]; !ok {
			ids = append(ids, w.Cluster)
		}
		byCluster[w.Cluster] = append(byCluster[w.Cluster], w)
	}
	slices.SortFunc(ids, func(a, b ClusterID) int {
		if a.IsIAM() != b.IsIAM() {
			if a.IsIAM() {
				return 1
			}
			return -1
		}
		return a.compare(b)
	})
	out := make([]ExposureStats, 0, len(ids))
	for _, id := range ids {
		s := Summarize(byCluster[id], asOf)
		s.Cluster = id
		out = append(out, s)
	}
	return out
}

// Summarize gives the count, median and worst of windows as of asOf.
func Summarize(windows []Window, asOf time.Time) ExposureStats {
	s := ExposureStats{Count: len(windows)}
	if len(windows) == 0 {
		return s
	}
	ds := make([]time.Duration, len(windows))
	worst := 0
	for i, w := range windows {
		ds[i] = w.Duration(asOf)
		if w.Open() {
			s.Open++
		}
		if ds[i] > ds[worst] {
			worst = i
		}
	}
	s.WorstSeconds = int64(ds[worst] / time.Second)
	s.WorstOpen = windows[worst].Open()
	ev := windows[worst].Event
	s.Worst = &ev
	slices.Sort(ds)
	median := ds[len(ds)/2]
	if len(ds)%2 == 0 {
		median = (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
	}
	s.MedianSeconds = int64(median / time.Second)
	return s
}

// FormatDuration writes d for people, to two units: "3d 4h", "2h 15m",
// "45s".
func FormatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h := d / time.Hour
	d -= h * time.Hour
	m := d / time.Minute
	d -= m * time.Minute
	sec := d / time.Second
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, h)
	case h > 0:
		return fmt.Sprintf("%dh %dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm %ds", m, sec)
	}
	return fmt.Sprintf("%ds", sec)
}
