package notice

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
)

func TestOfBaselineWrite(t *testing.T) {
	obj := `{"uri":"s3://b/baseline.yaml","bucket":"b","key":"baseline.yaml","versionId":"v2","previousVersionId":"v1","diff":[` +
		`{"severity":"critical","change":"added","where":"breakGlass","what":"new break-glass principal x"},` +
		`{"severity":"low","change":"removed","where":"cluster prod (1/r)","what":"access entry for y is removed"}]}`
	for _, tt := range []struct {
		name string
		f    drift.Finding
		ok   bool
		want BaselineWrite
	}{
		{"a new version", drift.Finding{Kind: drift.KindBaseline, Change: drift.OpModified, After: json.RawMessage(obj)}, true, BaselineWrite{
			Version: "v2", Previous: "v1", Changes: []BaselineChange{
				{Grants: true, Text: "CRITICAL breakGlass: new break-glass principal x"},
				{Grants: false, Text: "low cluster prod (1/r): access entry for y is removed"},
			}}},
		{"a deletion", drift.Finding{Kind: drift.KindBaseline, Change: drift.OpRemoved, Before: json.RawMessage(`{"uri":"s3://b/k","versionId":"d1","unread":"deleted"}`), After: json.RawMessage("null")}, true,
			BaselineWrite{Version: "d1", Unread: "deleted"}},
		{"unreadable", drift.Finding{Kind: drift.KindBaseline, After: json.RawMessage("null")}, true, BaselineWrite{}},
		{"another kind", drift.Finding{Kind: drift.KindAccessEntry, After: json.RawMessage(obj)}, false, BaselineWrite{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := OfBaselineWrite(tt.f)
			if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v %v, want %+v %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
