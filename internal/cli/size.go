package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/eksdrift/eksdrift/internal/cloudtrail"
)

// sizeFlag is a byte count given as 256MiB, 64MB, 1GiB or bytes.
type sizeFlag int64

var sizeUnits = []struct {
	suffix string
	size   int64
}{
	{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1},
}

func (f *sizeFlag) Set(s string) error {
	t := strings.ToUpper(strings.TrimSpace(s))
	unit := int64(1)
	for _, u := range sizeUnits {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, unit = strings.TrimSpace(rest), u.size
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/unit {
		return fmt.Errorf("want a size such as 256MiB, 64MB or 1GiB, got %q", s)
	}
	*f = sizeFlag(n * unit)
	return nil
}

func (f *sizeFlag) String() string { return cloudtrail.FormatSize(int64(*f)) }

func (f *sizeFlag) Type() string { return "size" }

// maxFileSizeUsage is the help of --max-file-size, which replay and
// backfill share.
const maxFileSizeUsage = "largest input read, decompressed; a larger one is reported and skipped (a gzip bomb stops there)"
