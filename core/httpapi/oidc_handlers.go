package httpapi

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/sessions"
)

const stateCookie = "ocrbox_login_state"

// listProviders tells the sign-in page which "Sign in with …" buttons to
// show; password sign-in is always offered.
func (s *Server) listProviders(c *fiber.Ctx) error {
	list := s.sessions.BrowserProviders(c.UserContext())
	if list == nil {
		list = []sessions.BrowserProvider{} // always an array
	}
	return c.JSON(fiber.Map{"browser": list})
}

// callbackURL is where the identity provider sends the browser back.
func (s *Server) callbackURL(c *fiber.Ctx) string {
	return s.publicBase(c) + "/api/v1/auth/oidc/callback"
}

// publicBase is the base URL browsers reach this server at.
func (s *Server) publicBase(c *fiber.Ctx) string {
	if base := strings.TrimSuffix(s.opts.PublicURL, "/"); base != "" {
		return base
	}
	return c.BaseURL()
}

// safeReturn accepts only a local path, so the login cannot be used as an
// open redirect.
func safeReturn(p string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.Contains(p, "\\") {
		return "/"
	}
	if u, err := url.Parse(p); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return p
}

// oidcLogin starts a browser sign-in: GET /api/v1/auth/oidc/login
// ?provider=NAME&return_to=/path redirects to the identity provider.
func (s *Server) oidcLogin(c *fiber.Ctx) error {
	authURL, state, err := s.sessions.BeginBrowserLogin(c.UserContext(), c.Query("provider"),
		s.callbackURL(c), safeReturn(c.Query("return_to")))
	if err != nil {
		if wantsHTML(c) {
			// A person clicked "Sign in with …": the sign-in page says why.
			return c.Redirect("/login?login_error="+url.QueryEscape(publicMessage(err)), fiber.StatusFound)
		}
		return err
	}
	// Lax: the cookie must come back on the IdP's top-level redirect.
	c.Cookie(&fiber.Cookie{Name: stateCookie, Value: state, Path: "/api/v1/auth/oidc",
		Expires: time.Now().Add(10 * time.Minute), HTTPOnly: true, Secure: s.opts.CookieSecure,
		SameSite: fiber.CookieSameSiteLaxMode})
	return c.Redirect(authURL, fiber.StatusFound)
}

// oidcCallback finishes a browser sign-in and sends the browser back to
// where it started, signed in.
func (s *Server) oidcCallback(c *fiber.Ctx) error {
	if e := c.Query("error"); e != "" {
		return c.Redirect("/login?login_error="+url.QueryEscape(idpErrorMessage(e, c.Query("error_description"))), fiber.StatusFound)
	}
	tok, returnTo, err := s.sessions.CompleteBrowserLogin(c.UserContext(), c.Query("state"),
		c.Cookies(stateCookie), c.Query("code"), c.Query("iss"))
	c.Cookie(&fiber.Cookie{Name: stateCookie, Value: "", Path: "/api/v1/auth/oidc",
		Expires: time.Unix(0, 0), HTTPOnly: true, Secure: s.opts.CookieSecure, SameSite: fiber.CookieSameSiteLaxMode})
	if err != nil {
		if wantsHTML(c) {
			// A person's browser: back to the sign-in page, which says why.
			return c.Redirect("/login?login_error="+url.QueryEscape(publicMessage(err)), fiber.StatusFound)
		}
		return err
	}
	s.setSessionCookie(c, tok)
	return c.Redirect(safeReturn(returnTo), fiber.StatusFound)
}

// wantsHTML: the request is a browser navigation, which must end on a page
// rather than on a JSON error body.
func wantsHTML(c *fiber.Ctx) bool {
	return strings.Contains(c.Get(fiber.HeaderAccept), "text/html")
}

// idpErrorMessage turns an authorization error the identity provider sent
// back (RFC 6749 §4.1.2.1) into a sentence for the sign-in page.
func idpErrorMessage(code, description string) string {
	code, description = clipID(domain.PlainText(code)), domain.PlainText(description)
	if len(description) > 200 {
		description = description[:200] + "…"
	}
	switch code {
	case "access_denied":
		return "the sign-in was cancelled or refused at the identity provider"
	case "login_required", "consent_required", "interaction_required":
		return "the identity provider needs you to sign in there first; please try again"
	}
	msg := "the identity provider could not sign you in (" + code + ")"
	if description != "" {
		msg += ": " + description
	}
	return msg
}

// publicMessage is what a person may read about a failed browser sign-in:
// the domain error's message, never internal detail.
func publicMessage(err error) string {
	var de *domain.Error
	if errors.As(err, &de) {
		return de.Message
	}
	return "sign-in did not complete; please try again"
}
