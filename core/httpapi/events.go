package httpapi

import (
	"bufio"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ocrbox/ocrbox/core/domain"
)

// sessionCheck is how often an open event stream checks that its session
// still exists, so it ends within a second of a logout, an expiry or the
// account's deletion.
const sessionCheck = 500 * time.Millisecond

// taskEvents streams the task's status and page progress as Server-Sent
// Events ("event: task"), starting with its current state and ending after
// a terminal state or when the session ends. A comment line every 15 s
// keeps proxies from timing out.
func (s *Server) taskEvents(c *fiber.Ctx) error {
	ctx := c.UserContext()
	t, updates, stop, err := s.tasks.Watch(ctx, userOf(c).ID, c.Params("id"))
	if err != nil {
		return err
	}
	tok, _ := tokenOf(c, s.opts.CookieName)
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderConnection, "keep-alive")
	c.Set("X-Accel-Buffering", "no")
	c.Context().SetBodyStreamWriter(s.guardStream(c, func(w *bufio.Writer) {
		defer stop()
		if send(w, t) != nil || t.Status.Terminal() {
			return
		}
		keepAlive := time.NewTicker(15 * time.Second)
		defer keepAlive.Stop()
		session := time.NewTicker(sessionCheck)
		defer session.Stop()
		for {
			select {
			case <-session.C:
				if !s.sessions.Valid(ctx, tok) {
					return // signed out, expired or deleted: no more events
				}
			case nt := <-updates:
				if send(w, nt) != nil || nt.Status.Terminal() {
					return
				}
			case <-keepAlive.C:
				if _, err := w.WriteString(": keep-alive\n\n"); err != nil || w.Flush() != nil {
					return // client went away
				}
			}
		}
	}))
	return nil
}

func send(w *bufio.Writer, t *domain.Task) error {
	data, err := json.Marshal(t)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "event: task\ndata: %s\n\n", data); err != nil {
		return err
	}
	return w.Flush()
}
