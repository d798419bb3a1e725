package cluster

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testPKI writes a CA and a certificate it signed for each name (PEM
// files in dir): name.pem and name.key; ca.pem.
func testPKI(t *testing.T, dir string, names ...string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, der []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("ca.pem", "CERTIFICATE", caDER)
	for i, n := range names {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		c := &x509.Certificate{SerialNumber: big.NewInt(int64(i + 2)), Subject: pkix.Name{CommonName: n},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
		der, err := x509.CreateCertificate(rand.Reader, c, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, _ := x509.MarshalECPrivateKey(key)
		write(n+".pem", "CERTIFICATE", der)
		write(n+".key", "EC PRIVATE KEY", kder)
	}
}

// Node links over TLS with client certificates: a node with a certificate
// of the CA works; one without is refused.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	testPKI(t, dir, "server", "node")
	p := func(n string) string { return filepath.Join(dir, n) }
	c := startCoordinator(t, func(o *Options) {
		o.TLSCert, o.TLSKey, o.TLSCA = p("server.pem"), p("server.key"), p("ca.pem")
	})
	url := strings.Replace(c.ClientURL(), "nats://", "tls://", 1)
	eng := newEngines("tesseract")
	startNode(t, c, "a", 1, eng, func(o *Options) {
		o.URL, o.TLSCert, o.TLSKey, o.TLSCA = url, p("node.pem"), p("node.key"), p("ca.pem")
	})
	waitFor(t, "node over TLS", func() bool { return c.Slots() == 1 })
	if resp, err := recognize(t, c, "tesseract", []byte("p")); err != nil || resp.GetText() != digest([]byte("p")) {
		t.Fatalf("page over TLS: %v %v", resp, err)
	}
	tests := []struct {
		name string
		mod  func(*Options)
	}{
		{"no client certificate", func(o *Options) { o.TLSCA = p("ca.pem") }},
		{"server not trusted", func(o *Options) { o.TLSCert, o.TLSKey = p("node.pem"), p("node.key") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{URL: url, Token: testToken, NodeName: "intruder", timing: fast}
			tt.mod(&opts)
			n, err := NewNode(opts, newEngines("tesseract"), 1, quiet())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := n.Run(ctx); err == nil || errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("%v, want refused at once", err)
			}
		})
	}
}
