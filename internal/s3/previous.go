package s3

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// Previous tells the reverter's hold-down when the baseline version in
// force came into force, and what the version before it declared: the
// reverter restores at once only what that earlier version granted too, so
// that a write to the baseline alone never gives anyone access before the
// hold-down has passed. Versions never change once stored, so the answer
// for a version is read from S3 once and kept.
type Previous struct {
	client versionReader
	parse  Parser
	bucket string
	key    string

	mu    sync.Mutex
	cache map[string]previousVersion // by the current version's id
}

type previousVersion struct {
	since time.Time
	prev  *drift.Index
}

// NewPrevious reads the versions of s3://bucket/key through client.
func NewPrevious(client versionReader, parse Parser, bucket, key string) *Previous {
	return &Previous{client: client, parse: parse, bucket: bucket, key: key, cache: map[string]previousVersion{}}
}

// Of gives, for the baseline in force (current, as the BaselineSource
// indexed it), when its version was stored and the version stored before
// it, indexed. The earlier version is nil when there was none, when the
// object was deleted in between, or when it could not be parsed: such a
// version granted nothing, since an unusable baseline never reverts.
func (p *Previous) Of(ctx context.Context, current *drift.Index) (time.Time, *drift.Index, error) {
	id := current.Baseline.VersionID
	uri := "s3://" + p.bucket + "/" + p.key
	p.mu.Lock()
	c, ok := p.cache[id]
	p.mu.Unlock()
	if ok {
		return c.since, c.prev, nil
	}
	vs, err := Versions(ctx, p.client, p.bucket, p.key)
	if err != nil {
		return time.Time{}, nil, err
	}
	at := -1
	for i, v := range vs {
		if !v.DeleteMarker && (v.ID == id || (v.ID == "null" && trimETag(v.ETag) == id)) {
			at = i
		}
	}
	if at < 0 {
		return time.Time{}, nil, fmt.Errorf("s3 baseline %s: version %s, the one in force, is not among the object's versions", uri, id)
	}
	c = previousVersion{since: vs[at].LastModified}
	if at > 0 && !vs[at-1].DeleteMarker {
		data, err := GetVersion(ctx, p.client, p.bucket, p.key, vs[at-1].ID)
		if err != nil {
			return time.Time{}, nil, err
		}
		if ix, err := p.parse(uri, data); err == nil {
			c.prev = ix
		}
	}
	p.mu.Lock()
	p.cache[id] = c
	p.mu.Unlock()
	return c.since, c.prev, nil
}

func trimETag(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}
