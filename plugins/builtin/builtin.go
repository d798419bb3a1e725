// Package builtin is the one registry of plugins compiled into the ocrbox
// binary. The host starts each as a subprocess by re-executing itself as
// `ocrbox plugin NAME`; go-plugin's handshake cookie makes that command
// refuse to run when started by hand.
package builtin

import (
	"sort"

	"github.com/ocrbox/ocrbox/plugins/httpauth"
	"github.com/ocrbox/ocrbox/plugins/ldapauth"
	"github.com/ocrbox/ocrbox/plugins/localauth"
	"github.com/ocrbox/ocrbox/plugins/oidc"
	"github.com/ocrbox/ocrbox/plugins/sdk"
	"github.com/ocrbox/ocrbox/plugins/tesseract"
)

// Plugin is one built-in plugin.
type Plugin struct {
	// Kind is sdk.KindEngine or sdk.KindAuth.
	Kind string
	// Serve runs the plugin's gRPC server until the host goes away.
	Serve func()
	// CheckSettings validates the plugin's settings as its Configure would,
	// in the host's process and without touching files or the network, so
	// the configuration can be checked before any plugin starts.
	CheckSettings func(map[string]string) error
}

// registry is fixed at compile time and never modified.
var registry = map[string]Plugin{
	"tesseract": {Kind: sdk.KindEngine, Serve: func() { sdk.ServeEngine(tesseract.New(sdk.Logger())) },
		CheckSettings: tesseract.CheckSettings},
	"local": {Kind: sdk.KindAuth, Serve: func() { sdk.ServeAuth(localauth.New()) },
		CheckSettings: localauth.CheckSettings},
	"http": {Kind: sdk.KindAuth, Serve: func() { sdk.ServeAuth(httpauth.New()) },
		CheckSettings: httpauth.CheckSettings},
	"ldap": {Kind: sdk.KindAuth, Serve: func() { sdk.ServeAuth(ldapauth.New()) },
		CheckSettings: ldapauth.CheckSettings},
	"oidc": {Kind: sdk.KindAuth, Serve: func() { sdk.ServeAuth(oidc.New()) },
		CheckSettings: oidc.CheckSettings},
}

// Lookup returns the built-in plugin called name.
func Lookup(name string) (Plugin, bool) {
	if p, ok := registry[name]; ok {
		return p, ok
	}
	p, ok := gplEngines[name]
	return p, ok
}

// All lists every built-in plugin's name, sorted.
func All() []string {
	all := append(Names(sdk.KindEngine), Names(sdk.KindAuth)...)
	sort.Strings(all)
	return all
}

// Names lists the built-in plugins of a kind, sorted.
func Names(kind string) []string {
	var out []string
	for _, m := range []map[string]Plugin{registry, gplEngines} {
		for n, p := range m {
			if p.Kind == kind {
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}
