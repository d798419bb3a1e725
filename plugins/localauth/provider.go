package localauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Name is the provider's name in config and in ProviderInfo.
const Name = "local"

// Version is reported in ProviderInfo.
const Version = "1.0.0"

// SettingUsersFile is the Configure key holding the users file's path.
const SettingUsersFile = "users_file"

// SettingMaxConcurrentHashes is the Configure key bounding how many
// passwords are hashed at once; 0 or absent means one per CPU (GOMAXPROCS).
const SettingMaxConcurrentHashes = "max_concurrent_hashes"

// Provider is the "local" sdk.AuthProvider: it checks passwords against a
// users file and issues no tokens of its own (ocrbox issues the session).
// Serve it with sdk.ServeAuth(localauth.New()).
type Provider struct {
	sdk.UnimplementedAuth             // no tokens, no browser flow
	params                argonParams // for the UserFile built by Configure
	log                   *slog.Logger
	users                 atomic.Pointer[UserFile]
}

// New returns an unconfigured Provider; Configure must be called before
// Authenticate.
func New() *Provider {
	return &Provider{params: defaultParams, log: sdk.Logger()}
}

// settings are the Configure keys, decoded by sdk.DecodeSettings.
type settings struct {
	UsersFile           string `setting:"users_file"`
	MaxConcurrentHashes int    `setting:"max_concurrent_hashes"`
}

// CheckSettings validates a [plugins.local] table (with users_file filled
// in by the host) as Configure would, without opening the file.
func CheckSettings(m map[string]string) error {
	_, err := decodeSettings(m)
	return err
}

func decodeSettings(m map[string]string) (settings, error) {
	var s settings
	if err := sdk.DecodeSettings(m, &s); err != nil {
		return settings{}, err
	}
	if s.UsersFile == "" {
		return settings{}, fmt.Errorf("setting %q is required", SettingUsersFile)
	}
	if s.MaxConcurrentHashes < 0 {
		return settings{}, fmt.Errorf("setting %q must be ≥ 0 (0: one per CPU)", SettingMaxConcurrentHashes)
	}
	return s, nil
}

// Configure reads the settings: SettingUsersFile (required) is the users
// file's path; SettingMaxConcurrentHashes how many passwords are checked at
// once, the others waiting in line (default one per CPU: each check is a
// core's work for ~25 ms and 19 MiB of memory). A missing file is fine (no
// accounts yet, `ocrbox users add` creates it); an unreadable or corrupt one
// fails here, early.
func (p *Provider) Configure(ctx context.Context, m map[string]string) error {
	s, err := decodeSettings(m)
	if err != nil {
		return fmt.Errorf("configure %s auth: %w", Name, err)
	}
	uf := newUserFile(s.UsersFile, p.params, s.MaxConcurrentHashes, p.log)
	if _, err := uf.List(ctx); err != nil {
		return fmt.Errorf("configure %s auth: %w", Name, err)
	}
	p.users.Store(uf)
	return nil
}

// Info describes the provider: password sign-in, no refresh tokens.
func (p *Provider) Info(context.Context) (*sdk.ProviderInfo, error) {
	return &sdk.ProviderInfo{Name: Name, Version: Version, SupportsPassword: true, SupportsRefresh: false}, nil
}

// Authenticate checks username (an email) and password. Wrong password,
// unknown or disabled account: an error wrapping sdk.ErrInvalidCredentials.
func (p *Provider) Authenticate(ctx context.Context, username, password string) (*sdk.AuthenticateResponse, error) {
	uf := p.users.Load()
	if uf == nil {
		return nil, errNotConfigured
	}
	u, err := uf.Verify(ctx, username, password)
	if err != nil {
		return nil, err
	}
	return &sdk.AuthenticateResponse{User: &sdk.UserInfo{Subject: u.Email, Email: u.Email, Name: u.Name}}, nil
}

// LookupUser reports whether the account still exists and is enabled.
func (p *Provider) LookupUser(ctx context.Context, subject string) (*sdk.UserInfo, error) {
	uf := p.users.Load()
	if uf == nil {
		return nil, errNotConfigured
	}
	u, err := uf.Lookup(ctx, subject)
	if err != nil {
		return nil, err
	}
	return &sdk.UserInfo{Subject: u.Email, Email: u.Email, Name: u.Name}, nil
}

var errNotConfigured = errors.New(Name + " auth: not configured")

var _ sdk.AuthProvider = (*Provider)(nil)
