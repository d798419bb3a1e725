package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/ocrbox/ocrbox/core/app"
	"github.com/ocrbox/ocrbox/core/config"
	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/plugins/localauth"
)

// UsersFile is where the local provider keeps its accounts: the
// plugins.local.users_file setting, or users.json in the data directory.
func UsersFile(cfg *config.Config) string {
	if p := cfg.Plugins["local"]["users_file"]; p != "" {
		return p
	}
	return filepath.Join(cfg.Storage.DataDir, "users.json") // same default as core/app
}

// users manages accounts. add and passwd edit the local users file
// directly (with a file lock), so they work while the server runs; delete
// also purges the person's data (see deleteUser); link and list use the
// database, through the running server's admin socket or directly (see
// listUsers).
func users(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: ocrbox users add|passwd|delete [--data-only]|link|list [--json] …")
	}
	sub, rest := args[0], args[1:]
	var f commonFlags
	fs := newFlagSet("users "+sub, stderr, &f, false)
	name := fs.String("name", "", "display name (add)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	dataOnly := fs.Bool("data-only", false, "delete: only purge the data (for users of another provider, e.g. LDAP or OIDC)")
	provider := fs.String("provider", "", "link: the provider's name in auth.providers (oidc, ldap, http, local)")
	subject := fs.String("subject", "", "link: the person's subject at that provider (from the sign-in's log line)")
	asJSON := fs.Bool("json", false, "list: print JSON (an array of accounts, each with its identities)")
	// Accept EMAIL before or after the flags.
	var positional []string
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		rest = fs.Args()
		if len(rest) > 0 {
			positional = append(positional, rest[0])
			rest = rest[1:]
		}
	}
	cfg, err := loadConfig(f)
	if err != nil {
		return err
	}
	uf := localauth.OpenUserFile(UsersFile(cfg))
	ctx := context.Background()
	email := ""
	if len(positional) > 0 {
		email = positional[0]
	}
	needEmail := func() error {
		if email == "" {
			return fmt.Errorf("usage: ocrbox users %s EMAIL", sub)
		}
		return nil
	}
	readPassword := func() (string, error) {
		if !*pwStdin {
			return "", errors.New("pass the password on standard input with --password-stdin")
		}
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	switch sub {
	case "add":
		if err := needEmail(); err != nil {
			return err
		}
		pw, err := readPassword()
		if err != nil {
			return err
		}
		if err := uf.Add(ctx, email, *name, pw); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added %s\n", strings.ToLower(email))
	case "passwd":
		if err := needEmail(); err != nil {
			return err
		}
		pw, err := readPassword()
		if err != nil {
			return err
		}
		if err := uf.SetPassword(ctx, email, pw); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password changed for %s\n", strings.ToLower(email))
	case "delete":
		if err := needEmail(); err != nil {
			return err
		}
		return deleteUser(ctx, cfg, uf, email, *dataOnly, stdout, stderr)
	case "link":
		if err := needEmail(); err != nil {
			return err
		}
		if *provider == "" || *subject == "" {
			return errors.New("usage: ocrbox users link EMAIL --provider NAME --subject SUBJECT")
		}
		u, viaServer, err := app.LinkIdentity(ctx, cfg, email, domain.Identity{Provider: *provider, Subject: *subject})
		if err != nil {
			return err
		}
		via := "the database"
		if viaServer {
			via = "the running server"
		}
		fmt.Fprintf(stdout, "linked %s/%s to %s (user %s) through %s\n", *provider, *subject, u.Email, u.ID, via)
	case "list":
		return listUsers(ctx, cfg, uf, *asJSON, stdout, stderr)
	default:
		return fmt.Errorf("unknown users command %q (add, passwd, delete, link, list)", sub)
	}
	return nil
}
