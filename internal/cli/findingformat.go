package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/ocsf"
	"github.com/eksdrift/eksdrift/internal/securityhub"
)

// findingFormats are the --output values of history and replay that print
// a finding in a security format, one JSON object a line: the AWS Security
// Finding Format that Security Hub imports, and OCSF Detection Findings.
var findingFormats = map[string]func(io.Writer) findingWriter{
	"asff": func(w io.Writer) findingWriter { return &asffWriter{enc: json.NewEncoder(w)} },
	"ocsf": func(w io.Writer) findingWriter { return &ocsfWriter{enc: json.NewEncoder(w)} },
}

// asffWriter prints ASFF for the product of each finding's own account and
// region (the custom integration a forwarder there would import into),
// updated at the finding's last event or revert, so that the output of one
// history is the same each time.
type asffWriter struct{ enc *json.Encoder }

func (a *asffWriter) write(f *drift.Finding) error {
	b, err := securityhub.JSON(securityhub.Finding(securityhub.ProductOf(*f), *f, lastChange(f)))
	if err != nil {
		return fmt.Errorf("asff output: finding %s: %w", f.ID(), err)
	}
	return a.enc.Encode(json.RawMessage(b))
}

type ocsfWriter struct{ enc *json.Encoder }

func (o *ocsfWriter) write(f *drift.Finding) error {
	return o.enc.Encode(ocsf.Finding(*f, lastChange(f)))
}

// lastChange is when the finding last changed: its revert, else its event.
func lastChange(f *drift.Finding) time.Time {
	if o := f.Outcome; o != nil && o.At.After(f.EventTime) {
		return o.At
	}
	return f.EventTime
}
