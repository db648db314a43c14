package drift

import (
	"testing"
)

func TestPolicyDocumentEqual(t *testing.T) {
	const base = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`
	tests := []struct {
		name  string
		other string
		equal bool
	}{
		{"identical", base, true},
		{"pretty-printed", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:root\"},\n      \"Action\": \"sts:AssumeRole\"\n    }\n  ]\n}", true},
		{"key order", `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"}}],"Version":"2012-10-17"}`, true},
		{"statement object not list", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}}`, true},
		{"action as list", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root"]},"Action":["sts:AssumeRole"]}]}`, true},
		{"action case", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"STS:assumerole"}]}`, true},
		{"account id for root arn", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`, true},
		{"sid ignored", `{"Version":"2012-10-17","Statement":[{"Sid":"Trust","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`, true},
		{"percent-encoded", `%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A111122223333%3Aroot%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D`, true},
		{"duplicate statement", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`, true},
		{"other account", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`, false},
		{"deny", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`, false},
		{"extra action", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`, false},
		{"condition added", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`, false},
		{"other version", `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`, false},
	}
	want, err := ParsePolicyDocument(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePolicyDocument(tt.other)
			if err != nil {
				t.Fatal(err)
			}
			if eq := got.Equal(want); eq != tt.equal {
				t.Errorf("Equal: got %v, want %v\n got: %s\nwant: %s", eq, tt.equal, got, want)
			}
		})
	}
}

func TestPolicyDocumentConditionsAndPrincipals(t *testing.T) {
	a, _ := ParsePolicyDocument(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"AWS:PrincipalOrgID":"o-1"}}}]}`)
	b, _ := ParsePolicyDocument(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["sts:AssumeRole"],"Condition":{"StringEquals":{"aws:principalorgid":["o-1"]}}}]}`)
	if !a.Equal(b) {
		t.Errorf("got not equal, want equal:\n%s\n%s", a, b)
	}
	got := a.TrustedPrincipals()
	if len(got) != 1 || got[0] != "AWS:*" {
		t.Errorf("TrustedPrincipals: got %v, want [AWS:*]", got)
	}
}

func TestPolicyDocumentErrors(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"not json", `{"Version":`},
		{"not an object", `["Statement"]`},
		{"no statement", `{"Version":"2012-10-17"}`},
		{"statement scalar", `{"Version":"2012-10-17","Statement":"x"}`},
		{"unknown top-level key", `{"Version":"2012-10-17","Statement":[],"Statements":[]}`},
		{"unknown statement key", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Actions":"*"}]}`},
		{"string principal not star", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"arn:aws:iam::1:root","Action":"*"}]}`},
		{"bad percent encoding", `%7B%ZZ`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParsePolicyDocument(tt.doc); err == nil {
				t.Errorf("got no error, want one for %s", tt.doc)
			}
		})
	}
}

func TestGrantsAdmin(t *testing.T) {
	tests := []struct {
		doc  string
		want bool
	}{
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, true},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*:*","Resource":["*"]}}`, true},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`, false},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, false},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}`, false},
	}
	for _, tt := range tests {
		d, err := ParsePolicyDocument(tt.doc)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.GrantsAdmin(); got != tt.want {
			t.Errorf("GrantsAdmin(%s): got %v, want %v", tt.doc, got, tt.want)
		}
	}
}
