// Package cluster hands OCR pages from `ocrbox serve` (the coordinator) to
// `ocrbox worker` nodes on other machines over NATS JetStream.
//
// The full description (what goes over the wire, failure behaviour) is
// being written; see the issue 16 notes in docs/scaling.md.
package cluster
