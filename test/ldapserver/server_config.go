package ldapserver

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

// slapdConf is the server's whole configuration. Access rules are checked
// in order, first match wins:
//   - userPassword: anyone may use it to bind (auth), nobody reads it;
//   - people: the service account and the entry itself read, others nothing;
//   - the rest (base, services): each entry reads itself, others nothing.
//
// Anonymous users therefore can bind but cannot search or read.
var slapdConf = template.Must(template.New("slapd.conf").Parse(`# Written by ldapserver for a test; not for production.
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema

pidfile  {{.Dir}}/slapd.pid
argsfile {{.Dir}}/slapd.args
loglevel none

modulepath /usr/lib/ldap
moduleload back_mdb
{{if .TLS}}
TLSCACertificateFile  {{.Dir}}/ca.pem
TLSCertificateFile    {{.Dir}}/server.pem
TLSCertificateKeyFile {{.Dir}}/server.key
{{end}}
database  mdb
maxsize   67108864
suffix    "{{.BaseDN}}"
rootdn    "{{.AdminDN}}"
rootpw    {{.RootPW}}
directory {{.Dir}}/db
index     objectClass eq
index     uid,mail eq

access to attrs=userPassword
	by anonymous auth
	by * none
access to dn.subtree="{{.PeopleDN}}"
	by dn.exact="{{.ServiceDN}}" read
	by self read
	by * none
access to *
	by self read
	by * none
`))

// writeConfig writes slapd.conf and creates the database directory.
func (s *Server) writeConfig(opts Options) error {
	if err := os.Mkdir(filepath.Join(s.Dir, "db"), 0o700); err != nil {
		return fmt.Errorf("ldapserver: create database dir: %w", err)
	}
	rootPW, err := hashSSHA(s.AdminPassword)
	if err != nil {
		return err
	}
	var b strings.Builder
	err = slapdConf.Execute(&b, map[string]any{
		"Dir": s.Dir, "TLS": opts.TLS, "BaseDN": BaseDN, "PeopleDN": PeopleDN,
		"AdminDN": AdminDN, "ServiceDN": ServiceDN, "RootPW": rootPW,
	})
	if err != nil {
		return fmt.Errorf("ldapserver: render slapd.conf: %w", err)
	}
	if err := os.WriteFile(s.confPath, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("ldapserver: write slapd.conf: %w", err)
	}
	return nil
}
