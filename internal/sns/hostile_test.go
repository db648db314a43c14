package sns

import (
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
)

// TestHostileFieldsInEmail puts each hostile payload in each string field of
// a finding (and of an outcome's result) and checks what an e-mail
// subscriber gets: subjects that SNS takes (printable ASCII, one line,
// under 100 characters) and a body whose every line is printable, with no
// line of the payload's making.
func TestHostileFieldsInEmail(t *testing.T) {
	trust := critical()
	trust.Cluster, trust.Kind, trust.Resource, trust.Principal = "", drift.KindTrustPolicy, "developers", "arn:aws:iam::111122223333:role/developers"
	trust.After = []byte(`{"roleArn":"arn:aws:iam::111122223333:role/developers","document":{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:root"]},"Action":"sts:AssumeRole"}]}}`)
	trust.Expected = []byte(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/admin"]},"Action":"sts:AssumeRole"}]}`)
	for name, base := range map[string]drift.Finding{"critical": critical(), "low": low(), "trust-policy": trust} {
		for p, payload := range drifttest.HostilePayloads {
			for _, c := range drifttest.Hostile(base, payload) {
				t.Run(name+"/"+c.Field+"/"+strconv.Itoa(p), func(t *testing.T) {
					f := c.Finding
					checkSubject(t, "subject", subject(f))
					for _, r := range drifttest.HostileResult(drift.RevertOutcome{Result: drift.ResultReverted}, payload) {
						checkSubject(t, "outcome subject with result."+r.Field, outcomeSubject(drift.Outcome{Finding: f, Result: r.Result}))
					}
					for _, documents := range []bool{true, false} {
						checkBody(t, emailBody(f, documents))
					}
				})
			}
		}
	}
}

func checkSubject(t *testing.T, what, s string) {
	t.Helper()
	if len(s) == 0 || len(s) > maxSubject {
		t.Errorf("%s: got %d characters, want 1 to %d: %q", what, len(s), maxSubject, s)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			t.Errorf("%s: byte %d: got %q, want printable ASCII in %q", what, i, c, s)
			return
		}
	}
}

// checkBody fails t when a line of the body holds a control or invisible
// format character, or when the payload's own lines ("Bcc: ...") begin a
// line of the body.
func checkBody(t *testing.T, body string) {
	t.Helper()
	for n, l := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		for _, r := range l {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
				t.Errorf("line %d: got the character %U in %q", n+1, r, l)
				break
			}
		}
		if s := strings.TrimSpace(l); strings.HasPrefix(s, "Bcc:") || strings.HasPrefix(s, "gnp.exe") {
			t.Errorf("line %d: got a line of the payload's making: %q", n+1, l)
		}
	}
}

// TestEmailHostileRegion is the case of issue 12 in an e-mail: a region that
// is not an AWS region gives no regional console link, and shows on its
// line as text.
func TestEmailHostileRegion(t *testing.T) {
	f := critical()
	f.Region = "us-west-2<!channel> <https://evil.example|click>"
	body := emailBody(f, true)
	checkBody(t, body)
	for _, link := range []string{"/cloudtrailv2/", "/eks/clusters/", "evil.example|click>."} {
		if strings.Contains(body, link) {
			t.Errorf("got %q in the e-mail, want no regional console link:\n%s", link, body)
		}
	}
	if want := "account 111122223333, us-west-2<!channel> <https://evil.example|click>\n"; !strings.Contains(body, want) {
		t.Errorf("got no %q in:\n%s", want, body)
	}
}
