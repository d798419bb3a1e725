// Package ui embeds the browser app — React and TypeScript in ui/src, built
// by Vite into ui/dist — so the one ocrbox binary serves it. ui/dist is
// committed: building the server needs Go only, not Node. After changing
// ui/src, rebuild it (`npm run build` in ui/) and commit dist with it;
// scripts/test-ui fails on a stale one.
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
