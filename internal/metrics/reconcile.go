package metrics

// Names of the metrics of the reconcile function (functions/reconcile),
// besides the detector's, which its catch-up also emits for the events it
// feeds through the detector (documented in docs/scanning.md).
const (
	ClustersScanned = "ClustersScanned" // clusters the sweep read
	RolesScanned    = "RolesScanned"    // roles the sweep read
	UsersScanned    = "UsersScanned"    // declared IAM users the sweep read
	ScanErrors      = "ScanErrors"      // clusters, roles or users that could not be read
	SweepDrift      = "SweepDrift"      // drift the sweep recorded: no finding was open for it
	SweepOpen       = "SweepOpen"       // drift the sweep saw that was already open
	SweepResolved   = "SweepResolved"   // open drift the sweep found fixed outside eksdrift
	SweepUnread     = "SweepUnread"     // what the fan-out could not read (credentials, a cluster, a role, a user), one per account and region
	SweepRemaining  = "SweepRemaining"  // targets (account and region) a fan-out left to the next invocation: out of time
	CatchUpEvents   = "CatchUpEvents"   // watched events LookupEvents returned
	CatchUpKnown    = "CatchUpKnown"    // of which the history already had
	CatchUpNew      = "CatchUpNew"      // of which were fed through the detector
	CatchUpWindow   = "CatchUpWindow"   // seconds the catch-up looked back
	ReconcileTime   = "ReconcileTime"   // milliseconds the run took
	Seconds         = "Seconds"         // a unit
)
