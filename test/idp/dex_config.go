package idp

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// dexConfig is the subset of Dex's config file (cmd/dex/config.go) the
// tests use. Dex reads YAML through a YAML-to-JSON conversion, so JSON is
// a valid config file and needs no YAML library here.
type dexConfig struct {
	Issuer           string            `json:"issuer"`
	Storage          dexStorage        `json:"storage"`
	Web              dexWeb            `json:"web"`
	Logger           dexLogger         `json:"logger"`
	OAuth2           dexOAuth2         `json:"oauth2"`
	Expiry           dexExpiry         `json:"expiry"`
	EnablePasswordDB bool              `json:"enablePasswordDB"`
	StaticClients    []dexClientJSON   `json:"staticClients"`
	StaticPasswords  []dexPasswordJSON `json:"staticPasswords"`
}

type dexStorage struct {
	Type string `json:"type"`
}

type dexWeb struct {
	HTTP string `json:"http"`
}

type dexLogger struct {
	Level  string `json:"level"`
	Format string `json:"format"`
}

type dexOAuth2 struct {
	PasswordConnector  string   `json:"passwordConnector"`
	SkipApprovalScreen bool     `json:"skipApprovalScreen"`
	ResponseTypes      []string `json:"responseTypes"`
}

type dexExpiry struct {
	SigningKeys   string        `json:"signingKeys,omitempty"`
	IDTokens      string        `json:"idTokens"`
	RefreshTokens dexRefreshTTL `json:"refreshTokens"`
}

type dexRefreshTTL struct {
	ValidIfNotUsedFor string `json:"validIfNotUsedFor"`
	AbsoluteLifetime  string `json:"absoluteLifetime"`
}

type dexClientJSON struct {
	ID           string   `json:"id"`
	Secret       string   `json:"secret,omitempty"`
	Name         string   `json:"name"`
	RedirectURIs []string `json:"redirectURIs"`
	Public       bool     `json:"public,omitempty"`
}

type dexPasswordJSON struct {
	Email    string `json:"email"`
	Hash     string `json:"hash"`
	Username string `json:"username"`
	Name     string `json:"name,omitempty"`
	UserID   string `json:"userID"`
}

// buildConfig turns opts into Dex's config; passwords are bcrypt-hashed at
// Dex's minimum accepted cost (bcrypt.DefaultCost, 10).
func buildConfig(opts DexOptions, issuer, addr string) (*dexConfig, error) {
	cfg := &dexConfig{
		Issuer:  issuer,
		Storage: dexStorage{Type: "memory"},
		Web:     dexWeb{HTTP: addr},
		Logger:  dexLogger{Level: "info", Format: "text"},
		OAuth2: dexOAuth2{
			PasswordConnector:  "local",
			SkipApprovalScreen: true,
			ResponseTypes:      []string{"code"},
		},
		Expiry: dexExpiry{
			SigningKeys: keyRotation(opts.KeyRotation),
			IDTokens:    dexDuration(opts.IDTokenTTL),
			RefreshTokens: dexRefreshTTL{
				ValidIfNotUsedFor: dexDuration(opts.RefreshValidIfNotUsedFor),
				AbsoluteLifetime:  dexDuration(opts.RefreshAbsoluteLifetime),
			},
		},
		EnablePasswordDB: true,
	}
	clients := append([]DexClient{{ID: opts.ClientID, Secret: opts.ClientSecret, RedirectURIs: opts.RedirectURIs}}, opts.ExtraClients...)
	for _, c := range clients {
		if c.ID == "" {
			return nil, fmt.Errorf("dex config: a client has no ID")
		}
		cfg.StaticClients = append(cfg.StaticClients, dexClientJSON{
			ID: c.ID, Secret: c.Secret, Name: c.ID, RedirectURIs: c.RedirectURIs, Public: c.Public,
		})
	}
	for _, u := range opts.Users {
		if u.Email == "" || u.Password == "" {
			return nil, fmt.Errorf("dex config: user %q needs an email and a password", u.Username)
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(u.Password), bcrypt.DefaultCost)
		if err != nil {
			return nil, fmt.Errorf("dex config: hash password of %s: %w", u.Email, err)
		}
		cfg.StaticPasswords = append(cfg.StaticPasswords, dexPasswordJSON{
			Email: u.Email, Hash: string(hash), Username: u.Username, Name: u.Name, UserID: u.userID(),
		})
	}
	return cfg, nil
}

// writeConfig writes config.yaml (as JSON) into opts.Dir, readable only by
// its owner since it holds the client secret.
func writeConfig(opts DexOptions, issuer, addr string) (string, error) {
	cfg, err := buildConfig(opts, issuer, addr)
	if err != nil {
		return "", err
	}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return "", fmt.Errorf("dex config: %w", err)
	}
	path := filepath.Join(opts.Dir, "config.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", fmt.Errorf("dex config: %w", err)
	}
	return path, nil
}

func (u DexUser) userID() string {
	switch {
	case u.UserID != "":
		return u.UserID
	case u.Username != "":
		return u.Username
	}
	sum := sha256.Sum256([]byte(u.Email))
	return hex.EncodeToString(sum[:8])
}

// dexDuration formats d as Go duration text in whole seconds, which is
// what Dex parses.
func dexDuration(d time.Duration) string {
	return d.Round(time.Second).String()
}

// keyRotation is expiry.signingKeys: empty (Dex's default, 6h) unless set.
func keyRotation(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return dexDuration(max(d, time.Second))
}
