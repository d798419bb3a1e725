package httpapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"

	"github.com/gofiber/fiber/v2"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/tasks"
)

// createTasks streams a multipart upload: each `file` part goes straight to
// disk through the task service, so memory stays flat whatever the size.
// Parameters (engine, lang, outputs) come as query parameters or as form
// fields placed before the files. All or nothing: if one file is refused,
// the tasks already made from this request are removed.
func (s *Server) createTasks(c *fiber.Ctx) (err error) {
	defer func() {
		// A refused upload leaves unread body bytes on the connection; they
		// must not be parsed as the next request.
		if err != nil {
			c.Context().SetConnectionClose()
			s.log.InfoContext(c.UserContext(), "task upload", "result", "refused", "error", err)
		}
	}()
	ctx := c.UserContext()
	user := userOf(c)
	if cl := c.Request().Header.ContentLength(); cl > 0 && int64(cl) > s.opts.MaxUploadBytes+(4<<20) {
		return domain.Errorf(domain.ErrTooLarge, domain.CodeFileTooLarge, "the upload is larger than the limit of %d MB", s.opts.MaxUploadBytes>>20)
	}
	if cl := c.Request().Header.ContentLength(); cl > 0 {
		// Refuse before reading a byte when it cannot fit the storage quota;
		// Create checks again while streaming and when storing the task.
		if err := s.tasks.CheckStorage(ctx, user.ID, int64(cl)); err != nil {
			return err
		}
	}
	mt, params, err := mime.ParseMediaType(string(c.Request().Header.ContentType()))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return domain.Errorf(domain.ErrInvalid, domain.CodeInvalidRequest, "expected multipart/form-data with one or more `file` parts")
	}
	var body io.Reader = c.Context().RequestBodyStream()
	if body == nil {
		body = bytes.NewReader(c.Body())
	}
	fields := map[string]string{"engine": c.Query("engine"), "lang": c.Query("lang"), "outputs": c.Query("outputs"),
		"autorotate": c.Query("autorotate"), "pdf_output": c.Query("pdf_output"),
		"pdf_text": c.Query("pdf_text")}
	mr := multipart.NewReader(body, params["boundary"])
	var created []*domain.Task
	var p *tasks.Params
	fail := func(err error) error {
		for _, t := range created {
			_ = s.tasks.Delete(ctx, user.ID, t.ID)
		}
		return err
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(domain.Errorf(domain.ErrInvalid, domain.CodeInvalidRequest, "malformed multipart body: %v", err))
		}
		name := part.FormName()
		if name != "file" {
			if _, known := fields[name]; !known {
				part.Close()
				continue
			}
			if len(created) > 0 {
				return fail(domain.Errorf(domain.ErrInvalid, domain.CodeInvalidRequest, "form field %q must come before the files", name))
			}
			v, err := io.ReadAll(io.LimitReader(part, 1024))
			if err != nil {
				return fail(domain.Errorf(domain.ErrInvalid, domain.CodeInvalidRequest, "reading field %q: %v", name, err))
			}
			fields[name] = string(v)
			continue
		}
		if p == nil {
			pp, err := s.tasks.ParseParams(ctx, fields["engine"], fields["lang"], fields["outputs"])
			if err != nil {
				return fail(err)
			}
			if pp.Autorotate, err = tasks.ParseAutorotate(fields["autorotate"]); err != nil {
				return fail(err)
			}
			if pp.PDFOutput, err = tasks.ParsePDFOutput(fields["pdf_output"]); err != nil {
				return fail(err)
			}
			if pp.PDFText, err = tasks.ParsePDFText(fields["pdf_text"]); err != nil {
				return fail(err)
			}
			p = &pp
		}
		if len(created) >= s.opts.MaxFilesPerUpload {
			return fail(domain.Errorf(domain.ErrTooLarge, domain.CodeTooManyFiles, "at most %d files per upload", s.opts.MaxFilesPerUpload))
		}
		t, err := s.tasks.Create(ctx, user.ID, *p, tasks.Upload{Filename: part.FileName(), Body: part})
		part.Close()
		if err != nil {
			return fail(err)
		}
		created = append(created, t)
	}
	if len(created) == 0 {
		return domain.Errorf(domain.ErrInvalid, domain.CodeNoFiles, "the upload contains no `file` part")
	}
	for _, t := range created {
		s.log.InfoContext(ctx, "task created", "task_id", t.ID, "engine", t.Engine, "lang", t.Lang,
			"pages", t.PagesTotal, "bytes", t.InputBytes, "result", "ok")
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"tasks": created})
}
