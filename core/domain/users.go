package domain

import "time"

// UserDeletion is what deleting a user removed from the database: the
// record, their tasks as they were (so their work can be stopped and their
// files and search entries removed) and how many sessions ended.
type UserDeletion struct {
	User     User
	Tasks    []*Task
	Sessions int
}

// Identity is one external account — a provider's subject — bound to a
// user. A person is recognised by their identity, not by an email address
// that someone else's account at another provider could also claim.
type Identity struct {
	Provider string `json:"provider"`
	Subject  string `json:"subject"`
}

// SignIn is what a provider asserted about the person signing in, and what
// the configuration allows to be done with it.
type SignIn struct {
	Identity
	Email         string
	EmailVerified bool
	Name          string
	Extra         map[string]string
	At            time.Time
	// LinkByVerifiedEmail lets a first sign-in through this provider bind to
	// an existing account with the same email, when the email is verified.
	LinkByVerifiedEmail bool
}
