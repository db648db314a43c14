package chatbot

import (
	"go/build"
	"strings"
	"testing"
)

// TestFormatsOnly keeps this package a formatter: the notifier publishes
// what it makes through internal/sns, eksdrift's one SNS client, so no AWS
// SDK package may be imported here (tests aside).
func TestFormatsOnly(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if strings.HasPrefix(imp, "github.com/aws/") {
			t.Errorf("got the import %s, want no AWS SDK package: publish through internal/sns", imp)
		}
	}
	if len(pkg.GoFiles) == 0 {
		t.Error("got no Go files, want the package's")
	}
}
