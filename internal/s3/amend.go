package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// A baseline accepted from a finding (internal/accept) is written as a new
// version of the baseline object, conditional on the version it was made
// from: S3's conditional write (If-Match with that version's ETag) refuses
// the write when someone wrote the object in between, so two acceptances,
// or an acceptance and a person's edit, never overwrite each other.

// ErrChanged is what Put wraps when the object is no longer the version the
// write was made from (S3 answered 412 Precondition Failed, or 409 when a
// concurrent conditional write is in flight).
var ErrChanged = errors.New("the baseline object changed since it was read")

// objectPutter is what BaselineObject calls; *s3.Client has it.
type objectPutter interface {
	getObjecter
	PutObject(ctx context.Context, in *awss3.PutObjectInput, optFns ...func(*awss3.Options)) (*awss3.PutObjectOutput, error)
}

// Document is one version of the baseline object as read.
type Document struct {
	Data []byte
	// VersionID is the S3 version id ("" in a bucket that is not
	// versioned); ETag is the entity tag a conditional write names.
	VersionID, ETag string
}

// BaselineObject reads and writes the baseline object whole, for the one
// writer eksdrift has: acceptance of drift into the baseline.
type BaselineObject struct {
	client      objectPutter
	bucket, key string
}

// NewBaselineObject is s3://bucket/key through client.
func NewBaselineObject(client objectPutter, bucket, key string) *BaselineObject {
	return &BaselineObject{client: client, bucket: bucket, key: key}
}

// URI is s3://bucket/key.
func (o *BaselineObject) URI() string { return "s3://" + o.bucket + "/" + o.key }

// Read returns the current version, up to MaxSize bytes.
func (o *BaselineObject) Read(ctx context.Context) (Document, error) {
	out, err := o.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(o.bucket), Key: aws.String(o.key)})
	if err != nil {
		return Document{}, fmt.Errorf("s3 baseline %s: cannot read: %w", o.URI(), classify(err))
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, MaxSize+1))
	if err != nil {
		return Document{}, fmt.Errorf("s3 baseline %s: reading the object: %w", o.URI(), err)
	}
	if len(data) > MaxSize {
		return Document{}, fmt.Errorf("s3 baseline %s: larger than %d bytes", o.URI(), MaxSize)
	}
	v := aws.ToString(out.VersionId)
	if v == "null" {
		v = ""
	}
	return Document{Data: data, VersionID: v, ETag: aws.ToString(out.ETag)}, nil
}

// Put writes data as the new version, only if the object is still the
// version whose ETag is ifMatch (never unconditionally: an empty ifMatch is
// refused). metadata becomes the object's user metadata (x-amz-meta-*);
// values must be ASCII, as S3 requires. It returns the new version.
func (o *BaselineObject) Put(ctx context.Context, data []byte, ifMatch string, metadata map[string]string) (Document, error) {
	if ifMatch == "" {
		return Document{}, fmt.Errorf("s3 baseline %s: refusing an unconditional write", o.URI())
	}
	for k, v := range metadata {
		if !isASCII(k) || !isASCII(v) {
			return Document{}, fmt.Errorf("s3 baseline %s: metadata %q is not ASCII", o.URI(), k)
		}
	}
	out, err := o.client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket: aws.String(o.bucket), Key: aws.String(o.key),
		Body: strings.NewReader(string(data)), ContentLength: aws.Int64(int64(len(data))),
		ContentType: aws.String("application/yaml"),
		IfMatch:     aws.String(ifMatch),
		Metadata:    metadata,
	})
	if err != nil {
		if changed(err) {
			return Document{}, fmt.Errorf("s3 baseline %s: %w (wrote on %s): %w", o.URI(), ErrChanged, ifMatch, err)
		}
		return Document{}, fmt.Errorf("s3 baseline %s: cannot write: %w", o.URI(), classify(err))
	}
	v := aws.ToString(out.VersionId)
	if v == "null" {
		v = ""
	}
	return Document{Data: data, VersionID: v, ETag: aws.ToString(out.ETag)}, nil
}

// changed reports whether S3 refused a conditional write because the
// object moved on: 412, or 409 (ConditionalRequestConflict) for a race.
func changed(err error) bool {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && (re.HTTPStatusCode() == http.StatusPreconditionFailed || re.HTTPStatusCode() == http.StatusConflict) {
		return true
	}
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode() == "PreconditionFailed" || apiErr.ErrorCode() == "ConditionalRequestConflict")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
