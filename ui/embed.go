// Package ui embeds the browser app built into ui/dist, so the one ocrbox
// binary serves it. The React app arrives with the UI issue; for now dist
// holds a small placeholder page.
package ui

import (
	"embed"
	"io/fs"
)

//go:embed dist
var dist embed.FS

// FS returns the built app rooted at dist/.
func FS() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees dist exists
	}
	return sub
}
