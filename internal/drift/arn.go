package drift

import (
	"net/url"
	"strings"
)

// ARN is the parsed form of an Amazon Resource Name.
type ARN struct {
	Partition, Service, Region, Account, Resource string
}

// ParseARN splits an ARN into its parts; ok is false when s is not an ARN.
func ParseARN(s string) (ARN, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ARN{}, false
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}, true
}

// String gives the ARN back.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// UnescapeARN undoes the URL encoding that EKS path parameters carry in
// CloudTrail ("arn%3Aaws%3Aiam%3A%3A...%3Arole%2Fname"). A plain ARN, or a
// string that is not valid percent-encoding, is returned unchanged.
func UnescapeARN(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	u, err := url.PathUnescape(s)
	if err != nil {
		return s
	}
	return u
}

// CanonicalPrincipal gives the IAM identity behind a caller's ARN, as a
// baseline names it: an STS assumed-role session becomes its role, an STS
// federated user its account. issuerARN, when known (CloudTrail's
// sessionContext.sessionIssuer.arn), is preferred because the assumed-role
// ARN has lost the role's path; the session name is returned apart.
func CanonicalPrincipal(arn, issuerARN string) (principal, session string) {
	a, ok := ParseARN(arn)
	if !ok {
		return arn, ""
	}
	if a.Service != "sts" {
		return arn, ""
	}
	switch {
	case strings.HasPrefix(a.Resource, "assumed-role/"):
		rest := strings.TrimPrefix(a.Resource, "assumed-role/")
		role, sess, _ := strings.Cut(rest, "/")
		if issuerARN != "" {
			return issuerARN, sess
		}
		return ARN{Partition: a.Partition, Service: "iam", Account: a.Account, Resource: "role/" + role}.String(), sess
	case strings.HasPrefix(a.Resource, "federated-user/"):
		if issuerARN != "" {
			return issuerARN, strings.TrimPrefix(a.Resource, "federated-user/")
		}
		return ARN{Partition: a.Partition, Service: "iam", Account: a.Account, Resource: "root"}.String(), strings.TrimPrefix(a.Resource, "federated-user/")
	}
	return arn, ""
}

// RoleName gives the name of an IAM role ARN without its path, and false
// when arn is not a role ARN.
func RoleName(arn string) (string, bool) {
	a, ok := ParseARN(arn)
	if !ok || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
		return "", false
	}
	r := a.Resource
	return r[strings.LastIndexByte(r, '/')+1:], true
}

// UserName gives the name of an IAM user ARN without its path, and false
// when arn is not a user ARN.
func UserName(arn string) (string, bool) {
	a, ok := ParseARN(arn)
	if !ok || a.Service != "iam" || !strings.HasPrefix(a.Resource, "user/") {
		return "", false
	}
	r := a.Resource
	return r[strings.LastIndexByte(r, '/')+1:], true
}

// IdentityKey gives the identity an IAM principal ARN names, as IAM
// compares identities: the account, the kind (role or user) and the name
// folded to lower case, with the path left out. IAM role and user names
// are unique per account whatever their case or path, so
// role/Break-Glass, role/ops/break-glass and an assumed-role session of
// break-glass are one identity. Anything else (a root ARN, a service, a
// string that is not an ARN) is its own key, compared byte for byte.
func IdentityKey(arn string) string {
	if p, _ := CanonicalPrincipal(arn, ""); p != "" {
		arn = p
	}
	a, ok := ParseARN(arn)
	if !ok || a.Service != "iam" {
		return arn
	}
	kind, rest, found := strings.Cut(a.Resource, "/")
	if !found || (kind != "role" && kind != "user") {
		return arn
	}
	name := rest[strings.LastIndexByte(rest, '/')+1:]
	return a.Partition + ":" + a.Account + ":" + kind + ":" + strings.ToLower(name)
}

// AccountOf gives the account ID of an ARN, a bare 12-digit account ID, or
// "" when neither.
func AccountOf(s string) string {
	if isAccountID(s) {
		return s
	}
	if a, ok := ParseARN(s); ok {
		return a.Account
	}
	return ""
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
