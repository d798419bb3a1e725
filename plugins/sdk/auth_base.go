package sdk

import (
	"context"
	"fmt"
)

// UnimplementedAuth can be embedded in an AuthProvider to answer
// ErrNotImplemented for the optional methods a provider does not support.
type UnimplementedAuth struct{}

// ValidateToken answers ErrNotImplemented.
func (UnimplementedAuth) ValidateToken(context.Context, string) (*AuthenticateResponse, error) {
	return nil, fmt.Errorf("validate token: %w", ErrNotImplemented)
}

// RefreshToken answers ErrNotImplemented.
func (UnimplementedAuth) RefreshToken(context.Context, string) (*AuthenticateResponse, error) {
	return nil, fmt.Errorf("refresh token: %w", ErrNotImplemented)
}

// GetUserInfo answers ErrNotImplemented.
func (UnimplementedAuth) GetUserInfo(context.Context, string) (*UserInfo, error) {
	return nil, fmt.Errorf("user info: %w", ErrNotImplemented)
}

// LookupUser answers ErrNotImplemented; the host then keeps sessions until
// they expire.
func (UnimplementedAuth) LookupUser(context.Context, string) (*UserInfo, error) {
	return nil, fmt.Errorf("look up user: %w", ErrNotImplemented)
}

// BeginBrowserLogin answers ErrNotImplemented.
func (UnimplementedAuth) BeginBrowserLogin(context.Context, *BeginBrowserLoginRequest) (string, error) {
	return "", fmt.Errorf("browser login: %w", ErrNotImplemented)
}

// CompleteBrowserLogin answers ErrNotImplemented.
func (UnimplementedAuth) CompleteBrowserLogin(context.Context, *CompleteBrowserLoginRequest) (*AuthenticateResponse, error) {
	return nil, fmt.Errorf("browser login: %w", ErrNotImplemented)
}

// RevokeToken answers ErrNotImplemented.
func (UnimplementedAuth) RevokeToken(context.Context, string, string) error {
	return fmt.Errorf("revoke token: %w", ErrNotImplemented)
}
