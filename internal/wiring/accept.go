package wiring

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/eksdrift/eksdrift/internal/accept"
	"github.com/eksdrift/eksdrift/internal/dynamodb"
	"github.com/eksdrift/eksdrift/internal/s3"
)

// Accepter is "Accept into baseline" on the deployed baseline object
// s3://bucket/key and the history store, which also holds the pending
// approvals.
func Accepter(cfg aws.Config, bucket, key string, store *dynamodb.Store) *accept.Accepter {
	return &accept.Accepter{
		History:   store,
		Baseline:  acceptObject{s3.NewBaselineObject(awss3.NewFromConfig(cfg), bucket, key)},
		Approvals: acceptApprovals{store},
	}
}

// acceptObject gives internal/accept the S3 object in its own terms.
type acceptObject struct{ o *s3.BaselineObject }

func (a acceptObject) URI() string { return a.o.URI() }

func (a acceptObject) Read(ctx context.Context) (accept.Document, error) {
	d, err := a.o.Read(ctx)
	return accept.Document{Data: d.Data, VersionID: d.VersionID, ETag: d.ETag}, err
}

func (a acceptObject) Write(ctx context.Context, data []byte, ifMatch string, metadata map[string]string) (accept.Document, bool, error) {
	d, err := a.o.Put(ctx, data, ifMatch, metadata)
	switch {
	case errors.Is(err, s3.ErrChanged):
		return accept.Document{}, false, nil
	case err != nil:
		return accept.Document{}, false, err
	}
	return accept.Document{Data: d.Data, VersionID: d.VersionID, ETag: d.ETag}, true, nil
}

// acceptApprovals gives internal/accept the store's approvals.
type acceptApprovals struct{ s *dynamodb.Store }

func (a acceptApprovals) Approve(ctx context.Context, id, approver string, at time.Time, pendingFor time.Duration) (accept.Approval, error) {
	ap, err := a.s.Approve(ctx, id, approver, at, pendingFor)
	return accept.Approval{First: ap.First, Second: ap.Second, Until: ap.Until, Complete: ap.Complete, Repeated: ap.Repeated}, err
}
