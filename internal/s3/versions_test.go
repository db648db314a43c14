package s3

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
)

// history is a versioned bucket whose baseline object went through
// validBaseline, secondBaseline, a deletion, invalidBaseline, and
// validBaseline again; a neighbour key shares its prefix.
type history struct {
	s3     *awss3.Client
	bucket string
	key    string
	ids    []string // version ids, oldest first, the delete marker's included
}

func newHistory(t *testing.T) *history {
	t.Helper()
	c := client(t)
	h := &history{s3: c, bucket: bucket(t, c, true), key: "eksdrift/baseline.yaml"}
	for _, body := range []string{validBaseline, secondBaseline, "", invalidBaseline, validBaseline} {
		if body == "" {
			out, err := c.DeleteObject(t.Context(), &awss3.DeleteObjectInput{Bucket: aws.String(h.bucket), Key: aws.String(h.key)})
			if err != nil {
				t.Fatal(err)
			}
			h.ids = append(h.ids, aws.ToString(out.VersionId))
		} else {
			h.ids = append(h.ids, put(t, c, h.bucket, h.key, body))
		}
		put(t, c, h.bucket, h.key+".bak", body+"# not the baseline\n")
		// Apart in time, as baseline changes are: S3 keeps LastModified
		// to the millisecond in listings.
		time.Sleep(20 * time.Millisecond)
	}
	return h
}

func TestVersions(t *testing.T) {
	h := newHistory(t)
	vs, err := Versions(t.Context(), h.s3, h.bucket, h.key)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, v := range vs {
		got = append(got, v.ID)
		if i > 0 && v.LastModified.Before(vs[i-1].LastModified) {
			t.Errorf("version %d stored at %v, before the one before it (%v)", i, v.LastModified, vs[i-1].LastModified)
		}
		if v.DeleteMarker != (i == 2) {
			t.Errorf("version %d delete marker: got %v, want %v", i, v.DeleteMarker, i == 2)
		}
	}
	if strings.Join(got, ",") != strings.Join(h.ids, ",") {
		t.Fatalf("versions: got %v, want %v (oldest first, no other key)", got, h.ids)
	}

	t.Run("InForce", func(t *testing.T) {
		for _, tt := range []struct {
			name   string
			at     time.Time
			want   string
			wantOK bool
		}{
			{"BeforeTheFirst", vs[0].LastModified.Add(-time.Second), "", false},
			{"AtTheFirst", vs[0].LastModified, vs[0].ID, true},
			{"BetweenFirstAndSecond", vs[1].LastModified.Add(-time.Nanosecond), vs[0].ID, true},
			{"AtTheSecond", vs[1].LastModified, vs[1].ID, true},
			{"Deleted", vs[2].LastModified.Add(time.Nanosecond), vs[2].ID, false},
			{"Latest", vs[4].LastModified.Add(time.Hour), vs[4].ID, true},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, ok := InForce(vs, tt.at)
				if got.ID != tt.want || ok != tt.wantOK {
					t.Errorf("InForce(%v): got %v, %v, want %v, %v", tt.at, got.ID, ok, tt.want, tt.wantOK)
				}
			})
		}
	})

	t.Run("GetVersion", func(t *testing.T) {
		for i, want := range map[int]string{0: validBaseline, 1: secondBaseline, 3: invalidBaseline} {
			data, err := GetVersion(t.Context(), h.s3, h.bucket, h.key, h.ids[i])
			if err != nil || string(data) != want {
				t.Errorf("version %d: got %q, %v, want %q", i, data, err, want)
			}
		}
		_, err := GetVersion(t.Context(), h.s3, h.bucket, h.key, "no-such-version")
		if err == nil || !strings.Contains(err.Error(), "s3 baseline s3://"+h.bucket+"/"+h.key+" version no-such-version") {
			t.Errorf("missing version: got %v, want an error naming the object and version", err)
		}
	})
}

func TestBaselines(t *testing.T) {
	h := newHistory(t)
	vs, err := Versions(t.Context(), h.s3, h.bucket, h.key)
	if err != nil {
		t.Fatal(err)
	}
	var parses atomic.Int32
	parse := func(source string, data []byte) (*drift.Index, error) {
		parses.Add(1)
		return baseline.Index(source, data)
	}
	t.Run("All", func(t *testing.T) {
		parses.Store(0)
		got, err := Baselines(t.Context(), h.s3, parse, h.bucket, h.key, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 5 {
			t.Fatalf("versions: got %v, want %v", len(got), 5)
		}
		clusters := []int{1, 2, -1, -1, 1} // -1: no baseline
		for i, vb := range got {
			if vb.ID != h.ids[i] {
				t.Errorf("version %d: got %v, want %v", i, vb.ID, h.ids[i])
			}
			switch {
			case clusters[i] < 0 && vb.Baseline != nil:
				t.Errorf("version %d: got a baseline, want none", i)
			case clusters[i] >= 0 && (vb.Baseline == nil || len(vb.Baseline.Clusters) != clusters[i]):
				t.Errorf("version %d: got %+v (%v), want %d clusters", i, vb.Baseline, vb.Err, clusters[i])
			case vb.Baseline != nil && (vb.Baseline.VersionID != h.ids[i] || vb.Baseline.Source != "s3://"+h.bucket+"/"+h.key):
				t.Errorf("version %d: got source %v version %v, want the object's", i, vb.Baseline.Source, vb.Baseline.VersionID)
			}
		}
		var invalid *drift.InvalidBaselineError
		if !errors.As(got[3].Err, &invalid) || !strings.Contains(got[3].Err.Error(), h.ids[3]) {
			t.Errorf("invalid version: got %v, want an InvalidBaselineError naming the version", got[3].Err)
		}
		if got[2].Err != nil || !got[2].DeleteMarker {
			t.Errorf("deleted: got %+v, want a delete marker without error", got[2])
		}
		// The first and last versions hold the same document.
		if n := parses.Load(); n != 3 {
			t.Errorf("parses: got %v, want %v", n, 3)
		}
	})
	t.Run("Window", func(t *testing.T) {
		got, err := Baselines(t.Context(), h.s3, parse, h.bucket, h.key, vs[1].LastModified.Add(time.Millisecond), vs[3].LastModified)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, vb := range got {
			ids = append(ids, vb.ID)
		}
		if want := h.ids[1:4]; strings.Join(ids, ",") != strings.Join(want, ",") {
			t.Errorf("versions in force from just after the second to the fourth: got %v, want %v", ids, want)
		}
	})
	t.Run("Unversioned", func(t *testing.T) {
		b := bucket(t, h.s3, false)
		put(t, h.s3, b, "baseline.yaml", validBaseline)
		got, err := Baselines(t.Context(), h.s3, baseline.Index, b, "baseline.yaml", time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Baseline == nil || got[0].Baseline.VersionID == "" || got[0].Baseline.VersionID == "null" {
			t.Fatalf("got %+v, want one version named by its ETag", got)
		}
	})
	t.Run("NoBucket", func(t *testing.T) {
		_, err := Baselines(t.Context(), h.s3, baseline.Index, "no-such-bucket-"+h.bucket, "baseline.yaml", time.Time{}, time.Time{})
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("got %v, want ErrNotFound", err)
		}
	})
	t.Run("Unreachable", func(t *testing.T) {
		_, err := Versions(t.Context(), downClient(t), h.bucket, h.key)
		if !errors.Is(err, ErrUnreachable) {
			t.Errorf("got %v, want ErrUnreachable", err)
		}
	})
}
