package metrics

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestFlushWritesEMF(t *testing.T) {
	var s Set
	s.Add(EventsProcessed, 1)
	s.Add(DriftCritical, 2)
	s.Add(DriftCritical, 1)
	var buf bytes.Buffer
	if err := s.Flush(&buf, "eksdrift", "detect", time.UnixMilli(1760000000000)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Function      string
		DriftCritical float64
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v: %s", err, buf.String())
	}
	m := doc.AWS.CloudWatchMetrics[0]
	if doc.AWS.Timestamp != 1760000000000 || m.Namespace != "eksdrift" || m.Dimensions[0][0] != "Function" || len(m.Metrics) != 2 {
		t.Errorf("got %+v", doc.AWS)
	}
	if doc.Function != "detect" || doc.DriftCritical != 3 {
		t.Errorf("got function %q, DriftCritical %v, want detect and 3", doc.Function, doc.DriftCritical)
	}
	buf.Reset()
	s.Flush(&buf, "eksdrift", "detect", time.Now())
	if buf.Len() != 0 {
		t.Errorf("a second flush with nothing counted wrote %q", buf.String())
	}
}
