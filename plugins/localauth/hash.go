package localauth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters for new hashes: OWASP's first recommended
// configuration (Password Storage Cheat Sheet: m=19 MiB, t=2, p=1). One hash
// costs 19 MiB and ~25 ms of one core (64 MiB: ~100 ms), so a whole office can
// sign in at once (docs/security.md, "Password hashing"). Existing hashes keep
// the parameters they were made with (they are part of the PHC string) and
// are re-hashed with these at the next successful sign-in.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonSaltLen   = 16
	argonKeyLen    = 32
)

// Bounds accepted when parsing a stored hash, so a hand-edited users file
// cannot make a login allocate gigabytes or spin for minutes.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxTime      = 16
	maxThreads   = 16
	minSaltLen   = 8
	minKeyLen    = 16
	maxPartLen   = 64
)

// argonParams are the cost parameters of one argon2id hash.
type argonParams struct {
	memoryKiB uint32
	time      uint32
	threads   uint8
	saltLen   uint32
	keyLen    uint32
}

// defaultParams are used for new hashes in production.
var defaultParams = argonParams{
	memoryKiB: argonMemoryKiB,
	time:      argonTime,
	threads:   argonThreads,
	saltLen:   argonSaltLen,
	keyLen:    argonKeyLen,
}

var errBadHash = errors.New("malformed argon2id hash")

// b64 is the PHC string encoding: standard alphabet, no padding.
var b64 = base64.RawStdEncoding

// hashPassword returns the PHC string of password under p:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>.
func hashPassword(p argonParams, password string) (string, error) {
	salt := make([]byte, p.saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read random salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.time, p.memoryKiB, p.threads, p.keyLen)
	return encodePHC(p, salt, key), nil
}

func encodePHC(p argonParams, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memoryKiB, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// dummyHash is a well-formed hash under p that no password matches in
// practice. Checking a password against it costs exactly what checking a real
// user's password costs, which hides whether an account exists.
func dummyHash(p argonParams) string {
	return encodePHC(p, make([]byte, p.saltLen), make([]byte, p.keyLen))
}

// verifyPassword reports whether password matches the PHC string encoded,
// comparing in constant time. The error is for malformed hashes only; it never
// contains the hash.
func verifyPassword(encoded, password string) (bool, error) {
	p, salt, key, err := parsePHC(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.time, p.memoryKiB, p.threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// needsRehash reports whether encoded, a hash that parsed when the file was
// read, was made with other parameters than p (older or hand-tuned costs,
// another salt or key length).
func needsRehash(encoded string, p argonParams) bool {
	got, _, _, err := parsePHC(encoded)
	return err == nil && got != p
}

// parsePHC splits an argon2id PHC string and checks its parameters are within
// sane bounds.
func parsePHC(encoded string) (argonParams, []byte, []byte, error) {
	var p argonParams
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("%w: not an argon2id PHC string", errBadHash)
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("%w: unsupported version", errBadHash)
	}
	seen := map[string]bool{}
	for kv := range strings.SplitSeq(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || seen[k] {
			return p, nil, nil, fmt.Errorf("%w: bad parameters", errBadHash)
		}
		seen[k] = true
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return p, nil, nil, fmt.Errorf("%w: bad parameter %s", errBadHash, k)
		}
		switch k {
		case "m":
			p.memoryKiB = uint32(n)
		case "t":
			p.time = uint32(n)
		case "p":
			if n > maxThreads {
				return p, nil, nil, fmt.Errorf("%w: parameter p out of range", errBadHash)
			}
			p.threads = uint8(n)
		default:
			return p, nil, nil, fmt.Errorf("%w: unknown parameter %s", errBadHash, k)
		}
	}
	switch {
	case p.threads < 1 || p.threads > maxThreads:
		return p, nil, nil, fmt.Errorf("%w: parameter p out of range", errBadHash)
	case p.time < 1 || p.time > maxTime:
		return p, nil, nil, fmt.Errorf("%w: parameter t out of range", errBadHash)
	case p.memoryKiB < 8*uint32(p.threads) || p.memoryKiB > maxMemoryKiB:
		return p, nil, nil, fmt.Errorf("%w: parameter m out of range", errBadHash)
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < minSaltLen || len(salt) > maxPartLen {
		return p, nil, nil, fmt.Errorf("%w: bad salt", errBadHash)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < minKeyLen || len(key) > maxPartLen {
		return p, nil, nil, fmt.Errorf("%w: bad key", errBadHash)
	}
	p.saltLen, p.keyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}
