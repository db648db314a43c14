package awsconfig_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestFunctionsWithoutBaselineLinkNone keeps what only the baseline needs
// out of the functions that never read it: its parser and JSON Schema
// validator, the S3 client and the wiring that joins them cost a notifier
// and a forwarder about a megabyte and their package initialisation
// (jsonschema compiles its meta-schemas at init) on every cold start.
func TestFunctionsWithoutBaselineLinkNone(t *testing.T) {
	banned := []string{
		"github.com/eksdrift/eksdrift/internal/baseline",
		"github.com/eksdrift/eksdrift/internal/wiring",
		"github.com/eksdrift/eksdrift/internal/s3",
		"github.com/santhosh-tekuri/jsonschema/v6",
		"github.com/aws/aws-sdk-go-v2/service/s3",
	}
	for _, fn := range []string{"notify", "securityhub"} {
		t.Run(fn, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-tags", "lambda.norpc", "-deps", "../../functions/"+fn).CombinedOutput()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, out)
			}
			deps := map[string]bool{}
			for _, p := range strings.Fields(string(out)) {
				deps[p] = true
			}
			if !deps["github.com/eksdrift/eksdrift/internal/awsconfig"] {
				t.Errorf("functions/%s does not link internal/awsconfig: it builds its AWS configuration elsewhere", fn)
			}
			for _, p := range banned {
				if deps[p] {
					t.Errorf("functions/%s links %s: got linked, want not (it reads no baseline)", fn, p)
				}
			}
		})
	}
}
