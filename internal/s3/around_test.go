package s3

import (
	"errors"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
)

// TestVersionsAround reads, on MiniStack's versioned S3, the versions
// around each write of newHistory: valid, second, deleted, invalid, valid.
func TestVersionsAround(t *testing.T) {
	h := newHistory(t)
	tests := []struct {
		name       string
		version    string
		wantID     string
		next       bool   // a parsed new version
		nextErr    string // what NextErr says
		previousID string
		previous   bool
		prevErr    string
	}{
		{"first version", h.ids[0], h.ids[0], true, "", "", false, ""},
		{"second version", h.ids[1], h.ids[1], true, "", h.ids[0], true, ""},
		{"the deletion", h.ids[2], h.ids[2], false, "delete marker", h.ids[1], true, ""},
		{"invalid after a deletion", h.ids[3], h.ids[3], false, "invalid baseline", "", false, ""},
		{"valid after an invalid one", h.ids[4], h.ids[4], true, "", h.ids[3], false, "invalid baseline"},
		{"latest when the event names none", "", h.ids[4], true, "", h.ids[3], false, "invalid baseline"},
		{"a version that is gone", "3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY", "3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY", false, "not among the object's versions", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := VersionsAround(t.Context(), h.s3, baseline.Index, baseline.Index, h.bucket, h.key, tt.version)
			if err != nil {
				t.Fatal(err)
			}
			if got.VersionID != tt.wantID || got.PreviousID != tt.previousID {
				t.Errorf("got versions %q after %q, want %q after %q", got.VersionID, got.PreviousID, tt.wantID, tt.previousID)
			}
			if (got.Next != nil) != tt.next || (got.Previous != nil) != tt.previous {
				t.Errorf("got next %v previous %v, want %v %v (errors %v, %v)", got.Next != nil, got.Previous != nil, tt.next, tt.previous, got.NextErr, got.PreviousErr)
			}
			if tt.nextErr != "" && (got.NextErr == nil || !strings.Contains(got.NextErr.Error(), tt.nextErr)) {
				t.Errorf("got next error %v, want it to say %q", got.NextErr, tt.nextErr)
			}
			if tt.prevErr != "" && (got.PreviousErr == nil || !strings.Contains(got.PreviousErr.Error(), tt.prevErr)) {
				t.Errorf("got previous error %v, want it to say %q", got.PreviousErr, tt.prevErr)
			}
			if got.Next != nil && (got.Next.VersionID != tt.wantID || !strings.HasPrefix(got.Next.Source, "s3://")) {
				t.Errorf("got next %s %s, want it stamped with its version and URI", got.Next.Source, got.Next.VersionID)
			}
		})
	}
	t.Run("a diffable pair", func(t *testing.T) {
		got, err := VersionsAround(t.Context(), h.s3, baseline.Index, baseline.Index, h.bucket, h.key, h.ids[1])
		if err != nil {
			t.Fatal(err)
		}
		if d := drift.DiffBaselines(got.Previous, got.Next); len(d) == 0 {
			t.Error("got no delta between the first and second versions, want some")
		}
	})
	t.Run("no such bucket", func(t *testing.T) {
		got, err := VersionsAround(t.Context(), h.s3, baseline.Index, baseline.Index, h.bucket+"-gone", h.key, "")
		if err != nil {
			t.Fatal(err)
		}
		if !errors.Is(got.NextErr, ErrNotFound) {
			t.Errorf("got %v, want ErrNotFound in NextErr: a baseline nobody can read is reported, not retried", got.NextErr)
		}
	})
}
