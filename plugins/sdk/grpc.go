package sdk

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/ocrbox/ocrbox/plugins/sdk/proto/ocrboxv1"
)

// EnginePlugin adapts an OCREngine to go-plugin's gRPC transport. Impl is set
// on the plugin side and nil on the host side.
type EnginePlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl OCREngine
}

// GRPCServer registers the engine on the plugin's gRPC server.
func (p *EnginePlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterOCREngineServer(s, &engineServer{impl: p.Impl})
	return nil
}

// GRPCClient returns an OCREngine that calls the plugin over conn.
func (p *EnginePlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return &EngineClient{c: pb.NewOCREngineClient(conn)}, nil
}

// AuthPlugin adapts an AuthProvider to go-plugin's gRPC transport.
type AuthPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl AuthProvider
}

// GRPCServer registers the provider on the plugin's gRPC server.
func (p *AuthPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterAuthProviderServer(s, &authServer{impl: p.Impl})
	return nil
}

// GRPCClient returns an AuthProvider that calls the plugin over conn.
func (p *AuthPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return &AuthClient{c: pb.NewAuthProviderClient(conn)}, nil
}

// PluginMap is the go-plugin map for both kinds; a process serves one of them.
func PluginMap() map[string]plugin.Plugin {
	return map[string]plugin.Plugin{
		KindEngine: &EnginePlugin{},
		KindAuth:   &AuthPlugin{},
	}
}

// ServeEngine serves impl as an engine plugin and returns when the host goes
// away.
func ServeEngine(impl OCREngine) {
	serve(map[string]plugin.Plugin{KindEngine: &EnginePlugin{Impl: impl}})
}

// ServeAuth serves impl as an auth provider plugin.
func ServeAuth(impl AuthProvider) {
	serve(map[string]plugin.Plugin{KindAuth: &AuthPlugin{Impl: impl}})
}

func serve(plugins map[string]plugin.Plugin) {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         plugins,
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			opts = append(opts, grpc.MaxRecvMsgSize(MaxMessageBytes), grpc.MaxSendMsgSize(MaxMessageBytes))
			return grpc.NewServer(opts...)
		},
	})
}

// DialOptions are the gRPC options the host must use to talk to plugins.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithDefaultCallOptions(
		grpc.MaxCallRecvMsgSize(MaxMessageBytes), grpc.MaxCallSendMsgSize(MaxMessageBytes))}
}

// toStatus turns a plugin-side error into a gRPC status with a stable code.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	code := codes.Internal
	switch {
	case errors.Is(err, ErrBadImage):
		code = codes.InvalidArgument
	case errors.Is(err, ErrUnsupported):
		code = codes.FailedPrecondition
	case errors.Is(err, ErrInvalidCredentials):
		code = codes.Unauthenticated
	case errors.Is(err, ErrUnavailable):
		code = codes.Unavailable
	case errors.Is(err, ErrNotImplemented):
		code = codes.Unimplemented
	case errors.Is(err, ErrUserNotFound):
		code = codes.NotFound
	case errors.Is(err, ErrMisconfigured):
		code = codes.PermissionDenied
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	}
	return status.Error(code, err.Error())
}

// fromStatus turns a gRPC error seen by the host back into an SDK error that
// errors.Is can match, keeping the plugin's message.
func fromStatus(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%w: %v", ctxErr, err)
	}
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	var kind error
	switch st.Code() {
	case codes.InvalidArgument:
		kind = ErrBadImage
	case codes.FailedPrecondition:
		kind = ErrUnsupported
	case codes.Unauthenticated:
		kind = ErrInvalidCredentials
	case codes.Unimplemented:
		kind = ErrNotImplemented
	case codes.NotFound:
		kind = ErrUserNotFound
	case codes.PermissionDenied:
		kind = ErrMisconfigured
	case codes.Canceled:
		kind = context.Canceled
	case codes.DeadlineExceeded:
		kind = context.DeadlineExceeded
	default:
		// Unavailable, Internal, Unknown: the process died or the backend
		// failed; the host may retry.
		kind = ErrUnavailable
	}
	return &RemoteError{Kind: kind, Code: st.Code(), Msg: st.Message()}
}

// RemoteError is an error returned by a plugin, as seen by the host.
type RemoteError struct {
	Kind error
	Code codes.Code
	Msg  string
}

func (e *RemoteError) Error() string { return e.Msg }

// Unwrap exposes the SDK sentinel for errors.Is.
func (e *RemoteError) Unwrap() error { return e.Kind }
