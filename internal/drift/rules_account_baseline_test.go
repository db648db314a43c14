package drift

import "testing"

// Every key under the account files' folder is in it; only exactly
// <12-digit account>.yaml names an account, so no key an attacker writes
// there goes unreported and none is read as another account's file.
func TestAccountOfBaselineKey(t *testing.T) {
	tests := []struct {
		name, key, object string
		account           string
		in                bool
	}{
		{"an account file", "baseline.yaml", "baselines/111122223333.yaml", "111122223333", true},
		{"an account file in a folder", "prod/baseline.yaml", "prod/baselines/111122223333.yaml", "111122223333", true},
		{"the shared key", "baseline.yaml", "baseline.yaml", "", false},
		{"another folder's account file", "prod/baseline.yaml", "baselines/111122223333.yaml", "", false},
		{"a folder named alike", "baseline.yaml", "baselinesx/111122223333.yaml", "", false},
		{"too short", "baseline.yaml", "baselines/12345.yaml", "", true},
		{"a backup", "baseline.yaml", "baselines/111122223333.yaml.bak", "", true},
		{"dot-dot", "baseline.yaml", "baselines/../x", "", true},
		{"dot-dot to an account name", "baseline.yaml", "baselines/../111122223333.yaml", "", true},
		{"a sub-folder", "baseline.yaml", "baselines/a/111122223333.yaml", "", true},
		{"the folder itself", "baseline.yaml", "baselines/", "", true},
		{"letters", "baseline.yaml", "baselines/11112222333a.yaml", "", true},
		{"upper-case suffix", "baseline.yaml", "baselines/111122223333.YAML", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			account, problem, in := AccountOfBaselineKey(tt.key, tt.object)
			if account != tt.account || in != tt.in || (in && account == "") != (problem != "") {
				t.Errorf("got %q %v (%q), want %q %v", account, in, problem, tt.account, tt.in)
			}
		})
	}
}
