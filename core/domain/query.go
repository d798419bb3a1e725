package domain

import "time"

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
