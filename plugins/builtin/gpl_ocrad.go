//go:build !noocrad

package builtin

import (
	"github.com/ocrbox/ocrbox/plugins/ocrad"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// gplEngines are the built-in engines whose libraries are GPL (GNU Ocrad,
// GPL-2.0-or-later): a binary that links them must be distributed under
// GPL terms. Build with -tags noocrad to leave them out (gpl_none.go).
var gplEngines = map[string]Plugin{
	"ocrad": {Kind: sdk.KindEngine, Serve: func() { sdk.ServeEngine(ocrad.New(sdk.Logger())) },
		CheckSettings: ocrad.CheckSettings},
}
