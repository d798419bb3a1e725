package integration

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns a
// client TLS config that trusts it.
func selfSigned(t *testing.T) (certFile, keyFile string, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ocrbox test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// TestBuiltInHTTPS: with server.tls_cert/tls_key the server speaks only
// HTTPS and its cookies are Secure.
func TestBuiltInHTTPS(t *testing.T) {
	needDeps(t)
	certFile, keyFile, clientTLS := selfSigned(t)
	dir := t.TempDir()
	s := startTestServer(t, serverConfig{Bin: binPath, DataDir: dir, TLS: clientTLS,
		Env: []string{"OCRBOX_SERVER_TLS_CERT=" + certFile, "OCRBOX_SERVER_TLS_KEY=" + keyFile}})
	email, password := "tls-"+randomHex(4)+"@example.org", "pw-"+randomHex(8)
	addUser(t, binPath, dir, email, "TLS", password)
	r := newClient(s).tryLogin(t, email, password)
	if r.Status != http.StatusOK {
		t.Fatalf("login over HTTPS: %d %s", r.Status, r.Body)
	}
	cookies := r.Header.Values("Set-Cookie")
	if len(cookies) == 0 {
		t.Fatal("no cookies")
	}
	for _, ck := range cookies {
		if !strings.Contains(strings.ToLower(ck), "; secure") {
			t.Errorf("cookie without Secure over HTTPS: %s", ck)
		}
	}
	// Plain HTTP on the same port gets no API.
	if resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + s.addr + "/readyz"); err == nil {
		if resp.StatusCode == http.StatusOK {
			t.Errorf("plain HTTP answered 200 on the HTTPS port")
		}
		resp.Body.Close()
	}
}

// TestTrustedProxies: X-Forwarded-For decides the client IP (audit trail,
// rate limits) only when the peer is a listed proxy.
func TestTrustedProxies(t *testing.T) {
	needDeps(t)
	for _, tc := range []struct {
		name, trusted, wantIP string
	}{
		{"listed proxy", "127.0.0.1/32", "203.0.113.7"},
		{"unlisted peer", "10.9.8.7", "127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := startTestServer(t, serverConfig{Bin: binPath, DataDir: dir,
				Env: []string{"OCRBOX_SERVER_TRUST_PROXY=true", "OCRBOX_SERVER_TRUSTED_PROXIES=" + tc.trusted}})
			email, password := "proxy-"+randomHex(4)+"@example.org", "pw-"+randomHex(8)
			addUser(t, binPath, dir, email, "Proxy", password)
			c := newClient(s).login(t, email, password)
			req, _ := http.NewRequest("GET", s.baseURL+"/api/v1/tasks/00000000-0000-4000-8000-000000000000/files/00000000-0000-4000-8000-000000000000", nil)
			req.Header.Set("Authorization", "Bearer "+c.token)
			req.Header.Set("X-Forwarded-For", "203.0.113.7")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			r := c.get(t, "/audit?limit=1")
			if !strings.Contains(string(r.Body), `"ip":"`+tc.wantIP+`"`) {
				t.Fatalf("audit entry %s, want ip %s", r.Body, tc.wantIP)
			}
		})
	}
}
