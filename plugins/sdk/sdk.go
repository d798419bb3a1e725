// Package sdk is the one contract between the ocrbox host and its plugins:
// the Go interfaces OCREngine and AuthProvider, the go-plugin handshake, the
// plugin map and the gRPC adapters. Plugin authors import only this package.
//
// A minimal engine plugin:
//
//	type myEngine struct{}
//
//	func (myEngine) Configure(ctx context.Context, s map[string]string) error { return nil }
//	func (myEngine) Info(ctx context.Context) (*sdk.EngineInfo, error) {
//		return &sdk.EngineInfo{Name: "mine", Version: "1.0", Languages: []string{"eng"},
//			Outputs: []string{"txt", "json"}}, nil
//	}
//	func (myEngine) Recognize(ctx context.Context, r *sdk.RecognizeRequest) (*sdk.RecognizeResponse, error) {
//		return &sdk.RecognizeResponse{Text: "..."}, nil
//	}
//
//	func main() { sdk.ServeEngine(myEngine{}) }
package sdk

import (
	"context"
	"errors"

	"github.com/hashicorp/go-plugin"

	pb "github.com/ocrbox/ocrbox/plugins/sdk/proto/ocrboxv1"
)

// ProtocolVersion is the version of the plugin protocol this SDK speaks. It
// travels in the go-plugin handshake; the host refuses other versions.
const ProtocolVersion = 1

// Plugin map keys: the kinds of plugin a process can serve.
const (
	KindEngine = "engine"
	KindAuth   = "auth"
)

// Handshake is shared by host and plugins. The cookie never changes: it only
// stops a plugin binary from being run by hand by mistake.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "OCRBOX_PLUGIN",
	MagicCookieValue: "9d3c1f7e-ocrbox-plugin-handshake-5b2a",
}

// MaxMessageBytes bounds one gRPC message each way. A page image or a
// one-page PDF can be far beyond gRPC's 4 MiB default.
const MaxMessageBytes = 256 << 20

// Message types are the protobuf ones; aliases keep plugin code short.
type (
	EngineInfo           = pb.EngineInfo
	RecognizeRequest     = pb.RecognizeRequest
	RecognizeResponse    = pb.RecognizeResponse
	Word                 = pb.Word
	ProviderInfo         = pb.ProviderInfo
	AuthenticateRequest  = pb.AuthenticateRequest
	AuthenticateResponse = pb.AuthenticateResponse
	UserInfo             = pb.UserInfo

	BeginBrowserLoginRequest    = pb.BeginBrowserLoginRequest
	CompleteBrowserLoginRequest = pb.CompleteBrowserLoginRequest
)

// OCREngine recognises text on one page at a time. Implementations must honour
// ctx cancellation where they can and must not keep state between pages other
// than loaded models.
type OCREngine interface {
	// Configure receives the plugin's settings; called after every start.
	Configure(ctx context.Context, settings map[string]string) error
	// Info describes the engine.
	Info(ctx context.Context) (*EngineInfo, error)
	// Recognize OCRs one page. Return an error wrapping ErrBadImage for an
	// image that cannot be read and ErrUnsupported for an unknown language;
	// both are permanent. Any other error is retried by the host.
	Recognize(ctx context.Context, req *RecognizeRequest) (*RecognizeResponse, error)
}

// AuthProvider checks credentials against an organisation's accounts.
type AuthProvider interface {
	Configure(ctx context.Context, settings map[string]string) error
	Info(ctx context.Context) (*ProviderInfo, error)
	// Authenticate returns ErrInvalidCredentials for a wrong username or
	// password and ErrUnavailable when the backend cannot be reached.
	Authenticate(ctx context.Context, username, password string) (*AuthenticateResponse, error)
	ValidateToken(ctx context.Context, token string) (*AuthenticateResponse, error)
	RefreshToken(ctx context.Context, refreshToken string) (*AuthenticateResponse, error)
	GetUserInfo(ctx context.Context, accessToken string) (*UserInfo, error)
	// LookupUser returns ErrUserNotFound when the account was deleted or
	// disabled since sign-in; the host then ends its sessions.
	LookupUser(ctx context.Context, subject string) (*UserInfo, error)
	// BeginBrowserLogin and CompleteBrowserLogin run an authorization-code
	// login with PKCE (OIDC); others return ErrNotImplemented.
	BeginBrowserLogin(ctx context.Context, req *BeginBrowserLoginRequest) (string, error)
	CompleteBrowserLogin(ctx context.Context, req *CompleteBrowserLoginRequest) (*AuthenticateResponse, error)
	// RevokeToken revokes a token at the provider; ErrNotImplemented when
	// the provider cannot.
	RevokeToken(ctx context.Context, token, tokenTypeHint string) error
}

// Errors with a fixed meaning across the process boundary; the adapters turn
// them into gRPC status codes and back.
var (
	ErrBadImage           = errors.New("image cannot be read")
	ErrUnsupported        = errors.New("unsupported")
	ErrInvalidCredentials = errors.New("invalid credentials")
	ErrUnavailable        = errors.New("backend unavailable")
	ErrNotImplemented     = errors.New("not implemented")
	ErrUserNotFound       = errors.New("user not found")
	// ErrMisconfigured: the backend refused this server itself (wrong
	// client secret, issuer or audience): no retry helps, and it is not an
	// outage either; the administrator must fix the configuration.
	ErrMisconfigured = errors.New("provider misconfigured")
)
