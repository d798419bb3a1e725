package tasks

import (
	"context"
	"iter"

	"github.com/ocrbox/ocrbox/core/domain"
)

// CreateBatch makes one task per file of a multi-file upload, all or
// nothing: when a file is refused, or the next one cannot be read (files
// yields an error), the tasks already made from the batch are deleted and
// that error is returned. Every file gets the same parameters. maxFiles,
// when positive, refuses a file past that many (413 too_many_files); a
// batch without a file is 422 no_files.
//
// files is pulled one upload at a time, so a request body is read as a
// stream: each Body is read to its end by Create before the next is asked
// for, and the caller may close it once yield returns.
func (s *Service) CreateBatch(ctx context.Context, userID string, p Params, files iter.Seq2[Upload, error], maxFiles int) ([]*domain.Task, error) {
	var created []*domain.Task
	undo := func(err error) ([]*domain.Task, error) {
		// The client may be gone (a broken upload): the undo must still run.
		ctx := context.WithoutCancel(ctx)
		for _, t := range created {
			_ = s.Delete(ctx, userID, t.ID)
		}
		return nil, err
	}
	for up, err := range files {
		if err != nil {
			return undo(err)
		}
		if maxFiles > 0 && len(created) >= maxFiles {
			return undo(domain.Errorf(domain.ErrTooLarge, domain.CodeTooManyFiles, "at most %d files per upload", maxFiles))
		}
		t, err := s.Create(ctx, userID, p, up)
		if err != nil {
			return undo(err)
		}
		created = append(created, t)
	}
	if len(created) == 0 {
		return nil, domain.Errorf(domain.ErrInvalid, domain.CodeNoFiles, "the upload contains no `file` part")
	}
	return created, nil
}
