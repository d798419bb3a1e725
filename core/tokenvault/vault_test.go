package tokenvault

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func key(t *testing.T) []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

func TestSealOpenRotate(t *testing.T) {
	k1, k2 := key(t), key(t)
	v1, err := New(k1)
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte(`{"refresh_token":"r-123"}`)
	sealed, err := v1.Seal(secret, []byte("session-a"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("r-123")) {
		t.Fatal("plaintext visible in the sealed form")
	}
	if _, err := v1.Open(sealed, []byte("session-b")); err == nil {
		t.Fatal("a token sealed for one session opened for another")
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	if _, err := v1.Open(tampered, []byte("session-a")); err == nil {
		t.Fatal("tampered ciphertext opened")
	}
	// Rotation: k2 primary, k1 kept for reading.
	v2, _ := New(k2, k1)
	got, err := v2.Open(sealed, []byte("session-a"))
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("old key after rotation: %v", err)
	}
	if !v2.Stale(sealed) {
		t.Fatal("a ciphertext under the old key must be stale")
	}
	resealed, _ := v2.Seal(got, []byte("session-a"))
	if v2.Stale(resealed) {
		t.Fatal("re-sealed ciphertext still stale")
	}
	// Once the old key is dropped its ciphertexts are unreadable, clearly.
	v3, _ := New(k2)
	if _, err := v3.Open(sealed, []byte("session-a")); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("want ErrUnknownKey, got %v", err)
	}
	if _, err := New([]byte("short")); err == nil {
		t.Fatal("a short key must be refused")
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "token.key")
	k1, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %o", st.Mode().Perm())
	}
	k2, err := LoadOrCreateKeyFile(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("reload: %v", err)
	}
	os.Chmod(path, 0o644)
	if _, err := LoadOrCreateKeyFile(path); err == nil {
		t.Fatal("a world-readable key file must be refused")
	}
	if _, err := ParseKey("bm90IGEga2V5"); err == nil {
		t.Fatal("a short key must be refused")
	}
}
