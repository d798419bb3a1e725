package tasks

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/ocrbox/ocrbox/core/domain"
)

// Upload is one file of a multipart upload with the task parameters.
type Upload struct {
	Filename string
	Engine   string
	Lang     string
	Outputs  string // "txt,json,pdf"; empty = defaults
	Body     io.Reader
}

// Params are the validated parameters of an upload.
type Params struct {
	Engine  string
	Lang    string
	Outputs []domain.FileKind
	// Autorotate turns pages upright before recognition (default true).
	Autorotate bool
	// PDFOutput is the searchable PDF's flavour (default PDF/A-2B).
	PDFOutput domain.PDFOutput
	// PDFText is what a PDF's own text layer is used for (default skip).
	PDFText domain.PDFText
}

// ParsePDFText reads the upload's pdf_text field: empty is the default
// (skip); skip, redo and force are the modes; anything else a 422.
func ParsePDFText(v string) (domain.PDFText, error) {
	switch m := domain.PDFText(strings.ToLower(strings.TrimSpace(v))); m {
	case "":
		return domain.PDFTextSkip, nil
	case domain.PDFTextSkip, domain.PDFTextRedo, domain.PDFTextForce:
		return m, nil
	}
	return "", domain.Errorf(domain.ErrInvalid, domain.CodeInvalidParameter, "pdf_text must be skip, redo or force, got %q", v)
}

// ParsePDFOutput reads the upload's pdf_output field: empty is the
// default (pdfa, PDF/A-2B); "pdf" is a plain PDF; anything else a 422.
func ParsePDFOutput(v string) (domain.PDFOutput, error) {
	switch o := domain.PDFOutput(strings.ToLower(strings.TrimSpace(v))); o {
	case "":
		return domain.PDFOutputPDFA, nil
	case domain.PDFOutputPDFA, domain.PDFOutputPDF:
		return o, nil
	}
	return "", domain.Errorf(domain.ErrInvalid, domain.CodeInvalidParameter, "pdf_output must be pdfa or pdf, got %q", v)
}

// ParseAutorotate reads the upload's autorotate field: empty is the
// default (on); otherwise true/false (1/0 and the other strconv.ParseBool
// spellings), anything else a 422.
func ParseAutorotate(v string) (bool, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return true, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, domain.Errorf(domain.ErrInvalid, domain.CodeInvalidParameter, "autorotate must be true or false, got %q", v)
	}
	return b, nil
}

// MaxLanguages is how many languages one task may ask for (lang "eng+deu").
const MaxLanguages = 8

// ParseParams fills defaults and validates engine, languages and outputs.
func (s *Service) ParseParams(ctx context.Context, engine, lang, outputs string) (Params, error) {
	p := Params{Engine: strings.TrimSpace(engine), Lang: strings.TrimSpace(lang), Autorotate: true, PDFOutput: domain.PDFOutputPDFA,
		PDFText: domain.PDFTextSkip}
	if p.Engine == "" {
		p.Engine = s.opts.DefaultEngine
	}
	if p.Lang == "" {
		p.Lang = s.opts.DefaultLang
	}
	// Each language is a model the engine loads for the task: "eng+eng+…"
	// a thousand times must not reach it.
	langs := strings.Split(p.Lang, "+")
	if len(langs) > MaxLanguages || len(slices.Compact(slices.Sorted(slices.Values(langs)))) != len(langs) {
		return p, domain.Errorf(domain.ErrInvalid, domain.CodeInvalidParameter,
			"lang names at most %d languages joined by +, each once", MaxLanguages)
	}
	if strings.TrimSpace(outputs) == "" {
		// The defaults the chosen engine can make (ocr.default_outputs lists
		// pdf, which not every engine offers); if none, Validate explains.
		for _, o := range s.opts.DefaultOutputs {
			if s.engines.Validate(ctx, p.Engine, p.Lang, []domain.FileKind{o}) == nil {
				p.Outputs = append(p.Outputs, o)
			}
		}
		if len(p.Outputs) == 0 {
			p.Outputs = append(p.Outputs, s.opts.DefaultOutputs...)
		}
	} else {
		for _, o := range strings.Split(outputs, ",") {
			k := domain.FileKind(strings.ToLower(strings.TrimSpace(o)))
			if !slices.Contains(domain.OutputKinds, k) {
				return p, domain.Errorf(domain.ErrInvalid, domain.CodeInvalidOutput,
					"unknown output %q: expected a comma-separated list of txt, hocr, json, pdf", o)
			}
			if !slices.Contains(p.Outputs, k) {
				p.Outputs = append(p.Outputs, k)
			}
		}
	}
	if err := s.engines.Validate(ctx, p.Engine, p.Lang, p.Outputs); err != nil {
		return p, err
	}
	return p, nil
}

