package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ocrbox/ocrbox/core/admin"
	"github.com/ocrbox/ocrbox/core/app"
	"github.com/ocrbox/ocrbox/core/config"
	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/plugins/localauth"
)

// listedUser is one line of `ocrbox users list`: an account of the
// database (everyone who has signed in, through any provider), of the
// local users file, or of both.
type listedUser struct {
	// ID is the ocrbox user id; empty for a local account that never
	// signed in.
	ID    string `json:"id,omitempty"`
	Email string `json:"email"`
	Name  string `json:"name"`
	// Provider is the one of the last sign-in ("local" for a local account
	// that never signed in).
	Provider string `json:"provider"`
	// Local: the account is in the users file (signs in with a password).
	Local bool `json:"local_account"`
	// Disabled: the users file entry is disabled.
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	LastLogin time.Time `json:"last_login,omitzero"`
	// Identities are the (provider, subject) pairs bound to the account;
	// null when the database could not be read.
	Identities []domain.Identity `json:"identities"`
}

// listUsers prints every account with the identities bound to it. The
// database is read through the running server's admin socket, or directly
// when no server runs; the users file adds the local accounts that never
// signed in. When the database cannot be read the users file's accounts are
// still printed, with a warning, and the command fails.
func listUsers(ctx context.Context, cfg *config.Config, uf *localauth.UserFile, asJSON bool, stdout, stderr io.Writer) error {
	local, err := uf.List(ctx)
	if err != nil {
		return err
	}
	db, _, dbErr := app.ListUsers(ctx, cfg)
	if dbErr != nil {
		db = nil
	}
	rows := mergeUsers(local, db, dbErr == nil)
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			return err
		}
	} else if err := writeUsersTable(stdout, rows); err != nil {
		return err
	}
	if dbErr != nil {
		fmt.Fprintf(stderr, "warning: only the local users file is listed, without identities: %v\n", dbErr)
		return fmt.Errorf("users list: read the database: %w", dbErr)
	}
	return nil
}

// mergeUsers joins the users file's accounts and the database's users by
// email, sorted by email. With haveDB false, identities are unknown (nil).
func mergeUsers(local []localauth.UserEntry, db []admin.UserEntry, haveDB bool) []listedUser {
	byEmail := map[string]*listedUser{}
	var rows []*listedUser
	for _, e := range db {
		r := &listedUser{ID: e.ID, Email: e.Email, Name: e.Name, Provider: e.Provider,
			CreatedAt: e.CreatedAt, LastLogin: e.LastLogin, Identities: e.Identities}
		if r.Identities == nil {
			r.Identities = []domain.Identity{}
		}
		byEmail[emailOf(e.Email)] = r
		rows = append(rows, r)
	}
	for _, e := range local {
		r, ok := byEmail[emailOf(e.Email)]
		if !ok {
			r = &listedUser{Email: e.Email, Name: e.Name, Provider: "local", CreatedAt: e.CreatedAt}
			if haveDB {
				r.Identities = []domain.Identity{}
			}
			byEmail[emailOf(e.Email)] = r
			rows = append(rows, r)
		}
		r.Local, r.Disabled = true, e.Disabled
		if r.Name == "" {
			r.Name = e.Name
		}
		if !e.CreatedAt.IsZero() && (r.CreatedAt.IsZero() || e.CreatedAt.Before(r.CreatedAt)) {
			r.CreatedAt = e.CreatedAt
		}
	}
	out := make([]listedUser, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b listedUser) int {
		return cmp.Or(strings.Compare(emailOf(a.Email), emailOf(b.Email)), strings.Compare(a.ID, b.ID))
	})
	return out
}

func emailOf(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// writeUsersTable prints rows as an aligned table. Names and subjects come
// from identity providers, so anything unprintable is shown escaped.
func writeUsersTable(w io.Writer, rows []listedUser) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EMAIL\tNAME\tPROVIDER\tDISABLED\tCREATED\tLAST_LOGIN\tIDENTITIES")
	for _, r := range rows {
		disabled := "-" // not in the users file: the provider decides
		if r.Local {
			disabled = strconv.FormatBool(r.Disabled)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cell(r.Email), cell(r.Name), cell(r.Provider), disabled,
			day(r.CreatedAt), day(r.LastLogin), identitiesCell(r.Identities))
	}
	return tw.Flush()
}

// identitiesCell is "provider:subject, …", "-" for none and "?" when
// unknown. Very long subjects are clipped (--json prints them whole).
func identitiesCell(ids []domain.Identity) string {
	if ids == nil {
		return "?"
	}
	if len(ids) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(ids))
	for _, id := range ids {
		parts = append(parts, cell(id.Provider+":"+clip(id.Subject, 64)))
	}
	return strings.Join(parts, ", ")
}

func day(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02")
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// cell is s for a table cell: quoted with Go escapes when it holds
// anything unprintable (control characters, tabs, newlines) that could
// break the table or the terminal; "-" when empty.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || r == utf8.RuneError {
			return strconv.Quote(s)
		}
	}
	return s
}
