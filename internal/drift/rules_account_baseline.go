package drift

import (
	"fmt"
	"path"
	"strings"
)

// Writes to the account files beside the baseline (baselines/<account>.yaml,
// One file per account in docs/baseline.md) are as dangerous as writes to
// the shared file: a grant written into an account's file is in force for
// that account. They are judged like writes to the shared object, by what
// the merged baseline (the shared file with the account file, MergeAccount)
// grants after the write that it did not before. Any other object under
// baselines/ is reported too: eksdrift reads none, but it may be a mistyped
// account file or a probe.

// AccountBaselinesPrefix is the folder of the account files of the shared
// baseline object key: "baselines/" beside it (key baseline.yaml gives
// baselines/, prod/baseline.yaml gives prod/baselines/). wiring.AccountKey
// names the files in it; a test holds the two together.
func AccountBaselinesPrefix(key string) string {
	return path.Join(path.Dir(key), "baselines") + "/"
}

// AccountOfBaselineKey says whose account file objectKey is, for the shared
// baseline key: inBaselines is true for every key under
// AccountBaselinesPrefix(key); account is the 12-digit account for
// exactly <prefix><account>.yaml, and "" for any other key there (another
// name, a sub-folder, "..", a suffix), which problem describes.
func AccountOfBaselineKey(key, objectKey string) (account, problem string, inBaselines bool) {
	prefix := AccountBaselinesPrefix(key)
	if !strings.HasPrefix(objectKey, prefix) {
		return "", "", false
	}
	name := strings.TrimPrefix(objectKey, prefix)
	id, ok := strings.CutSuffix(name, ".yaml")
	switch {
	case !ok:
		return "", fmt.Sprintf("%q does not end in .yaml", name), true
	case !isAccountID(id):
		return "", fmt.Sprintf("%q is not a 12-digit account ID followed by .yaml", name), true
	}
	return id, "", true
}

// JudgeAccountBaselineWrite judges a write to account's own file (a change
// of KindBaseline on its object): v holds the merged baselines in force for
// the account before and after the write (the shared file with the
// account file's previous and new versions; for a deletion, Next is the
// shared file alone when the file is gone, or whatever version a deleted
// version left current). The severities are JudgeBaselineWrite's: critical
// when the write grants access or leaves the account with no usable
// baseline. Deleting an account file is at least high: what it declared
// becomes drift in that account, which a reverter undoes.
func JudgeAccountBaselineWrite(c Change, account string, v BaselineVersions) Finding {
	obj := baselineObjectOf(c)
	obj.Account = account
	c.Resource = obj
	judged := c
	deleted := c.Op == OpRemoved && v.Next != nil
	if deleted {
		judged.Op = OpModified // judged by what is in force after it
	}
	f := judgeBaselineWrite(judged, v, fmt.Sprintf("account %s's baseline file", account))
	if deleted {
		f.Change = OpRemoved
		f.Before, f.After = f.After, rawJSON(nil)
		f.Reason = fmt.Sprintf("account %s's baseline file %s was deleted (or a version of it): its changes are now judged against what remains in force; %s",
			account, obj.URI, f.Reason)
		if f.Severity.Rank() < SeverityHigh.Rank() {
			f.Severity, f.SeverityReason, f.Drift, f.Decision = SeverityHigh,
				"an account's baseline file was deleted: what it declared is drift from now on", true, DecisionAlert
		}
	}
	return f
}

// JudgeStrayBaselineObject reports a write to an object under the account
// files' folder that is no account file (problem says why): eksdrift reads
// no such object, so it grants nothing now, but nothing should write there
// except the account files' writers.
func JudgeStrayBaselineObject(c Change, problem string) Finding {
	obj := baselineObjectOf(c)
	obj.Unread = "not an account file: " + problem
	what := "written"
	if c.Op == OpRemoved {
		what = "deleted"
	}
	return baselineFinding(c, obj, SeverityMedium,
		"an unexpected object in the baseline folder: it is no account file, and eksdrift reads none such",
		fmt.Sprintf("the object %s was %s under the account files' folder, but %s (account files are <12-digit account>.yaml)", obj.URI, what, problem))
}
