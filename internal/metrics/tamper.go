package metrics

// Names of the metrics of the tamper kind and the heartbeat (documented in
// docs/detector.md).
const (
	Tamper = "Tamper" // tamper findings: calls against eksdrift's own deployment
	// Heartbeats counts the heartbeats that made the whole path (rule,
	// detector, history, topic); the heartbeat alarm breaches when none
	// came within two periods.
	Heartbeats = "Heartbeats"
	// HeartbeatRoundTrip is the seconds from the heartbeat's scheduled
	// time to its recording by the detector.
	HeartbeatRoundTrip = "HeartbeatRoundTrip"
	// SweepsCompleted counts the sweeps that ran to their end; the sweep
	// alarm breaches when none did within two schedule periods.
	SweepsCompleted = "SweepsCompleted"
)
