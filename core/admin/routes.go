package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/ocrbox/ocrbox/core/accounts"
	"github.com/ocrbox/ocrbox/core/domain"
)

// Accounts is the account service as the admin API uses it.
type Accounts interface {
	Purge(ctx context.Context, email, actor string) (accounts.Purged, error)
}

// routes is the one route table of the admin API.
func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /users/delete", s.deleteUser)
	mux.HandleFunc("POST /users/link", s.linkUser)
	mux.HandleFunc("GET /users", s.listUsers)
	mux.HandleFunc("POST /backup", s.backup)
}

// backup streams a hot backup (core/backup) of the running server. Once
// bytes have gone out, a failure can only abort the connection: the client
// then sees a truncated archive, which Verify rejects.
func (s *Server) backup(w http.ResponseWriter, r *http.Request) {
	if s.deps.Backup == nil {
		writeError(w, http.StatusNotFound, domain.CodeNotFound, "this server offers no backup")
		return
	}
	w.Header().Set("Content-Type", "application/gzip")
	sw := &startedWriter{w: w}
	if err := s.deps.Backup(r.Context(), sw); err != nil {
		s.log.Error("backup failed", "error", err)
		if !sw.started {
			writeError(w, http.StatusInternalServerError, codeBackupFailed, err.Error())
			return
		}
		panic(http.ErrAbortHandler)
	}
	s.log.Info("backup written through the admin socket")
}

// startedWriter notes whether the response has begun.
type startedWriter struct {
	w       http.ResponseWriter
	started bool
}

func (s *startedWriter) Write(p []byte) (int, error) {
	s.started = true
	return s.w.Write(p)
}

// DeleteUserRequest is the body of POST /users/delete.
type DeleteUserRequest struct {
	Email string `json:"email"`
}

// deleteUser purges a user's data; the answer is accounts.Purged.
func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	var req DeleteUserRequest
	if err := readJSON(r, &req); err != nil {
		writeError(w, http.StatusBadRequest, domain.CodeBadRequest, err.Error())
		return
	}
	email := strings.TrimSpace(req.Email)
	if email == "" {
		writeError(w, http.StatusUnprocessableEntity, domain.CodeInvalidParameter, "email is required")
		return
	}
	res, err := s.deps.Accounts.Purge(r.Context(), email, "admin-socket")
	if err != nil {
		s.log.Error("users delete failed", "error", err)
		status, code := statusError(err)
		writeError(w, status, code, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// LinkUserRequest is the body of POST /users/link.
type LinkUserRequest struct {
	Email    string `json:"email"`
	Provider string `json:"provider"`
	Subject  string `json:"subject"`
}

// linkUser binds a provider identity to an account; the answer is the user.
func (s *Server) linkUser(w http.ResponseWriter, r *http.Request) {
	if s.deps.Link == nil {
		writeError(w, http.StatusNotFound, domain.CodeNotFound, "this server offers no account linking")
		return
	}
	var req LinkUserRequest
	if err := readJSON(r, &req); err != nil {
		writeError(w, http.StatusBadRequest, domain.CodeBadRequest, err.Error())
		return
	}
	u, err := s.deps.Link(r.Context(), strings.TrimSpace(req.Email), domain.Identity{Provider: req.Provider, Subject: req.Subject})
	if err != nil {
		status, code := statusError(err)
		writeError(w, status, code, err.Error())
		return
	}
	s.log.Info("identity linked through the admin socket", "user_id", u.ID, "provider", req.Provider)
	writeJSON(w, http.StatusOK, u)
}

// UserEntry is one account as GET /users lists it: the user and the
// provider identities bound to it.
type UserEntry struct {
	domain.User
	// Identities are (provider, subject) pairs; empty for an account
	// nobody has signed in to since identities were introduced.
	Identities []domain.Identity `json:"identities"`
}

// UsersList is the answer of GET /users.
type UsersList struct {
	Users []UserEntry `json:"users"`
}

// listUsers answers every account with its identities.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	if s.deps.Users == nil {
		writeError(w, http.StatusNotFound, domain.CodeNotFound, "this server offers no user list")
		return
	}
	users, err := s.deps.Users(r.Context())
	if err != nil {
		s.log.Error("users list failed", "error", err)
		status, code := statusError(err)
		writeError(w, status, code, err.Error())
		return
	}
	if users == nil {
		users = []UserEntry{}
	}
	writeJSON(w, http.StatusOK, UsersList{Users: users})
}

// maxBody bounds an admin request body.
const maxBody = 64 << 10

// readJSON decodes a request body of at most maxBody bytes into v.
func readJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid JSON body: %w", err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// errorBody is the admin API's error shape, the same as the REST API's.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// codeBackupFailed is the admin API's own code for a backup that failed
// before any byte went out; the REST API has no backups, so it is not one
// of domain.ErrorCodes.
const codeBackupFailed = "backup_failed"

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, msg
	writeJSON(w, status, b)
}

// statusError maps an error to the admin API's status and code; the admin
// is the only client, so messages are passed on as they are.
func statusError(err error) (int, string) {
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return http.StatusNotFound, domain.CodeNotFound
	case errors.Is(err, domain.ErrInvalid):
		return http.StatusUnprocessableEntity, domain.CodeInvalidParameter
	}
	return http.StatusInternalServerError, domain.CodeInternal
}
