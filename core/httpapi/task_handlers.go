package httpapi

import (
	"cmp"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/ocrbox/ocrbox/core/domain"
)

type listResponse struct {
	Items    []*domain.Task `json:"items"`
	Total    int            `json:"total"`
	Page     int            `json:"page"`
	PageSize int            `json:"page_size"`
}

func (s *Server) listTasks(c *fiber.Ctx) error {
	q, page, size, err := parseListQuery(queryOf(c))
	if err != nil {
		return err
	}
	items, total, err := s.tasks.List(c.UserContext(), userOf(c).ID, q)
	if err != nil {
		return err
	}
	if items == nil {
		items = []*domain.Task{}
	}
	return c.JSON(listResponse{Items: items, Total: total, Page: page, PageSize: size})
}

// queryOf reads c's query parameters ("" when absent), for the parsers
// that take a plain func so they can be fuzzed without Fiber.
func queryOf(c *fiber.Ctx) func(string) string {
	return func(key string) string { return c.Query(key) }
}

// parseListQuery reads page, page_size, status, sort and order. Every
// number is bounded here: page_size 1 to domain.MaxPageSize, page ≥ 1 and
// page × page_size ≤ domain.MaxListItems (422 otherwise), so the offset
// handed on can never overflow.
func parseListQuery(get func(string) string) (domain.ListQuery, int, int, error) {
	var q domain.ListQuery
	page, size := 1, 20
	var err error
	if v := get("page_size"); v != "" {
		if size, err = strconv.Atoi(v); err != nil || size < 1 || size > domain.MaxPageSize {
			return q, 0, 0, domain.Errorf(domain.ErrInvalid, domain.CodeInvalidParameter, "page_size must be 1 to %d", domain.MaxPageSize)
		}
	}
	if v := get("page"); v != "" {
		if page, err = strconv.Atoi(v); err != nil || page < 1 {
			return q, 0, 0, domain.Errorf(domain.ErrInvalid, domain.CodeInvalidParameter, "page must be a positive integer")
		}
		if page > domain.MaxListItems/size {
			return q, 0, 0, domain.Errorf(domain.ErrInvalid, domain.CodeInvalidParameter,
				"page × page_size must be at most %d (with page_size %d, page at most %d)",
				domain.MaxListItems, size, domain.MaxListItems/size)
		}
	}
	if v := get("status"); v != "" {
		q.Status = domain.TaskStatus(v)
		if !q.Status.Valid() {
			return q, 0, 0, domain.Errorf(domain.ErrInvalid, domain.CodeInvalidParameter,
				"status must be one of pending, processing, completed, failed, cancelled")
		}
	}
	q.Sort = cmp.Or(get("sort"), domain.SortCreatedAt)
	switch q.Sort {
	case domain.SortCreatedAt, domain.SortFilename, domain.SortStatus, domain.SortDuration, domain.SortPages:
	default:
		return q, 0, 0, domain.Errorf(domain.ErrInvalid, domain.CodeInvalidParameter, "sort must be created_at, filename, status, duration or pages")
	}
	switch cmp.Or(get("order"), "desc") {
	case "desc":
		q.Desc = true
	case "asc":
	default:
		return q, 0, 0, domain.Errorf(domain.ErrInvalid, domain.CodeInvalidParameter, "order must be asc or desc")
	}
	q.Offset, q.Limit = (page-1)*size, size
	return q, page, size, nil
}

func (s *Server) getTask(c *fiber.Ctx) error {
	t, err := s.tasks.Get(c.UserContext(), userOf(c).ID, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(t)
}

func (s *Server) deleteTask(c *fiber.Ctx) error {
	err := s.tasks.Delete(c.UserContext(), userOf(c).ID, c.Params("id"))
	s.logTaskOp(c, "task delete", err)
	if err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) retryTask(c *fiber.Ctx) error {
	force := false
	if v := c.Query("force"); v != "" {
		var err error
		if force, err = strconv.ParseBool(v); err != nil {
			return domain.Errorf(domain.ErrInvalid, domain.CodeInvalidParameter, "force must be true or false")
		}
	}
	retry := s.tasks.Retry
	if force {
		retry = s.tasks.ForceRetry
	}
	t, err := retry(c.UserContext(), userOf(c).ID, c.Params("id"))
	s.logTaskOp(c, "task retry", err)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(t)
}

func (s *Server) cancelTask(c *fiber.Ctx) error {
	t, err := s.tasks.Cancel(c.UserContext(), userOf(c).ID, c.Params("id"))
	s.logTaskOp(c, "task cancel", err)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(t)
}

// logTaskOp records a task operation and its outcome; the context adds
// request_id and user_id.
func (s *Server) logTaskOp(c *fiber.Ctx, op string, err error) {
	if err != nil {
		s.log.InfoContext(c.UserContext(), op, "task_id", clipID(c.Params("id")), "result", "refused", "error", err)
		return
	}
	s.log.InfoContext(c.UserContext(), op, "task_id", c.Params("id"), "result", "ok")
}

// clipID keeps a client-supplied id short in the log.
func clipID(id string) string {
	if len(id) > 64 {
		return id[:64] + "…"
	}
	return id
}
