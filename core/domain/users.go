package domain

// UserDeletion is what deleting a user removed from the database: the
// record, their tasks as they were (so their work can be stopped and their
// files and search entries removed) and how many sessions ended.
type UserDeletion struct {
	User     User
	Tasks    []*Task
	Sessions int
}
