package httpapi

import (
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/sessions"
)

type loginRequest struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *Server) login(c *fiber.Ctx) error {
	if err := requireJSON(c); err != nil {
		return err
	}
	var req loginRequest
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return domain.Errorf(domain.ErrInvalid, domain.CodeInvalidRequest, "expected a JSON body {\"username\":…,\"password\":…}")
	}
	if req.Username == "" {
		req.Username = req.Email
	}
	tok, err := s.sessions.Login(c.UserContext(), req.Username, req.Password, c.IP())
	if err != nil {
		return err
	}
	s.setSessionCookie(c, tok)
	return c.JSON(tok)
}

func (s *Server) refresh(c *fiber.Ctx) error {
	var req struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := requireJSON(c); err != nil {
		return err
	}
	if len(c.Body()) > 0 {
		if err := json.Unmarshal(c.Body(), &req); err != nil {
			return domain.Errorf(domain.ErrInvalid, domain.CodeInvalidRequest, "expected a JSON body {\"refresh_token\":…}")
		}
	}
	if req.RefreshToken == "" {
		// A browser renews with its HttpOnly refresh cookie; like every
		// cookie-authenticated POST it must prove same-origin (CSRF).
		req.RefreshToken = c.Cookies(refreshCookie)
		if req.RefreshToken != "" && !csrfOK(c) {
			return errCSRF()
		}
	}
	tok, err := s.sessions.Refresh(c.UserContext(), req.RefreshToken)
	if err != nil {
		return err
	}
	s.setSessionCookie(c, tok)
	return c.JSON(tok)
}

// setSessionCookie sets the HttpOnly session cookie and the CSRF cookie the
// browser app echoes in X-CSRF-Token (readable by scripts on this origin
// only).
func (s *Server) setSessionCookie(c *fiber.Ctx, tok *sessions.Tokens) {
	// The body carries the tokens: no cache (browser, proxy) may keep it.
	c.Set(fiber.HeaderCacheControl, "no-store")
	exp := time.Now().Add(s.opts.SessionLifetime)
	c.Cookie(&fiber.Cookie{
		Name: s.opts.CookieName, Value: tok.AccessToken, Path: "/", Expires: exp,
		HTTPOnly: true, Secure: s.opts.CookieSecure, SameSite: fiber.CookieSameSiteLaxMode,
	})
	c.Cookie(&fiber.Cookie{
		Name: csrfCookie, Value: sessions.NewToken(), Path: "/", Expires: exp,
		HTTPOnly: false, Secure: s.opts.CookieSecure, SameSite: fiber.CookieSameSiteStrictMode,
	})
	// The refresh token only travels to the auth endpoints, never to scripts.
	c.Cookie(&fiber.Cookie{
		Name: refreshCookie, Value: tok.RefreshToken, Path: refreshCookiePath, Expires: exp,
		HTTPOnly: true, Secure: s.opts.CookieSecure, SameSite: fiber.CookieSameSiteStrictMode,
	})
}

// clearSessionCookies expires the cookies setSessionCookie set. A browser
// only replaces a cookie with the same name, path and domain, so each is
// cleared with the path it was set with.
func (s *Server) clearSessionCookies(c *fiber.Ctx) {
	for _, ck := range []struct {
		name, path string
		httpOnly   bool
		sameSite   string
	}{
		{s.opts.CookieName, "/", true, fiber.CookieSameSiteLaxMode},
		{csrfCookie, "/", false, fiber.CookieSameSiteStrictMode},
		{refreshCookie, refreshCookiePath, true, fiber.CookieSameSiteStrictMode},
	} {
		c.Cookie(&fiber.Cookie{Name: ck.name, Value: "", Path: ck.path, Expires: time.Unix(0, 0), MaxAge: -1,
			HTTPOnly: ck.httpOnly, Secure: s.opts.CookieSecure, SameSite: ck.sameSite})
	}
}

func (s *Server) logout(c *fiber.Ctx) error {
	tok, fromCookie := tokenOf(c, s.opts.CookieName)
	endSession, err := s.sessions.Logout(c.UserContext(), tok, s.publicBase(c)+"/login?signed_out=1")
	if err != nil {
		return err
	}
	s.clearSessionCookies(c)
	if endSession != "" && fromCookie {
		// A browser signed in through an IdP: the page sends it there next,
		// so the IdP's own session ends too (RP-Initiated Logout).
		return c.JSON(fiber.Map{"end_session_url": endSession})
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) me(c *fiber.Ctx) error {
	out := fiber.Map{"user": userOf(c)}
	tok, _ := tokenOf(c, s.opts.CookieName)
	if info, ok := s.sessions.SessionInfo(c.UserContext(), tok); ok {
		out["session"] = info
	}
	return c.JSON(out)
}

type engineJSON struct {
	Name      string   `json:"name"`
	Version   string   `json:"version"`
	Languages []string `json:"languages"`
	Outputs   []string `json:"outputs"`
}

func (s *Server) listEngines(c *fiber.Ctx) error {
	out := []engineJSON{}
	for _, e := range s.engines.Infos(c.UserContext()) {
		out = append(out, engineJSON{Name: e.GetName(), Version: e.GetVersion(),
			Languages: e.GetLanguages(), Outputs: e.GetOutputs()})
	}
	return c.JSON(out)
}

func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

func (s *Server) readyz(c *fiber.Ctx) error {
	if err := s.ready(c.UserContext()); err != nil {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "reason": err.Error()})
	}
	return c.JSON(fiber.Map{"status": "ready"})
}