// CheckQuota refuses a new task early, before its upload is streamed, when
// the user is at max_tasks_per_user. The store checks again atomically.
func (s *Service) CheckQuota(ctx context.Context, userID string, adding int) error {
	if s.opts.MaxTasksPerUser <= 0 {
		return nil
	}
	n, err := s.store.CountTasks(ctx, userID)
	if err != nil {
		return err
	}
	if n+adding > s.opts.MaxTasksPerUser {
		return domain.TaskQuotaError(s.opts.MaxTasksPerUser, n)
	}
	return nil
}

// CheckStorage refuses an upload early, before it is streamed, when the
// user's stored files plus incoming bytes (the request's Content-Length)
// would pass max_storage_mb_per_user. Create enforces the limit again while
// streaming and atomically when the task is stored.
func (s *Service) CheckStorage(ctx context.Context, userID string, incoming int64) error {
	_, err := s.storageLeft(ctx, userID, incoming)
	return err
}

// storageLeft returns how many more bytes the user may store (-1 when
// unlimited), or the quota error when incoming bytes do not fit.
func (s *Service) storageLeft(ctx context.Context, userID string, incoming int64) (int64, error) {
	limit := s.opts.MaxStorageBytesPerUser
	if limit <= 0 {
		return -1, nil
	}
	used, err := s.store.StoredBytes(ctx, userID)
	if err != nil {
		return 0, err
	}
	if used+incoming > limit || used >= limit {
		return 0, domain.StorageQuotaError(limit, used)
	}
	return limit - used, nil
}

// Create stores one uploaded file and queues its task. The body is streamed
// to disk, never held in memory. On any error nothing is left behind.
func (s *Service) Create(ctx context.Context, userID string, p Params, up Upload) (*domain.Task, error) {
	if err := s.CheckQuota(ctx, userID, 1); err != nil {
		return nil, err
	}
	left, err := s.storageLeft(ctx, userID, 0)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(up.Body, 4096)
	head, err := br.Peek(1024) // as much as pages.Sniff looks at
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, domain.Errorf(domain.ErrInvalid, domain.CodeUploadFailed, "reading upload: %v", err)
	}
	if len(head) == 0 {
		return nil, domain.Errorf(domain.ErrInvalid, domain.CodeEmptyFile, "file %q is empty", DisplayName(up.Filename))
	}
	contentType, err := s.sniff(head)
	if err != nil {
		return nil, err
	}
	taskID := s.newID()
	t := &domain.Task{
		ID: taskID, UserID: userID, Filename: DisplayName(up.Filename), Status: domain.StatusPending,
		Engine: p.Engine, Lang: p.Lang, Outputs: p.Outputs, Autorotate: p.Autorotate, PDFOutput: p.PDFOutput, PDFText: p.PDFText,
	}
	stored := "input" + extFor(contentType)
	in, err := s.storeInput(ctx, t, stored, contentType, br, left)
	if err != nil {
		_ = s.files.RemoveTask(context.WithoutCancel(ctx), userID, taskID)
		return nil, err
	}
	t.Files = []domain.File{in}
	t.InputBytes = in.Size
	if pth, err := s.files.Path(ctx, userID, taskID, stored); err == nil && s.inspect != nil {
		n, err := s.inspect(ctx, pth, contentType)
		if err == nil {
			t.PagesTotal = n
			err = s.checkPageBytes(t, n)
		}
		switch {
		case err == nil:
		case errors.Is(err, domain.ErrTooLarge):
			_ = s.files.RemoveTask(context.WithoutCancel(ctx), userID, taskID)
			return nil, err
		}
		// ErrBadInput: accepted; the worker fails the task with the reason.
	}
	now := s.now().UTC()
	t.CreatedAt, t.QueuedAt = now, now
	quota := domain.Quota{MaxTasks: s.opts.MaxTasksPerUser, MaxBytes: s.opts.MaxStorageBytesPerUser}
	if err := s.store.CreateTaskLimited(ctx, t, quota); err != nil {
		_ = s.files.RemoveTask(context.WithoutCancel(ctx), userID, taskID)
		return nil, fmt.Errorf("create task: %w", err)
	}
	s.broker.Publish(t)
	s.opts.Observer.TaskCreated()
	s.runner.Kick()
	return t, nil
}

