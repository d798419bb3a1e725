package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/tasks"
)

// sessionCheck is how often an open event stream checks that its session
// still exists, so it ends within a second of a logout, an expiry or the
// account's deletion.
const sessionCheck = 500 * time.Millisecond

// keepAliveEvery is how often an idle event stream sends a comment line,
// so that proxies and load balancers do not time it out.
const keepAliveEvery = 15 * time.Second

// userEvents streams every change to the caller's tasks as Server-Sent
// Events on one connection (issue 13 §3): "task" with the task as the API
// returns it, "deleted" with its id, "ready" first on a new stream, and
// "reset" when the events since Last-Event-ID cannot be replayed. Each
// event has an id; a reconnection sends the last one (Last-Event-ID, or
// last_event_id for a client that cannot set headers) and gets what it
// missed. The stream ends when the session does (logout, expiry, account
// deleted) or the server shuts down; a comment line every 15 s keeps it
// alive. It only ever subscribes to the session's user.
//
// The stream never ends on its own, so it is only served to clients that
// ask for it with Accept: text/event-stream (EventSource does): anything
// else gets 406 rather than a response that never completes.
func (s *Server) userEvents(c *fiber.Ctx) error {
	if !acceptsEventStream(c.Get(fiber.HeaderAccept)) {
		return fiber.NewError(fiber.StatusNotAcceptable,
			"this endpoint is a Server-Sent Events stream that stays open: send Accept: text/event-stream")
	}
	ctx := c.UserContext()
	last := c.Get("Last-Event-ID")
	if last == "" {
		last = c.Query("last_event_id")
	}
	sub, err := s.tasks.WatchUser(ctx, userOf(c).ID, last)
	if err != nil {
		return err
	}
	tok, _ := tokenOf(c, s.opts.CookieName)
	shutdown := c.Context().Done()
	setStreamHeaders(c)
	c.Context().SetBodyStreamWriter(s.guardStream(c, func(w *bufio.Writer) {
		defer sub.Close()
		// EventSource waits this long before reconnecting after the stream ends.
		if _, err := w.WriteString("retry: 2000\n\n"); err != nil {
			return
		}
		streamUntil(ctx, s, tok, w, shutdown, sub.Wake(), func(struct{}) bool {
			return sendEvents(w, sub.Next()) != nil
		})
	}))
	return nil
}

// streamUntil keeps an event stream open: next runs for every value from
// wake and ends the stream by returning true; the stream also ends when the
// session does (checked every sessionCheck: signed out, expired, account
// deleted), when shutdown closes (the client reconnects to the next server)
// or when the client goes away (a keep-alive comment every keepAliveEvery
// fails to write).
func streamUntil[T any](ctx context.Context, s *Server, tok string, w *bufio.Writer, shutdown <-chan struct{}, wake <-chan T, next func(T) bool) {
	keepAlive := time.NewTicker(keepAliveEvery)
	defer keepAlive.Stop()
	session := time.NewTicker(sessionCheck)
	defer session.Stop()
	for {
		select {
		case <-session.C:
			if !s.sessions.Valid(ctx, tok) {
				return
			}
		case <-shutdown:
			return
		case v := <-wake:
			if next(v) {
				return
			}
		case <-keepAlive.C:
			if _, err := w.WriteString(": keep-alive\n\n"); err != nil || w.Flush() != nil {
				return
			}
		}
	}
}

// acceptsEventStream reports whether an Accept header lists text/event-stream.
func acceptsEventStream(accept string) bool {
	for part := range strings.SplitSeq(accept, ",") {
		media, _, _ := strings.Cut(part, ";")
		if strings.EqualFold(strings.TrimSpace(media), "text/event-stream") {
			return true
		}
	}
	return false
}

// sendEvents writes events with their ids and flushes once.
func sendEvents(w *bufio.Writer, evs []tasks.UserEvent) error {
	for _, ev := range evs {
		// Data is compact JSON: one line, as an SSE data field must be.
		if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.ID, ev.Type, ev.Data); err != nil {
			return err
		}
	}
	return w.Flush()
}

func setStreamHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderConnection, "keep-alive")
	c.Set("X-Accel-Buffering", "no")
}

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
	shutdown := c.Context().Done()
	setStreamHeaders(c)
	c.Context().SetBodyStreamWriter(s.guardStream(c, func(w *bufio.Writer) {
		defer stop()
		if send(w, t) != nil || t.Status.Terminal() {
			return
		}
		streamUntil(ctx, s, tok, w, shutdown, updates, func(nt *domain.Task) bool {
			return send(w, nt) != nil || nt.Status.Terminal()
		})
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
