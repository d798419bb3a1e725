// Package sdktest serves a plugin implementation over gRPC inside the test
// process and hands back what the host would dispense: the SDK's client
// adapter talking to the SDK's server adapter. A plugin's tests run their
// cases once against the implementation and once through this, so
// everything the wire changes (error classes, empty fields, settings) is
// what the host sees.
//
//	func TestOverGRPC(t *testing.T) {
//		ap := sdktest.DispenseAuth(t, myauth.New())
//		if err := ap.Configure(t.Context(), settings); err != nil { … }
//	}
package sdktest

import (
	"testing"

	"github.com/hashicorp/go-plugin"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// DispenseAuth serves impl as an auth provider plugin and returns the host's
// side of it; both ends stop when t ends.
func DispenseAuth(t testing.TB, impl sdk.AuthProvider) sdk.AuthProvider {
	t.Helper()
	return dispense[sdk.AuthProvider](t, sdk.KindAuth, &sdk.AuthPlugin{Impl: impl})
}

// DispenseEngine serves impl as an OCR engine plugin and returns the host's
// side of it; both ends stop when t ends.
func DispenseEngine(t testing.TB, impl sdk.OCREngine) sdk.OCREngine {
	t.Helper()
	return dispense[sdk.OCREngine](t, sdk.KindEngine, &sdk.EnginePlugin{Impl: impl})
}

func dispense[T any](t testing.TB, kind string, p plugin.Plugin) T {
	t.Helper()
	client, server := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{kind: p})
	t.Cleanup(func() {
		// Server first: client.Close asks a live server to stop itself
		// from a handler goroutine, which races with a Stop from here.
		server.Stop()
		client.Close()
	})
	raw, err := client.Dispense(kind)
	if err != nil {
		t.Fatalf("dispense %s: %v", kind, err)
	}
	impl, ok := raw.(T)
	if !ok {
		var zero T
		t.Fatalf("dispensed %T, not a %T", raw, &zero)
	}
	return impl
}