// checkPageBytes refuses a single-page upload too large for its engine to
// be sent as it is (see Options.EnginePageBytes).
func (s *Service) checkPageBytes(t *domain.Task, pages int) error {
	if s.opts.EnginePageBytes == nil || pages != 1 {
		return nil
	}
	if max := s.opts.EnginePageBytes(t.Engine); max > 0 && t.InputBytes > max {
		return domain.Errorf(domain.ErrTooLarge, domain.CodeFileTooLarge,
			"file %q is larger than %d MiB, the largest page engine %q can be sent", t.Filename, max>>20, t.Engine)
	}
	return nil
}

// storeInput streams the upload to disk, stopping at the upload limit or,
// when storageLeft ≥ 0 is smaller, at what the user may still store.
func (s *Service) storeInput(ctx context.Context, t *domain.Task, stored, contentType string, r io.Reader, storageLeft int64) (domain.File, error) {
	if err := s.files.MakeTaskDir(ctx, t.UserID, t.ID); err != nil {
		return domain.File{}, diskError("store upload", err)
	}
	f, err := s.files.Create(ctx, t.UserID, t.ID, stored)
	if err != nil {
		return domain.File{}, diskError("store upload", err)
	}
	defer f.Close()
	h := sha256.New()
	limit := s.opts.MaxUploadBytes
	byQuota := storageLeft >= 0 && storageLeft < limit
	if byQuota {
		limit = storageLeft
	}
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, limit+1))
	if err != nil {
		if ctx.Err() != nil {
			return domain.File{}, ctx.Err()
		}
		if errors.Is(err, domain.ErrTooLarge) {
			return domain.File{}, err
		}
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			// Writing to our own disk failed: the client is told why in
			// general terms, never the path; the log gets the rest.
			return domain.File{}, diskError("store upload", err)
		}
		return domain.File{}, domain.Errorf(domain.ErrInvalid, domain.CodeUploadFailed, "upload interrupted: %v", err)
	}
	if n > limit && byQuota {
		return domain.File{}, domain.StorageQuotaError(s.opts.MaxStorageBytesPerUser, s.opts.MaxStorageBytesPerUser-storageLeft)
	}
	if n > limit {
		return domain.File{}, domain.Errorf(domain.ErrTooLarge, domain.CodeFileTooLarge,
			"file %q is larger than the upload limit of %d MB", t.Filename, limit>>20)
	}
	if err := f.Sync(); err != nil {
		return domain.File{}, diskError("store upload", err)
	}
	return domain.File{
		ID: s.newID(), TaskID: t.ID, UserID: t.UserID, Kind: domain.KindInput, Name: t.Filename,
		Size: n, ContentType: contentType, SHA256: hex.EncodeToString(h.Sum(nil)),
		CreatedAt: s.now().UTC(), StoredName: stored,
	}, nil
}

// diskError wraps a failure of our own disk; a full one becomes the
// temporary disk_full error (503) instead of an internal one.
func diskError(doing string, err error) error {
	if domain.DiskFull(err) {
		return fmt.Errorf("%s: %w (%w)", doing, domain.ErrDiskFull(), err)
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// DisplayName makes a client-supplied filename safe to show and to put in a
// Content-Disposition header: no controls, no bidi or zero-width characters
// (domain.PlainText), no quotes, no directories. It is never used as a path.
func DisplayName(name string) string {
	name = strings.ReplaceAll(domain.PlainText(name), `"`, "")
	name = strings.ReplaceAll(name, "\\", "/")
	name = strings.TrimSpace(path.Base("/" + name))
	if name == "/" || name == "." || name == ".." || name == "" {
		name = "upload"
	}
	const maxBytes = 200
	if len(name) > maxBytes {
		// Shorten the stem, keep a short extension so the type stays visible.
		ext := path.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		stem := name[:len(name)-len(ext)]
		cut := 0
		for i := range stem { // rune starts, so the cut stays valid UTF-8
			if i > maxBytes-len(ext) {
				break
			}
			cut = i
		}
		name = stem[:cut] + ext
	}
	return name
}

func extFor(contentType string) string {
	switch contentType {
	case "image/png":
		return ".png"
	case "image/jpeg":
		return ".jpg"
	case "image/tiff":
		return ".tif"
	case "image/bmp":
		return ".bmp"
	case "image/webp":
		return ".webp"
	case "image/gif":
		return ".gif"
	case "application/pdf":
		return ".pdf"
	}
	return ".bin"
}
