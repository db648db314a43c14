package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/eksdrift/eksdrift/internal/audit"
	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/s3"
	"github.com/eksdrift/eksdrift/internal/wiring"
)

// auditBaselines reads the baseline versions that were in force at some
// moment from since to until, for access and report.
//
//   - A file is one version, taken as in force throughout: what a local
//     replay judged against.
//   - s3://bucket/key is the deployed baseline: each version of the object
//     (the bucket is versioned) is in force from when S3 stored it until the
//     next. The detector revalidates its cached copy every minute or so, so
//     a change takes about that long to apply.
//   - Without --baseline, $EKSDRIFT_BASELINE_BUCKET and _KEY name the object,
//     as for the detector; without those either, there is no baseline and
//     only drift is reconstructed.
//
// It returns the versions oldest first and says on stderr what it read.
func (e *env) auditBaselines(ctx context.Context, cmd string, h *historySource, ref string, since, until time.Time) ([]audit.BaselineVersion, error) {
	if ref == "" {
		if bucket, key := e.getenv(config.EnvBaselineBucket), e.getenv(config.EnvBaselineKey); bucket != "" && key != "" {
			ref = "s3://" + bucket + "/" + key
		}
	}
	if ref == "" {
		fmt.Fprintf(e.stderr, "%s: no baseline (--baseline FILE or s3://bucket/key, or $%s and $%s): only drift is shown\n",
			cmd, config.EnvBaselineBucket, config.EnvBaselineKey)
		return nil, nil
	}
	bucket, key, isS3 := s3.ParseURI(ref)
	if !isS3 {
		b, err := baseline.LoadFile(ref)
		if err != nil {
			return nil, err
		}
		return []audit.BaselineVersion{{Baseline: b, ID: b.VersionID}}, nil
	}
	if key == "" {
		return nil, usageError{fmt.Errorf("%s: --baseline %s: want s3://bucket/key", cmd, ref)}
	}
	cfg, err := h.aws(ctx)
	if err != nil {
		return nil, err
	}
	vbs, err := wiring.BaselineHistory(ctx, cfg, bucket, key, since, until)
	if err != nil {
		return nil, err
	}
	out := make([]audit.BaselineVersion, 0, len(vbs))
	for _, vb := range vbs {
		v := audit.BaselineVersion{From: vb.LastModified, Baseline: vb.Baseline, ID: vb.ID}
		switch {
		case vb.DeleteMarker:
			v.Note = "the baseline object was deleted"
		case vb.Err != nil:
			v.Note = vb.Err.Error()
			fmt.Fprintf(e.stderr, "%s: warning: version %s (in force from %s) is not a valid baseline; nothing counts as declared while it was: %v\n",
				cmd, vb.ID, vb.LastModified.Format(time.RFC3339), vb.Err)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		fmt.Fprintf(e.stderr, "%s: %s had no version by %s: only drift is shown\n", cmd, ref, until.Format(time.RFC3339))
	}
	return out, nil
}
