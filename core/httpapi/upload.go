package httpapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"iter"
	"mime"
	"mime/multipart"

	"github.com/gofiber/fiber/v2"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/tasks"
)

// createTasks streams a multipart upload: each `file` part goes straight to
// disk through the task service, so memory stays flat whatever the size.
// Parameters (engine, lang, outputs) come as query parameters or as form
// fields placed before the files. All or nothing: the task service's
// CreateBatch removes the tasks already made from this request when a file
// is refused.
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
	// The fields come first: read up to the first file, which settles the
	// parameters of every file.
	var first *multipart.Part
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return domain.Errorf(domain.ErrInvalid, domain.CodeNoFiles, "the upload contains no `file` part")
		}
		if err != nil {
			return malformed(err)
		}
		name := part.FormName()
		if name == "file" {
			first = part
			break
		}
		if _, known := fields[name]; !known {
			part.Close()
			continue
		}
		v, err := io.ReadAll(io.LimitReader(part, 1024))
		if err != nil {
			return domain.Errorf(domain.ErrInvalid, domain.CodeInvalidRequest, "reading field %q: %v", name, err)
		}
		fields[name] = string(v)
	}
	p, err := s.uploadParams(ctx, fields)
	if err != nil {
		return err
	}
	created, err := s.tasks.CreateBatch(ctx, user.ID, p, uploadFiles(mr, first, fields), s.opts.MaxFilesPerUpload)
	if err != nil {
		return err
	}
	for _, t := range created {
		s.log.InfoContext(ctx, "task created", "task_id", t.ID, "engine", t.Engine, "lang", t.Lang,
			"pages", t.PagesTotal, "bytes", t.InputBytes, "result", "ok")
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"tasks": created})
}

// uploadParams reads the task parameters of an upload from its fields.
func (s *Server) uploadParams(ctx context.Context, fields map[string]string) (tasks.Params, error) {
	p, err := s.tasks.ParseParams(ctx, fields["engine"], fields["lang"], fields["outputs"])
	if err != nil {
		return p, err
	}
	if p.Autorotate, err = tasks.ParseAutorotate(fields["autorotate"]); err != nil {
		return p, err
	}
	if p.PDFOutput, err = tasks.ParsePDFOutput(fields["pdf_output"]); err != nil {
		return p, err
	}
	if p.PDFText, err = tasks.ParsePDFText(fields["pdf_text"]); err != nil {
		return p, err
	}
	return p, nil
}

// uploadFiles yields the file parts of a multipart upload from first on,
// each closed once the task service has read it. A form field among the
// files, or a body that cannot be parsed, is an error (the service then
// undoes the batch); parts of unknown names are skipped.
func uploadFiles(mr *multipart.Reader, first *multipart.Part, fields map[string]string) iter.Seq2[tasks.Upload, error] {
	return func(yield func(tasks.Upload, error) bool) {
		part := first
		for {
			ok := yield(tasks.Upload{Filename: part.FileName(), Body: part}, nil)
			part.Close()
			if !ok {
				return
			}
			for {
				var err error
				part, err = mr.NextPart()
				if errors.Is(err, io.EOF) {
					return
				}
				if err != nil {
					yield(tasks.Upload{}, malformed(err))
					return
				}
				name := part.FormName()
				if name == "file" {
					break
				}
				if _, known := fields[name]; known {
					yield(tasks.Upload{}, domain.Errorf(domain.ErrInvalid, domain.CodeInvalidRequest, "form field %q must come before the files", name))
					return
				}
				part.Close()
			}
		}
	}
}

// malformed is the error of a multipart body that cannot be parsed.
func malformed(err error) error {
	return domain.Errorf(domain.ErrInvalid, domain.CodeInvalidRequest, "malformed multipart body: %v", err)
}
