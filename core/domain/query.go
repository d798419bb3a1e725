package domain

import "time"

// List paging limits, enforced where page and page_size are parsed (422)
// and again by the stores, so no offset can overflow further down.
const (
	// MaxPageSize is the largest page_size of a task list.
	MaxPageSize = 200
	// MaxListItems is how deep into a list a page may reach: page ×
	// page_size, or Offset + Limit, at most this. No user keeps that many
	// tasks, so the limit never hides one.
	MaxListItems = 1_000_000
)

// ListQuery selects and orders one page of a user's tasks.
type ListQuery struct {
	Status TaskStatus // empty: any
	Sort   string     // created_at | filename | status | duration
	Desc   bool
	Offset int
	Limit  int
	// From and To bound created_at, both inclusive; zero means open.
	From, To time.Time
}

// CheckWindow answers ErrInvalid unless 0 ≤ offset, 0 ≤ limit and offset +
// limit ≤ MaxListItems (checked without overflowing).
func CheckWindow(offset, limit int) error {
	if offset < 0 || limit < 0 || offset > MaxListItems || limit > MaxListItems-offset {
		return Errorf(ErrInvalid, CodeInvalidParameter,
			"a page must lie within the first %d items of a list (offset %d, limit %d)", MaxListItems, offset, limit)
	}
	return nil
}
