package localauth

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// testParams make argon2 nearly free so the suite stays fast; the format and
// code paths are the production ones.
var testParams = argonParams{memoryKiB: 64, time: 1, threads: 1, saltLen: 16, keyLen: 32}

var phcRE = regexp.MustCompile(`^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHashPasswordDefaultParams(t *testing.T) {
	h, err := hashPassword(defaultParams, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || !phcRE.MatchString(h) {
		t.Fatalf("hash %q is not the expected PHC form", h)
	}
	if ok, err := verifyPassword(h, "correct horse"); err != nil || !ok {
		t.Fatalf("verify right password = %v, %v", ok, err)
	}
}

func TestHashVerify(t *testing.T) {
	h, err := hashPassword(testParams, "s3cret-pass")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := hashPassword(testParams, "s3cret-pass")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt is not random")
	}
	tests := []struct {
		password string
		want     bool
	}{
		{"s3cret-pass", true},
		{"s3cret-pasS", false},
		{"s3cret-pass ", false},
		{"", false},
	}
	for _, tt := range tests {
		ok, err := verifyPassword(h, tt.password)
		if err != nil || ok != tt.want {
			t.Errorf("verify(%q) = %v, %v; want %v", tt.password, ok, err, tt.want)
		}
	}
}

func TestDummyHashIsWellFormed(t *testing.T) {
	for _, p := range []argonParams{testParams, defaultParams} {
		d := dummyHash(p)
		got, _, _, err := parsePHC(d)
		if err != nil {
			t.Fatalf("dummy hash does not parse: %v", err)
		}
		if got != p {
			t.Fatalf("dummy hash params = %+v, want %+v", got, p)
		}
	}
}

func TestParsePHCRejects(t *testing.T) {
	salt, key := "AAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	tests := map[string]string{
		"empty":          "",
		"bcrypt":         "$2a$10$abcdefghijklmnopqrstuuJ0v0hW9u1eP6mJ6Yk5bN1yq7cGq3Qy6",
		"argon2i":        "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"old version":    "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
		"missing key":    "$argon2id$v=19$m=64,t=1,p=1$" + salt,
		"bad params":     "$argon2id$v=19$m=64;t=1;p=1$" + salt + "$" + key,
		"dup param":      "$argon2id$v=19$m=64,m=64,t=1,p=1$" + salt + "$" + key,
		"unknown param":  "$argon2id$v=19$m=64,t=1,p=1,x=1$" + salt + "$" + key,
		"zero threads":   "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key,
		"huge memory":    "$argon2id$v=19$m=4000000000,t=1,p=1$" + salt + "$" + key,
		"huge time":      "$argon2id$v=19$m=64,t=1000,p=1$" + salt + "$" + key,
		"huge threads":   "$argon2id$v=19$m=64,t=1,p=255$" + salt + "$" + key,
		"short salt":     "$argon2id$v=19$m=64,t=1,p=1$AAAA$" + key,
		"short key":      "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$AAAA",
		"bad base64":     "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.Repeat("!", 43),
		"padded base64":  "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key,
		"negative param": "$argon2id$v=19$m=-64,t=1,p=1$" + salt + "$" + key,
	}
	for name, h := range tests {
		t.Run(name, func(t *testing.T) {
			if _, _, _, err := parsePHC(h); !errors.Is(err, errBadHash) {
				t.Fatalf("parsePHC = %v, want errBadHash", err)
			}
			if _, err := verifyPassword(h, "whatever1"); !errors.Is(err, errBadHash) {
				t.Fatalf("verifyPassword = %v, want errBadHash", err)
			}
		})
	}
}

// BenchmarkHash is the cost of one check (docs/benchmarks.md, "Sign-in
// burst"): the parameters of earlier releases and the current ones.
func BenchmarkHash(b *testing.B) {
	for _, c := range []struct {
		name string
		p    argonParams
	}{
		{"64MiB-t2", argonParams{memoryKiB: 64 * 1024, time: 2, threads: 1, saltLen: argonSaltLen, keyLen: argonKeyLen}},
		{"19MiB-t2", defaultParams},
	} {
		b.Run(c.name, func(b *testing.B) {
			h, err := hashPassword(c.p, "correct horse")
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if ok, err := verifyPassword(h, "correct horse"); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
}
