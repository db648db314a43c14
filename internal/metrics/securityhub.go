package metrics

// Metrics of the Security Hub forwarder (functions/securityhub).
const (
	SecurityHubImported = "SecurityHubImported" // findings and outcomes imported (one per Id a batch)
	SecurityHubSkipped  = "SecurityHubSkipped"  // eksdrift's own remediations, not imported
)
