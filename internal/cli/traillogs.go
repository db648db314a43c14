package cli

import (
	"context"
	"io"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/eksdrift/eksdrift/internal/cloudtrail"
	"github.com/eksdrift/eksdrift/internal/replay"
	"github.com/eksdrift/eksdrift/internal/s3"
)

// trailSources lists the trail's log files under prefix for the days from
// since to until, as sources that count the bytes they read into read;
// total is their size.
func trailSources(ctx context.Context, cfg aws.Config, o backfillOptions, bucket, prefix string, since, until time.Time, read *atomic.Int64) (sources []replay.Source, total int64, err error) {
	s3cfg := cfg
	if o.region == "" {
		// A trail's bucket is often in another region than the reader.
		r, err := s3.BucketRegion(ctx, awss3.NewFromConfig(cfg), bucket)
		if err != nil {
			return nil, 0, err
		}
		if r != "" {
			s3cfg.Region = r
		}
	}
	logs := s3.NewTrailLogs(awss3.NewFromConfig(s3cfg), bucket)
	objects, err := logs.List(ctx, prefix, since, until)
	if err != nil {
		return nil, 0, err
	}
	sources = make([]replay.Source, len(objects))
	for i, obj := range objects {
		total += obj.Size
		sources[i] = replay.Source{Name: "s3://" + bucket + "/" + obj.Key, Size: obj.Size, Open: func(ctx context.Context) (io.ReadCloser, error) {
			rc, err := logs.Open(ctx, obj.Key)
			if err != nil {
				return nil, err
			}
			return replay.CountingReader{R: rc, N: read}, nil
		}, Decoder: cloudtrail.Decoder{MaxDecompressed: int64(o.maxFileSize)}}
	}
	return sources, total, nil
}

func mb(n int64) float64 { return float64(n) / 1e6 }
