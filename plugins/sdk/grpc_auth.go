package sdk

import (
	"context"

	pb "github.com/ocrbox/ocrbox/plugins/sdk/proto/ocrboxv1"
)

type authServer struct {
	pb.UnimplementedAuthProviderServer
	impl AuthProvider
}

func (s *authServer) Configure(ctx context.Context, r *pb.ConfigureRequest) (*pb.ConfigureResponse, error) {
	return &pb.ConfigureResponse{}, toStatus(s.impl.Configure(ctx, r.GetSettings()))
}

func (s *authServer) Info(ctx context.Context, _ *pb.InfoRequest) (*pb.ProviderInfo, error) {
	info, err := s.impl.Info(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	info.ProtocolVersion = ProtocolVersion
	return info, nil
}

func (s *authServer) Authenticate(ctx context.Context, r *pb.AuthenticateRequest) (*pb.AuthenticateResponse, error) {
	resp, err := s.impl.Authenticate(ctx, r.GetUsername(), r.GetPassword())
	return resp, toStatus(err)
}

func (s *authServer) ValidateToken(ctx context.Context, r *pb.ValidateTokenRequest) (*pb.AuthenticateResponse, error) {
	resp, err := s.impl.ValidateToken(ctx, r.GetToken())
	return resp, toStatus(err)
}

func (s *authServer) RefreshToken(ctx context.Context, r *pb.RefreshTokenRequest) (*pb.AuthenticateResponse, error) {
	resp, err := s.impl.RefreshToken(ctx, r.GetRefreshToken())
	return resp, toStatus(err)
}

func (s *authServer) GetUserInfo(ctx context.Context, r *pb.GetUserInfoRequest) (*pb.UserInfo, error) {
	resp, err := s.impl.GetUserInfo(ctx, r.GetAccessToken())
	return resp, toStatus(err)
}

func (s *authServer) LookupUser(ctx context.Context, r *pb.LookupUserRequest) (*pb.UserInfo, error) {
	resp, err := s.impl.LookupUser(ctx, r.GetSubject())
	return resp, toStatus(err)
}

func (s *authServer) BeginBrowserLogin(ctx context.Context, r *pb.BeginBrowserLoginRequest) (*pb.BeginBrowserLoginResponse, error) {
	u, err := s.impl.BeginBrowserLogin(ctx, r)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.BeginBrowserLoginResponse{AuthUrl: u}, nil
}

func (s *authServer) CompleteBrowserLogin(ctx context.Context, r *pb.CompleteBrowserLoginRequest) (*pb.AuthenticateResponse, error) {
	resp, err := s.impl.CompleteBrowserLogin(ctx, r)
	return resp, toStatus(err)
}

func (s *authServer) RevokeToken(ctx context.Context, r *pb.RevokeTokenRequest) (*pb.RevokeTokenResponse, error) {
	return &pb.RevokeTokenResponse{}, toStatus(s.impl.RevokeToken(ctx, r.GetToken(), r.GetTokenTypeHint()))
}

// AuthClient is the host's view of an auth provider plugin process.
type AuthClient struct {
	c pb.AuthProviderClient
}

// Configure implements AuthProvider.
func (c *AuthClient) Configure(ctx context.Context, settings map[string]string) error {
	_, err := c.c.Configure(ctx, &pb.ConfigureRequest{Settings: settings})
	return fromStatus(ctx, err)
}

// Info implements AuthProvider.
func (c *AuthClient) Info(ctx context.Context) (*ProviderInfo, error) {
	info, err := c.c.Info(ctx, &pb.InfoRequest{})
	return info, fromStatus(ctx, err)
}

// Authenticate implements AuthProvider.
func (c *AuthClient) Authenticate(ctx context.Context, username, password string) (*AuthenticateResponse, error) {
	resp, err := c.c.Authenticate(ctx, &pb.AuthenticateRequest{Username: username, Password: password})
	return resp, fromStatus(ctx, err)
}

// ValidateToken implements AuthProvider.
func (c *AuthClient) ValidateToken(ctx context.Context, token string) (*AuthenticateResponse, error) {
	resp, err := c.c.ValidateToken(ctx, &pb.ValidateTokenRequest{Token: token})
	return resp, fromStatus(ctx, err)
}

// RefreshToken implements AuthProvider.
func (c *AuthClient) RefreshToken(ctx context.Context, refreshToken string) (*AuthenticateResponse, error) {
	resp, err := c.c.RefreshToken(ctx, &pb.RefreshTokenRequest{RefreshToken: refreshToken})
	return resp, fromStatus(ctx, err)
}

// GetUserInfo implements AuthProvider.
func (c *AuthClient) GetUserInfo(ctx context.Context, accessToken string) (*UserInfo, error) {
	resp, err := c.c.GetUserInfo(ctx, &pb.GetUserInfoRequest{AccessToken: accessToken})
	return resp, fromStatus(ctx, err)
}

// LookupUser implements AuthProvider.
func (c *AuthClient) LookupUser(ctx context.Context, subject string) (*UserInfo, error) {
	resp, err := c.c.LookupUser(ctx, &pb.LookupUserRequest{Subject: subject})
	return resp, fromStatus(ctx, err)
}

// BeginBrowserLogin implements AuthProvider.
func (c *AuthClient) BeginBrowserLogin(ctx context.Context, r *BeginBrowserLoginRequest) (string, error) {
	resp, err := c.c.BeginBrowserLogin(ctx, r)
	if err != nil {
		return "", fromStatus(ctx, err)
	}
	return resp.GetAuthUrl(), nil
}

// CompleteBrowserLogin implements AuthProvider.
func (c *AuthClient) CompleteBrowserLogin(ctx context.Context, r *CompleteBrowserLoginRequest) (*AuthenticateResponse, error) {
	resp, err := c.c.CompleteBrowserLogin(ctx, r)
	return resp, fromStatus(ctx, err)
}

// RevokeToken implements AuthProvider.
func (c *AuthClient) RevokeToken(ctx context.Context, token, hint string) error {
	_, err := c.c.RevokeToken(ctx, &pb.RevokeTokenRequest{Token: token, TokenTypeHint: hint})
	return fromStatus(ctx, err)
}

var _ AuthProvider = (*AuthClient)(nil)
