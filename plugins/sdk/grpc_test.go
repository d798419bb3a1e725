package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ocrbox/ocrbox/plugins/sdk"
	"github.com/ocrbox/ocrbox/plugins/sdk/sdktest"
)

// errEngine fails Recognize with a chosen error so the mapping across the
// real gRPC adapters can be checked.
type errEngine struct{ err error }

func (e errEngine) Configure(context.Context, map[string]string) error { return nil }
func (e errEngine) Info(context.Context) (*sdk.EngineInfo, error) {
	return &sdk.EngineInfo{Name: "err", Languages: []string{"eng"}}, nil
}
func (e errEngine) Recognize(_ context.Context, r *sdk.RecognizeRequest) (*sdk.RecognizeResponse, error) {
	if e.err != nil {
		return nil, e.err
	}
	return &sdk.RecognizeResponse{Text: fmt.Sprintf("%d bytes", len(r.GetImage()))}, nil
}

func TestErrorMappingAcrossGRPC(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"bad image", fmt.Errorf("decode: %w", sdk.ErrBadImage), sdk.ErrBadImage},
		{"unsupported language", fmt.Errorf("lang xxx: %w", sdk.ErrUnsupported), sdk.ErrUnsupported},
		{"credentials", sdk.ErrInvalidCredentials, sdk.ErrInvalidCredentials},
		{"unavailable", sdk.ErrUnavailable, sdk.ErrUnavailable},
		{"not implemented", sdk.ErrNotImplemented, sdk.ErrNotImplemented},
		{"user not found", sdk.ErrUserNotFound, sdk.ErrUserNotFound},
		{"misconfigured", fmt.Errorf("token endpoint: %w: invalid_client", sdk.ErrMisconfigured), sdk.ErrMisconfigured},
		{"anything else is transient", errors.New("boom"), sdk.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := sdktest.DispenseEngine(t, errEngine{err: tt.err})
			_, err := eng.Recognize(context.Background(), &sdk.RecognizeRequest{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want errors.Is %v", err, tt.want)
			}
			if err.Error() == "" {
				t.Fatal("the plugin's message must survive")
			}
		})
	}
}

func TestInfoCarriesProtocolVersion(t *testing.T) {
	eng := sdktest.DispenseEngine(t, errEngine{})
	info, err := eng.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.GetProtocolVersion() != sdk.ProtocolVersion {
		t.Fatalf("protocol version %d, want %d", info.GetProtocolVersion(), sdk.ProtocolVersion)
	}
}
