package s3

import (
	"errors"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestBaselineObjectPutIsConditional: MiniStack serves S3's conditional
// writes (If-Match), so the write is tested there: the version read can be
// replaced once; a write made from a version someone replaced meanwhile is
// refused with ErrChanged, and of writers racing from one version exactly
// one succeeds.
func TestBaselineObjectPutIsConditional(t *testing.T) {
	c := client(t)
	b := bucket(t, c, true)
	first := put(t, c, b, "baseline.yaml", "version: 1\n")
	o := NewBaselineObject(c, b, "baseline.yaml")

	doc, err := o.Read(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if doc.VersionID != first || doc.ETag == "" {
		t.Fatalf("got version %q etag %q, want version %q and an etag", doc.VersionID, doc.ETag, first)
	}
	t.Run("metadata and a new version", func(t *testing.T) {
		next, err := o.Put(t.Context(), []byte("version: 1\nmode: alert\n"), doc.ETag, map[string]string{"eksdrift-previous-version": first})
		if err != nil {
			t.Fatal(err)
		}
		if next.VersionID == "" || next.VersionID == first {
			t.Fatalf("got version %q, want a new one", next.VersionID)
		}
		head, err := c.HeadObject(t.Context(), &awss3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("baseline.yaml")})
		if err != nil {
			t.Fatal(err)
		}
		if got := head.Metadata["eksdrift-previous-version"]; got != first {
			t.Fatalf("got metadata %q, want %q", got, first)
		}
	})
	t.Run("stale version refused", func(t *testing.T) {
		_, err := o.Put(t.Context(), []byte("version: 1\nmode: revert\n"), doc.ETag, nil)
		if !errors.Is(err, ErrChanged) {
			t.Fatalf("got %v, want ErrChanged", err)
		}
	})
	t.Run("unconditional refused", func(t *testing.T) {
		if _, err := o.Put(t.Context(), []byte("version: 1\n"), "", nil); err == nil {
			t.Fatal("got no error, want a refusal")
		}
	})
	t.Run("racing writers, one wins", func(t *testing.T) {
		cur, err := o.Read(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		wins, changedN := 0, 0
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := o.Put(t.Context(), []byte("version: 1\n# writer "+string(rune('a'+i))+"\n"), cur.ETag, nil)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errors.Is(err, ErrChanged):
					changedN++
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 || changedN != 5 {
			t.Fatalf("got %d wins and %d refusals, want 1 and 5", wins, changedN)
		}
	})
}
