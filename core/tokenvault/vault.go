// Package tokenvault encrypts provider tokens (access, ID and refresh
// tokens) at rest with AES-256-GCM. Each ciphertext names the key that
// sealed it, so keys can be rotated: configure the new key as primary and
// keep the old ones for decryption; sessions are re-sealed under the
// primary key at their next refresh.
//
// Format: version byte 1 | key id (first 4 bytes of SHA-256 of the key) |
// 12-byte random nonce | GCM ciphertext+tag. The caller's additional data
// (the session's token hash) binds a ciphertext to its record, so sealed
// tokens cannot be swapped between sessions.
package tokenvault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

const version = 1

// ErrUnknownKey means the ciphertext was sealed with a key that is not
// configured (any more).
var ErrUnknownKey = errors.New("sealed with an unknown key")

type keyID [4]byte

// Vault seals and opens tokens.
type Vault struct {
	primary keyID
	aeads   map[keyID]cipher.AEAD
}

// New builds a vault: primary seals and opens, old keys only open.
func New(primary []byte, old ...[]byte) (*Vault, error) {
	v := &Vault{aeads: map[keyID]cipher.AEAD{}}
	for i, k := range append([][]byte{primary}, old...) {
		if len(k) != 32 {
			return nil, fmt.Errorf("token key %d: need 32 bytes (AES-256), got %d", i, len(k))
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("token key %d: %w", i, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("token key %d: %w", i, err)
		}
		id := idOf(k)
		if i == 0 {
			v.primary = id
		}
		v.aeads[id] = aead
	}
	return v, nil
}

func idOf(key []byte) keyID {
	sum := sha256.Sum256(key)
	return keyID(sum[:4])
}

// Seal encrypts plain under the primary key, bound to aad.
func (v *Vault) Seal(plain, aad []byte) ([]byte, error) {
	aead := v.aeads[v.primary]
	out := make([]byte, 1+4+aead.NonceSize(), 1+4+aead.NonceSize()+len(plain)+aead.Overhead())
	out[0] = version
	copy(out[1:5], v.primary[:])
	if _, err := rand.Read(out[5:]); err != nil {
		return nil, fmt.Errorf("token nonce: %w", err)
	}
	return aead.Seal(out, out[5:], plain, aad), nil
}

// Open decrypts what Seal produced with the same aad.
func (v *Vault) Open(sealed, aad []byte) ([]byte, error) {
	if len(sealed) < 5 || sealed[0] != version {
		return nil, errors.New("open sealed token: bad format")
	}
	aead, ok := v.aeads[keyID(sealed[1:5])]
	if !ok {
		return nil, fmt.Errorf("open sealed token: %w", ErrUnknownKey)
	}
	ns := aead.NonceSize()
	if len(sealed) < 5+ns+aead.Overhead() {
		return nil, errors.New("open sealed token: truncated")
	}
	plain, err := aead.Open(nil, sealed[5:5+ns], sealed[5+ns:], aad)
	if err != nil {
		return nil, fmt.Errorf("open sealed token: %w", err)
	}
	return plain, nil
}

// Stale reports whether sealed was made with a key other than the primary,
// i.e. should be re-sealed after a rotation.
func (v *Vault) Stale(sealed []byte) bool {
	return len(sealed) >= 5 && keyID(sealed[1:5]) != v.primary
}

// ParseKey decodes a base64 (standard or URL) 32-byte key.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) == 32 {
			return k, nil
		}
	}
	return nil, errors.New("token key must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)")
}

// LoadOrCreateKeyFile reads the key in path, or generates one into a new
// 0600 file. A file readable by others is refused.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		st, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if st.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("token key file %s is readable by others (mode %o); chmod 600 it", path, st.Mode().Perm())
		}
		k, err := ParseKey(string(data))
		if err != nil {
			return nil, fmt.Errorf("token key file %s: %w", path, err)
		}
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read token key file: %w", err)
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create token key file: %w", err)
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	return k, f.Close()
}
